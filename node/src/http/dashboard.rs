//! The dashboard: one server-rendered page, no JavaScript, charts as inline SVG. Indicator
//! picker; metropolitan headline with margin of error; cities side by side; the gap view by
//! group or district; trend; coverage and provenance; federation health.
//!
//! Every word people read comes from the Fluent messages of [`crate::i18n`], in the language
//! the request asked for; numbers are written as that language writes them.

use std::{collections::HashMap, fmt::Write as _, sync::Arc};

use crate::{
    aggregate::unit_scale,
    aggregate::{Answer, Breakdown, Estimate, Gap},
    analysis,
    catalogue::Indicator,
    catalogue::Polarity,
    clock,
    i18n::{Arg, Lang},
    node::Node,
};

use axum::http::StatusCode;

use super::QueryParams;

mod artefacts;
mod charts;
mod sections;

pub use artefacts::artefacts_page;
use charts::*;
pub use sections::peer_rows;
use sections::*;

/// Text escaped for HTML, in content and in attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#111;background:#fff;line-height:1.45}\
header{background:#0b3d91;color:#fff;padding:1rem 2rem}header h1{margin:0;font-size:1.5rem}\
main{padding:1rem 2rem;max-width:1100px}section{margin:1.5rem 0}h2{font-size:1.15rem;border-bottom:2px solid #0b3d91}\
form{display:flex;gap:1rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-weight:600}\
select,button{font-size:1rem;padding:.3rem}button{background:#0b3d91;color:#fff;border:0;padding:.4rem 1rem}\
button:focus,select:focus{outline:3px solid #f2a900}.headline{font-size:2.2rem;font-weight:700}\
.bar{fill:#0b3d91}.moe{stroke:#f2a900;stroke-width:3}.lbl{font-size:13px;fill:#111}.val{font-size:13px;fill:#111}\
.muted{font-size:13px;fill:#555}.line{fill:none;stroke:#0b3d91;stroke-width:3}.dot{fill:#f2a900}\
.dot-other{fill:#fff;stroke:#0b3d91;stroke-width:2}.partial{color:#444}\
table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #999;padding:.25rem .5rem;text-align:left;font-size:.9rem}\
.flag{color:#a00;font-weight:700}code{font-size:.85rem}\
.langs ul{list-style:none;display:flex;flex-wrap:wrap;gap:.75rem;padding:0;margin:.5rem 0 0}.langs a{color:#fff}\
.langs a[aria-current]{font-weight:700;text-decoration:none;border-bottom:2px solid #f2a900}\
figure{margin:0}figcaption{font-size:.9rem;color:#333}.scroll{overflow-x:auto;max-width:100%}\
caption{text-align:left;font-weight:600;padding:.25rem 0}\
.maps{display:flex;flex-wrap:wrap;gap:1rem}.map{flex:1 1 260px;max-width:320px}\
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem 1rem;padding:0}.legend svg{vertical-align:middle}\
label{max-width:100%;min-width:0}select{max-width:100%}h1,h2,p{overflow-wrap:anywhere}";

/// A page for a query the catalogue cannot answer (400) or that nobody has published (404):
/// what was wrong, and links to the valid choices.
fn error_page(node: &Node, q: &QueryParams, e: &crate::analysis::QueryError, lang: Lang) -> String {
    use crate::analysis::QueryError;
    let not_answered = lang.t("not-answered", &[]);
    let mut page = format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · metronode</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{} · {}</p></header><main><section><h2>{}</h2><p id="error">{}</p>"#,
        lang.code(),
        esc(&not_answered),
        esc(&lang.t("title", &[])),
        esc(&node.card.name),
        esc(&node.card.id),
        esc(&not_answered),
        esc(&e.to_string())
    );
    let link = |indicator: &str, by: &str, series: &str, period: &str| {
        let mut url = format!("/?indicator={indicator}");
        for (k, v) in
            [("by", by), ("series", series), ("period", period), ("lang", q.lang.as_str())]
        {
            if !v.is_empty() {
                let _ = write!(url, "&{k}={v}");
            }
        }
        url
    };
    let (kind, choices): (&str, Vec<(String, String)>) = match e {
        QueryError::Unknown { what, of, suggestion, choices, .. } => {
            let indicator = of.clone().unwrap_or_default();
            let mut listed: Vec<(String, String)> = choices
                .iter()
                .map(|c| {
                    let url = match *what {
                        "indicator" => link(c, "", "", ""),
                        "breakdown" => link(&indicator, c, "", ""),
                        _ => link(&indicator, &q.by, c, ""),
                    };
                    let label = match node.catalogue.indicator(c) {
                        Some(i) if *what == "indicator" => {
                            format!("{c} {}", lang.indicator_name(c, &i.name))
                        }
                        _ if *what == "breakdown" => lang.dimension(c),
                        _ if *what == "series" => lang.series(&indicator, c),
                        _ => c.clone(),
                    };
                    (url, label)
                })
                .collect();
            // The near miss first.
            if let Some(pos) = suggestion.as_ref().and_then(|s| choices.iter().position(|c| c == s))
            {
                let near = listed.remove(pos);
                listed.insert(0, near);
            }
            (what, listed)
        }
        QueryError::NoPeriod { indicator, periods, .. } => (
            "period",
            periods.iter().map(|p| (link(indicator, &q.by, &q.series, p), p.clone())).collect(),
        ),
        _ => ("", Vec::new()),
    };
    if !choices.is_empty() {
        let _ = write!(
            page,
            r#"<h3>{}</h3><ul id="choices">"#,
            esc(&lang.t_or(&format!("choose-{kind}"), kind))
        );
        for (url, label) in &choices {
            let _ = write!(page, r#"<li><a href="{}">{}</a></li>"#, esc(url), esc(label));
        }
        page.push_str("</ul>");
    }
    let _ = write!(
        page,
        r#"<p><a href="/">{}</a></p></section></main></body></html>"#,
        esc(&lang.t("back", &[]))
    );
    page
}

/// The language links of a page: each keeps the view (`query` without `lang`).
fn language_nav(path: &str, query: &[(&str, &str)], lang: Lang) -> String {
    let mut nav =
        format!(r#"<nav class="langs" aria-label="{}"><ul>"#, esc(&lang.t("choose-language", &[])));
    for l in crate::i18n::LANGS {
        let mut pairs: Vec<(&str, &str)> =
            query.iter().filter(|(_, v)| !v.is_empty()).copied().collect();
        pairs.push(("lang", l.code()));
        let url = format!("{path}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default());
        let current = if l == lang { r#" aria-current="true""# } else { "" };
        let _ = write!(
            nav,
            r#"<li><a href="{}" hreflang="{code}" lang="{code}"{current}>{}</a></li>"#,
            esc(&url),
            esc(&l.t("language-name", &[])),
            code = l.code()
        );
    }
    nav.push_str("</ul></nav>");
    nav
}

/// The page's head and banner, in the language, with the language links.
fn page_start(title: &str, subtitle: &str, nav: &str, lang: Lang) -> String {
    format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · metronode</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{subtitle}</p>{nav}</header><main>"#,
        lang.code(),
        esc(title),
        esc(title),
    )
}

/// The picker: indicator, breakdown, series and period; a language chosen by link stays chosen.
fn picker(
    node: &Node,
    spec: &Indicator,
    q: &QueryParams,
    answer: Option<&Answer>,
    shown_series: &str,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    // Picker; a language chosen by link stays chosen.
    let _ = write!(
        page,
        r#"<form method="get" action="/"><label for="indicator">{}<select id="indicator" name="indicator">"#,
        t("indicator")
    );
    for i in &node.catalogue.indicators {
        let sel = if i.id == spec.id { " selected" } else { "" };
        let _ = write!(
            page,
            r#"<option value="{}"{sel}>{} {}</option>"#,
            esc(&i.id),
            esc(&i.id),
            esc(&lang.indicator_name(&i.id, &i.name))
        );
    }
    let _ = write!(
        page,
        r#"</select></label><label for="by">{}<select id="by" name="by"><option value="city">{}</option>"#,
        t("breakdown"),
        esc(&lang.dimension("city"))
    );
    for d in &spec.disaggregations {
        let sel = if *d == q.by { " selected" } else { "" };
        let _ =
            write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(d), esc(&lang.dimension(d)));
    }
    let _ = write!(
        page,
        r#"</select></label><label for="series">{}<select id="series" name="series">"#,
        t("series")
    );
    for series in &spec.series {
        let sel = if series.code == shown_series { " selected" } else { "" };
        let label = lang.series(&spec.id, &series.code);
        let _ =
            write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(&series.code), esc(&label));
    }
    let _ = write!(
        page,
        r#"</select></label><label for="period">{}<select id="period" name="period"><option value="">{}</option>"#,
        t("period"),
        t("latest-comparable")
    );
    if let Some(a) = &answer {
        for p in &a.period_coverage {
            let sel = if p.period == q.period { " selected" } else { "" };
            let label = if p.comparable {
                p.period.clone()
            } else {
                let cities = p.cities.join(", ");
                lang.t(
                    "period-partial",
                    &[("period", Arg::Text(&p.period)), ("cities", Arg::Text(&cities))],
                )
            };
            let _ =
                write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(&p.period), esc(&label));
        }
    }
    if !q.lang.is_empty() {
        let _ = write!(page, r#"<input type="hidden" name="lang" value="{}">"#, lang.code());
    }
    let _ = write!(page, r#"<button type="submit">{}</button></form>"#, t("show"));

    page
}

/// A table that scrolls in its own box, opened with its caption (none when empty) and its
/// column headers (message ids).
pub(super) fn table_start(id: &str, caption: &str, columns: &[&str], lang: Lang) -> String {
    let mut out = format!(r#"<div class="scroll"><table id="{id}">"#);
    if !caption.is_empty() {
        let _ = write!(out, "<caption>{}</caption>", esc(caption));
    }
    out.push_str("<tr>");
    for c in columns {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, esc(&lang.t(c, &[])));
    }
    out.push_str("</tr>");
    out
}

/// The dashboard page for `q`: the picker, then one section after another (headline, cities,
/// gap, map, trend, coverage, provenance, federation) and the footer.
///
/// Renders the page in `lang`, with its HTTP status: 400 for an indicator, breakdown or series
/// the catalogue does not have, 404 for a period nobody has published (each with the choices).
pub async fn render(node: &Arc<Node>, mut q: QueryParams, lang: Lang) -> (StatusCode, String) {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let releases = node.releases();
    if q.indicator.trim().is_empty() {
        q.indicator = node
            .catalogue
            .indicators
            .iter()
            .find(|i| releases.iter().any(|r| r.indicator == i.id))
            .or(node.catalogue.indicators.first())
            .map(|i| i.id.clone())
            .unwrap_or_default();
    }
    let answered = match super::answer(node, &q).await {
        Ok(a) => Some(a),
        Err((_, crate::analysis::QueryError::NoRelease { .. })) => None,
        Err((status, e)) => return (status, error_page(node, &q, &e, lang)),
    };
    // Checked above: the catalogue's spelling of what was asked.
    let asked = crate::aggregate::Query {
        indicator: q.indicator.clone(),
        period: q.period.clone(),
        by: q.by.clone(),
        series: q.series.clone(),
    };
    if let Ok(c) = crate::analysis::check(&node.catalogue, &asked) {
        (q.indicator, q.by, q.series) = (c.indicator, c.by, c.series);
    }
    let Some(spec) = node.catalogue.indicator(&q.indicator) else {
        return (StatusCode::NOT_FOUND, "the catalogue has no indicators".into());
    };
    let answer = answered.as_ref().map(|a| &a.answer);
    let by = Breakdown::of(&q.by).name().to_owned();
    let name = lang.indicator_name(&spec.id, &spec.name);
    let by_district = spec.disaggregations.iter().any(|d| d == "district_code");
    let districts = if by_district {
        let node = node.clone();
        tokio::task::spawn_blocking(move || super::map::districts(&node)).await.unwrap_or_default()
    } else {
        super::map::Districts::default()
    };

    let nav = language_nav(
        "/",
        &[("indicator", &q.indicator), ("by", &q.by), ("series", &q.series), ("period", &q.period)],
        lang,
    );
    let subtitle = format!("{} · {}", esc(&node.card.name), esc(&node.card.id));
    let mut page = page_start(&lang.t("title", &[]), &subtitle, &nav, lang);
    // The series on screen is named, so a value is never silently one series of several.
    let shown_series = answer.map(|a| a.series.clone()).unwrap_or_else(|| q.series.clone());
    page.push_str(&picker(node, spec, &q, answer, &shown_series, lang));

    // The heading names the series on screen when the indicator has several.
    let heading = if spec.series.len() > 1 {
        format!("{name}: {}", lang.series(&spec.id, &shown_series))
    } else {
        name.clone()
    };
    let _ = write!(
        page,
        r#"<section><h2 id="indicator-heading">{}</h2><p>{}</p>"#,
        esc(&heading),
        esc(&lang.indicator_definition(&spec.id, &spec.definition))
    );
    match &answer {
        None => {
            let _ = write!(page, "<p>{}</p></section>", t("no-data"));
        }
        Some(a) => {
            page.push_str(&headline_section(a, &q, lang));
            page.push_str(&cities_section(a, &name, lang));
            page.push_str(&gap_section(a, spec, &name, &by, &districts, lang));
            if by_district {
                page.push_str(&map_section(node, &q, a, spec, &districts, lang).await);
            }
            page.push_str(&trend_section(a, &name, lang));
            page.push_str(&coverage_section(a, lang));
            page.push_str(&provenance_section(a, lang));
        }
    }
    page.push_str(&federation_section(node, lang));
    page.push_str(&footer(spec, &q, answer, lang));
    (StatusCode::OK, page)
}
