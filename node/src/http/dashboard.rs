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

/// Text escaped for HTML, in content and in attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fmt_estimate(e: &Estimate, unit: &str, lang: Lang) -> String {
    if !e.published {
        return esc(&lang.t("withheld-why", &[("why", Arg::Text(&e.note))]));
    }
    let value = lang.in_unit(e.value, unit);
    let mut text = match e.interval {
        Some((lo, hi)) => {
            let (low, high) = (lang.in_unit(lo, unit), lang.in_unit(hi, unit));
            let id = if e.clipped { "interval-clipped" } else { "interval" };
            let args = [
                ("value", Arg::Text(&value)),
                ("low", Arg::Text(&low)),
                ("high", Arg::Text(&high)),
            ];
            lang.t(id, &args)
        }
        None if e.clipped => lang.t("clipped", &[("value", Arg::Text(&value))]),
        None => value,
    };
    if e.note == "u" {
        text = format!("{text} ({})", lang.t("low-reliability", &[]));
    }
    esc(&text)
}

/// A group's label in the language: the catalogue's label of the value; a district by the
/// name its city published with its boundaries, else its code; a city by its code.
fn group_label(
    lang: Lang,
    names: &HashMap<String, String>,
    dimension: &str,
    value: &str,
) -> String {
    match Breakdown::of(dimension) {
        Breakdown::Cities => value.to_owned(),
        Breakdown::Dimension("district_code") => match names.get(value) {
            Some(name) => format!("{name} ({value})"),
            None => lang.value(dimension, value),
        },
        Breakdown::Dimension(_) => lang.value(dimension, value),
    }
}

/// Names in a list: one, or several marked tied.
fn name_list(lang: Lang, names: Vec<String>) -> String {
    match names.as_slice() {
        [one] => one.clone(),
        [] => String::new(),
        [rest @ .., last] => {
            let first = rest.join(", ");
            let names =
                lang.t("list-and", &[("first", Arg::Text(&first)), ("second", Arg::Text(last))]);
            lang.t("tied", &[("names", Arg::Text(&names))])
        }
    }
}

/// The gap in words, in the language: the same reading as the API's English `statement`.
fn gap_statement(
    lang: Lang,
    names: &HashMap<String, String>,
    g: &Gap,
    by: &str,
    unit: &str,
    people: bool,
) -> String {
    let label = |codes: &[String]| {
        name_list(lang, codes.iter().map(|n| group_label(lang, names, by, n)).collect())
    };
    let (high, low) = (lang.in_unit(g.highest_value, unit), lang.in_unit(g.lowest_value, unit));
    // Every group tied as shown: the highest are the lowest (`aggregate` decides ties).
    if g.highest == g.lowest {
        return lang.t(
            "gap-all-tied",
            &[("count", Arg::Count(g.highest.len() as i64)), ("value", Arg::Text(&high))],
        );
    }
    let (highest, lowest) = (label(&g.highest), label(&g.lowest));
    let difference = lang.difference(g.absolute, unit);
    let margin = g.margin_of_difference.map(|m| lang.difference(m, unit)).unwrap_or_default();
    let range = [
        ("highest", Arg::Text(&highest)),
        ("high", Arg::Text(&high)),
        ("lowest", Arg::Text(&lowest)),
        ("low", Arg::Text(&low)),
        ("difference", Arg::Text(&difference)),
        ("margin", Arg::Text(&margin)),
    ];
    if !g.distinguishable {
        return lang.t("gap-indistinct", &range);
    }
    if g.polarity == Polarity::Neutral {
        return lang.t("gap-neutral", &range);
    }
    let lower_better = g.polarity == Polarity::LowerIsBetter;
    let (b, w) = if lower_better { (&low, &high) } else { (&high, &low) };
    let (best, worst) = (label(&g.best), label(&g.worst));
    let ratio = lang.number(g.ratio, 2);
    let id = if g.margin_of_difference.is_some() { "gap-ranked-margin" } else { "gap-ranked" };
    lang.t(
        id,
        &[
            ("served", Arg::Text(if people { "yes" } else { "no" })),
            ("best", Arg::Text(&best)),
            ("bestvalue", Arg::Text(b)),
            ("worst", Arg::Text(&worst)),
            ("worstvalue", Arg::Text(w)),
            ("difference", Arg::Text(&difference)),
            ("margin", Arg::Text(&margin)),
            ("ratio", Arg::Text(&ratio)),
        ],
    )
}

/// Horizontal bars with value labels and margin-of-error whiskers.
fn bars(id: &str, title: &str, items: &[(String, &Estimate)], unit: &str, lang: Lang) -> String {
    let (scale, _) = unit_scale(unit);
    let max = items
        .iter()
        .filter(|i| i.1.published)
        .map(|i| i.1.value * scale)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let (label_w, bar_w, row_h) = (190.0, 420.0, 28.0);
    let height = row_h * items.len() as f64 + 10.0;
    let mut svg = format!(
        r#"<svg role="img" aria-labelledby="{id}-t" width="100%" style="max-width:{w}px" viewBox="0 0 {w} {height}"><title id="{id}-t">{}</title>"#,
        esc(title),
        w = label_w + bar_w + 120.0
    );
    for (i, (label, e)) in items.iter().enumerate() {
        let y = i as f64 * row_h + 5.0;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="lbl">{}</text>"#,
            label_w - 8.0,
            y + 18.0,
            esc(label)
        );
        if e.published {
            let w = (e.value * scale / max * bar_w).max(1.0);
            let _ = write!(
                svg,
                r#"<rect x="{label_w}" y="{y}" width="{w:.1}" height="{}" class="bar"/>"#,
                row_h - 8.0
            );
            if let Some((lo, hi)) = e.interval {
                let (a, b) =
                    ((lo * scale / max * bar_w).max(0.0), (hi * scale / max * bar_w).min(bar_w));
                let _ = write!(
                    svg,
                    r#"<line x1="{:.1}" x2="{:.1}" y1="{c}" y2="{c}" class="moe"/>"#,
                    label_w + a,
                    label_w + b,
                    c = y + (row_h - 8.0) / 2.0
                );
            }
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" class="val">{}</text>"#,
                label_w + w + 6.0,
                y + 16.0,
                esc(&lang.in_unit(e.value, unit))
            );
        } else {
            let _ = write!(
                svg,
                r#"<text x="{label_w}" y="{}" class="muted">{}</text>"#,
                y + 16.0,
                esc(&lang.t("withheld", &[]))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The trend: the line joins the points over the cities of the period answered; a point over
/// other cities is drawn open and left unjoined, so that a change of members never reads as a
/// change of the indicator.
fn trend_chart(a: &Answer, lang: Lang) -> String {
    let (scale, _) = unit_scale(&a.unit);
    let points: Vec<(String, f64, bool)> = a
        .trend
        .iter()
        .filter(|t| t.estimate.published)
        .map(|t| (t.period.clone(), t.estimate.value * scale, t.same_coverage))
        .collect();
    if points.is_empty() {
        return format!("<p>{}</p>", esc(&lang.t("no-data", &[])));
    }
    let (w, h, pad) = (640.0, 180.0, 40.0);
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9) * 1.1;
    let step = if points.len() > 1 { (w - 2.0 * pad) / (points.len() - 1) as f64 } else { 0.0 };
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (pad + i as f64 * step, h - pad - p.1 / max * (h - 2.0 * pad)))
        .collect();
    let mut svg = format!(
        r#"<svg role="img" aria-labelledby="trend-t" width="100%" style="max-width:{w}px" viewBox="0 0 {w} {h}"><title id="trend-t">{}</title>"#,
        esc(&lang.t("trend", &[]))
    );
    // One line per run of consecutive points over the cities of the period answered.
    let line = |svg: &mut String, run: &[String]| {
        if run.len() > 1 {
            let _ = write!(svg, r#"<polyline points="{}" class="line"/>"#, run.join(" "));
        }
    };
    let mut run: Vec<String> = Vec::new();
    for ((x, y), p) in xy.iter().zip(&points) {
        if p.2 {
            run.push(format!("{x:.1},{y:.1}"));
        } else {
            line(&mut svg, &run);
            run.clear();
        }
    }
    line(&mut svg, &run);
    for ((x, y), (period, v, same)) in xy.iter().zip(&points) {
        let class = if *same { "dot" } else { "dot-other" };
        let _ = write!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" class="{class}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" class="val">{}</text><text x="{x:.1}" y="{}" text-anchor="middle" class="lbl">{}</text>"#,
            y - 8.0,
            esc(&lang.in_unit(v / scale, &a.unit)),
            h - 12.0,
            esc(period)
        );
    }
    svg.push_str("</svg>");
    let others: Vec<String> = a
        .trend
        .iter()
        .filter(|t| t.estimate.published && !t.same_coverage)
        .map(|t| format!("{} ({})", t.period, t.coverage.join(", ")))
        .collect();
    if !others.is_empty() {
        let others = others.join("; ");
        let text = lang.t(
            "trend-open-points",
            &[("period", Arg::Text(&a.period)), ("others", Arg::Text(&others))],
        );
        let _ = write!(svg, r#"<p class="partial">{}</p>"#, esc(&text));
    }
    svg
}

/// The federation health rows, for the page and `/api/v1/members`.
pub fn peer_rows(node: &Node) -> Vec<serde_json::Value> {
    let own = node.log.own().clone();
    let now = clock::now_unix_ms();
    analysis::members(node)
        .into_iter()
        .map(|m| {
            let id: crate::identity::MemberId = m.id.parse().unwrap_or_else(|_| own.clone());
            let state = node.peers.get(&id);
            let held = node.log.size(&id);
            serde_json::json!({
                "id": m.id,
                "name": m.name,
                "is_self": m.is_self,
                "reachable": m.is_self || state.reachable,
                "last_sync_unix_ms": m.last_sync_unix_ms,
                "seconds_since_sync": m.last_sync_unix_ms.map(|t| (now - t) / 1000),
                "records_held": held,
                "lag": node.peers.seen(&id).saturating_sub(held),
                "flags": node.log.flags(&id),
                "last_error": state.last_error,
            })
        })
        .collect()
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

/// Renders the page in `lang`, with its HTTP status: 400 for an indicator, breakdown or series
/// the catalogue does not have, 404 for a period nobody has published (each with the choices).
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

/// The cities side by side: a bar chart and its table.
fn cities_section(a: &Answer, name: &str, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let cities: Vec<(String, &Estimate)> =
        a.cities.iter().map(|c| (format!("{} {}", c.city, c.name), &c.estimate)).collect();
    let _ = write!(
        page,
        "<section><h2>{}</h2><figure>{}<figcaption>{}</figcaption></figure>{}",
        t("cities"),
        bars("cities-chart", &lang.t("cities", &[]), &cities, &a.unit, lang),
        esc(name),
        table_start("cities", name, &["col-city", "col-value"], lang)
    );
    for c in &a.cities {
        let _ = write!(
            page,
            "<tr><td>{} {}</td><td>{}</td></tr>",
            esc(&c.city),
            esc(&c.name),
            fmt_estimate(&c.estimate, &a.unit, lang)
        );
    }
    page.push_str("</table></div></section>");
    page
}

/// The gap between groups: a bar chart, its table and the gap in words.
fn gap_section(
    a: &Answer,
    spec: &Indicator,
    name: &str,
    by: &str,
    districts: &super::map::Districts,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(page, "<section><h2>{}</h2>", t("gap"));
    if !a.groups.is_empty() {
        let groups: Vec<(String, &Estimate)> = a
            .groups
            .iter()
            .map(|g| (group_label(lang, &districts.names, &a.by, &g.value), &g.estimate))
            .collect();
        let dimension = lang.dimension(&a.by);
        let title = lang.t(
            "by-dimension",
            &[("indicator", Arg::Text(name)), ("dimension", Arg::Text(&dimension))],
        );
        let _ = write!(
            page,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            bars("groups-chart", &title, &groups, &a.unit, lang),
            esc(&title)
        );
        // The chart's numbers as a table, for screen readers and for copying.
        let _ = write!(
            page,
            r#"<div class="scroll"><table id="groups"><caption>{}</caption><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>"#,
            esc(&title),
            esc(&dimension),
            t("col-value"),
            t("col-cities-included"),
            t("col-withheld-in")
        );
        for (g, (label, e)) in a.groups.iter().zip(&groups) {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(label),
                fmt_estimate(e, &a.unit, lang),
                g.cities.len(),
                esc(&g.suppressed_in.join(", "))
            );
        }
        page.push_str("</table></div>");
    }
    match &a.gap {
        Some(g) => {
            let text = gap_statement(lang, &districts.names, g, by, &a.unit, spec.about_people());
            let _ = write!(page, r#"<p id="gap">{}</p>"#, esc(&text));
        }
        None => {
            let _ = write!(page, "<p>{}</p>", t("no-gap-groups"));
        }
    }
    page.push_str("</section>");
    page
}

/// The trend: a line chart and its table.
fn trend_section(a: &Answer, name: &str, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(
        page,
        "<section><h2>{}</h2><figure>{}<figcaption>{}</figcaption></figure>",
        t("trend"),
        trend_chart(a, lang),
        esc(name)
    );
    let caption = format!("{}: {name}", lang.t("trend", &[]));
    page.push_str(&table_start(
        "trend",
        &caption,
        &["col-period", "col-value", "col-cities"],
        lang,
    ));
    for tp in &a.trend {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&tp.period),
            fmt_estimate(&tp.estimate, &a.unit, lang),
            esc(&tp.coverage.join(", "))
        );
    }
    page.push_str("</table></div></section>");
    page
}

/// Coverage: the cities included and missing, not yet published, stale or flagged, and the cells withheld.
fn coverage_section(a: &Answer, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let included = a.coverage.included.join(", ");
    let missing = if a.coverage.missing.is_empty() {
        lang.t("none", &[])
    } else {
        a.coverage.missing.join(", ")
    };
    let _ = write!(
        page,
        "<section><h2>{}</h2><p>{}</p><p>{}</p><ul>",
        t("coverage"),
        esc(&lang.t("included", &[("cities", Arg::Text(&included))])),
        esc(&lang.t("missing", &[("cities", Arg::Text(&missing))]))
    );
    for n in &a.coverage.not_yet_published {
        let text = lang.t(
            "not-yet-published",
            &[
                ("city", Arg::Text(&n.city)),
                ("period", Arg::Text(&a.period)),
                ("latest", Arg::Text(&n.latest)),
            ],
        );
        let _ = write!(page, "<li>{}</li>", esc(&text));
    }
    for st in &a.coverage.stale {
        let args = [("city", Arg::Text(&st.city)), ("reason", Arg::Text(&st.reason))];
        let text = match st.since_unix_ms {
            Some(since) => {
                let seconds = lang.integer((clock::now_unix_ms() - since) / 1000);
                let mut args = args.to_vec();
                args.push(("seconds", Arg::Text(&seconds)));
                lang.t("stale-since", &args)
            }
            None => lang.t("stale", &args),
        };
        let _ = write!(page, "<li>{}</li>", esc(&text));
    }
    for f in &a.coverage.flagged {
        let evidence = f.evidence.join(", ");
        let id = if f.included { "flag-included" } else { "flag-excluded" };
        let text = lang.t(id, &[("city", Arg::Text(&f.city)), ("evidence", Arg::Text(&evidence))]);
        let _ = write!(page, r#"<li class="flag">{}</li>"#, esc(&text));
    }
    let suppressed =
        lang.t("suppressed-cells", &[("count", Arg::Count(a.coverage.suppressed_cells as i64))]);
    let _ = write!(page, "</ul><p>{}</p></section>", esc(&suppressed));
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

/// Provenance: where each city's number came from.
fn provenance_section(a: &Answer, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(
        page,
        "<section><h2>{}</h2><p>{}</p>{}",
        t("provenance"),
        t("log-record-help"),
        table_start(
            "provenance",
            "",
            &["col-origin", "col-log-record", "col-record-hash", "col-signer", "col-method"],
            lang
        )
    );
    for c in &a.cities {
        let p = &c.provenance;
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td><code>{}…</code></td><td><code>{}…</code></td><td>{}</td></tr>",
            esc(&p.origin),
            p.seq,
            esc(&p.record_hash[..16.min(p.record_hash.len())]),
            esc(&p.signer[..16.min(p.signer.len())]),
            esc(&p.method)
        );
    }
    page.push_str("</table></div>");
    if a.cities.iter().any(|c| c.estimate.margin_of_error.is_some()) {
        let _ = write!(page, r#"<p id="post-processing">{}</p>"#, t("post-processing"));
    }
    page.push_str("</section>");
    page
}

/// The metropolitan value with its period and cities, and the newer periods not every city has
/// published yet, each offered as a link.
fn headline_section(a: &Answer, q: &QueryParams, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let included = a.coverage.included.len() as i64;
    let _ = write!(
        page,
        r#"<p>{} · {} {}</p><p class="headline" id="headline">{}</p><p>{} {}</p></section>"#,
        t("metro-value"),
        t("period"),
        esc(&a.period),
        fmt_estimate(&a.metro, &a.unit, lang),
        esc(&lang.t("cities-included", &[("count", Arg::Count(included))])),
        if a.metro.margin_of_error.is_none() && a.metro.published {
            format!("· {}", t("no-margin"))
        } else {
            String::new()
        }
    );
    // A newer period not every city has published yet: offered, its cities named.
    for p in a.period_coverage.iter().filter(|p| p.period > a.period && !p.comparable) {
        let cities = p.cities.join(", ");
        let text = lang.t(
            "newer-partial",
            &[
                ("period", Arg::Text(&p.period)),
                ("cities", Arg::Text(&cities)),
                ("current", Arg::Text(&a.period)),
            ],
        );
        let query = [
            ("indicator", a.indicator.as_str()),
            ("by", a.by.as_str()),
            ("series", a.series.as_str()),
            ("period", p.period.as_str()),
            ("lang", q.lang.as_str()),
        ];
        let query: Vec<_> = query.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let _ = write!(
            page,
            r#"<p class="partial">{} <a href="/?{}">{}</a>.</p>"#,
            esc(&text),
            esc(&serde_urlencoded::to_string(&query).unwrap_or_default()),
            esc(&lang.t("show-partial", &[("period", Arg::Text(&p.period))]))
        );
    }
    page
}

/// The footer: the artefacts, the log, and the exports of what is on screen.
fn footer(
    spec: &crate::catalogue::Indicator,
    q: &QueryParams,
    answer: Option<&Answer>,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    // The exports hold what is on screen: indicator, breakdown, series and period.
    let (period, series) = answer.map(|a| (a.period.clone(), a.series.clone())).unwrap_or_default();
    let export = format!(
        "/api/v1/query?indicator={}&amp;by={}&amp;series={}&amp;period={}",
        esc(&spec.id),
        esc(&q.by),
        esc(&series),
        esc(&period)
    );
    // The plain CSV's column names in the page's language; the data and SDMX-CSV keep codes.
    let csv_lang =
        if lang == Lang::En { String::new() } else { format!("&amp;lang={}", lang.code()) };
    let review = if lang.machine_translated() {
        format!(r#" <span id="machine-translation">{}</span>"#, t("machine-translation"))
    } else {
        String::new()
    };
    let _ = write!(
        page,
        r#"<footer><p><a href="/artefacts?lang={code}">{}</a> · {} <a href="/log/">/log/</a>. {} <a href="{export}&amp;format=csv{csv_lang}">CSV</a> · <a href="{export}&amp;format=sdmx-csv">SDMX-CSV</a> · <a href="{export}">JSON</a> · <a href="{export}&amp;format=bundle">{}</a> ({} <code>metronode verify-bundle</code>){review}</p></footer></main></body></html>"#,
        t("artefacts-title"),
        t("footer-data"),
        t("footer-export"),
        t("proof-bundle"),
        t("footer-verify"),
        code = lang.code()
    );
    page
}

/// The map: the indicator over every district of every member, for the period and series on
/// screen.
async fn map_section(
    node: &Arc<Node>,
    q: &QueryParams,
    a: &Answer,
    spec: &crate::catalogue::Indicator,
    districts: &super::map::Districts,
    lang: Lang,
) -> String {
    let of_districts = if a.by == "district_code" {
        Some(Answer::clone(a))
    } else {
        let q = QueryParams {
            by: "district_code".into(),
            period: a.period.clone(),
            series: a.series.clone(),
            ..q.clone()
        };
        super::answer(node, &q).await.ok().map(|r| r.answer.clone())
    };
    of_districts.map(|d| super::map::section(lang, spec, &d, districts)).unwrap_or_default()
}

/// Federation health: every member, reachable or not, its last sync, records held and lag.
fn federation_section(node: &Node, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let columns =
        ["col-member", "col-reachable", "col-last-sync", "col-records", "col-lag", "col-flags"];
    let _ = write!(
        page,
        "<section><h2>{}</h2>{}",
        t("federation"),
        table_start("federation", "", &columns, lang)
    );
    for row in peer_rows(node) {
        let flags: Vec<String> = row["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(esc)).collect())
            .unwrap_or_default();
        let since = match (row["is_self"].as_bool(), row["seconds_since_sync"].as_i64()) {
            (Some(true), _) => t("this-node"),
            (_, Some(s)) => {
                esc(&lang.t("seconds-ago", &[("seconds", Arg::Text(&lang.integer(s)))]))
            }
            _ => t("never"),
        };
        let _ = write!(
            page,
            r#"<tr><td>{} {}</td><td>{}</td><td>{since}</td><td>{}</td><td>{}</td><td class="flag">{}</td></tr>"#,
            esc(row["id"].as_str().unwrap_or_default()),
            esc(row["name"].as_str().unwrap_or_default()),
            if row["reachable"].as_bool() == Some(true) { t("yes") } else { t("no") },
            lang.integer(row["records_held"].as_i64().unwrap_or_default()),
            lang.integer(row["lag"].as_i64().unwrap_or_default()),
            flags.join(", ")
        );
    }
    page.push_str("</table></div></section>");
    page
}

/// The dashboard page for `q`: the picker, then one section after another (headline, cities,
/// gap, map, trend, coverage, provenance, federation) and the footer.
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

/// The document's own status from its metadata (`adopted`, `in_force`, ...).
fn document_status(metadata_json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(metadata_json)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// The artefact library across the federation, with filters, and the policy matrix.
pub async fn artefacts_page(node: &Arc<Node>, f: &super::ArtefactFilter, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let all = super::list_artefacts(node, &super::ArtefactFilter::default()).await;
    let shown: Vec<_> = super::list_artefacts(node, f).await;
    let nav = language_nav(
        "/artefacts",
        &[
            ("city", &f.city),
            ("type", &f.artefact_type),
            ("rights_area", &f.rights_area),
            ("language", &f.language),
        ],
        lang,
    );
    let subtitle = format!(
        r#"{} · <a href="/?lang={}" style="color:#fff">{}</a>"#,
        esc(&node.card.name),
        lang.code(),
        t("indicators-link")
    );
    let mut page = page_start(&lang.t("artefacts-title", &[]), &subtitle, &nav, lang);
    let type_label =
        |code: &str| lang.t_or(&format!("type-{code}"), crate::artefact::type_label(code));
    let cities: std::collections::BTreeSet<String> = all.iter().map(|a| a.origin.clone()).collect();
    let select = |name: &str, label: &str, current: &str, options: Vec<(String, String)>| {
        let mut s = format!(
            r#"<label for="{name}">{label}<select id="{name}" name="{name}"><option value="">{}</option>"#,
            t("all")
        );
        for (v, text) in options {
            let sel = if v == current { " selected" } else { "" };
            let _ = write!(s, r#"<option value="{}"{sel}>{}</option>"#, esc(&v), esc(&text));
        }
        s.push_str("</select></label>");
        s
    };
    page.push_str(r#"<form method="get" action="/artefacts">"#);
    page.push_str(&select(
        "city",
        &t("filter-city"),
        &f.city,
        cities.iter().map(|c| (c.clone(), c.clone())).collect(),
    ));
    page.push_str(&select(
        "type",
        &t("filter-type"),
        &f.artefact_type,
        crate::artefact::TYPES.iter().map(|(_, c, _)| (c.to_string(), type_label(c))).collect(),
    ));
    page.push_str(&select(
        "rights_area",
        &t("filter-rights-area"),
        &f.rights_area,
        crate::artefact::RIGHTS_AREAS
            .iter()
            .map(|r| (r.to_string(), lang.t_or(&format!("rights-{r}"), &r.replace('_', " "))))
            .collect(),
    ));
    let langs: std::collections::BTreeSet<String> =
        all.iter().flat_map(|a| a.publication.clone().unwrap_or_default().languages).collect();
    page.push_str(&select(
        "language",
        &t("filter-language"),
        &f.language,
        langs.into_iter().map(|l| (l.clone(), l)).collect(),
    ));
    if !f.lang.is_empty() {
        let _ = write!(page, r#"<input type="hidden" name="lang" value="{}">"#, lang.code());
    }
    let _ = write!(page, r#"<button type="submit">{}</button></form>"#, t("show"));

    let _ = write!(
        page,
        r#"<section><h2>{}</h2><div class="scroll"><table id="library"><tr>"#,
        t("library")
    );
    for col in [
        "col-city",
        "col-type",
        "col-title",
        "col-languages",
        "col-document-status",
        "col-version",
        "col-verification",
        "col-document",
    ] {
        let _ = write!(page, r#"<th scope="col">{}</th>"#, t(col));
    }
    page.push_str("</tr>");
    for a in &shown {
        let p = a.publication.clone().unwrap_or_default();
        let seq = lang.integer(a.seq as i64);
        let hash = hex::encode(&p.body_sha256);
        let signed = [
            ("city", Arg::Text(&a.origin)),
            ("seq", Arg::Text(&seq)),
            ("hash", Arg::Text(&hash[..12.min(hash.len())])),
        ];
        let badge = if a.body_verified {
            esc(&lang.t("signed-verified", &signed))
        } else {
            esc(&lang.t("signed-not-fetched", &signed))
        };
        let state_label = lang.t_or(&format!("state-{}", a.state), &a.state);
        let state = if a.withdrawal_reason.is_empty() {
            esc(&state_label)
        } else {
            format!("{} ({})", esc(&state_label), esc(&a.withdrawal_reason))
        };
        let link = if a.body_verified {
            let bytes = lang.integer(p.body_size as i64);
            let text = lang
                .t("download", &[("type", Arg::Text(&p.media_type)), ("bytes", Arg::Text(&bytes))]);
            format!(
                r#"<a href="/api/v1/artefacts/{}/{}/download">{}</a>"#,
                esc(&a.origin),
                a.seq,
                esc(&text)
            )
        } else {
            String::new()
        };
        let status = document_status(&p.metadata_json);
        let status = if status.is_empty() {
            status
        } else {
            lang.t_or(&format!("status-{status}"), &status.replace('_', " "))
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{badge}</td><td>{link}</td></tr>",
            esc(&a.origin),
            esc(&type_label(&p.artefact_type)),
            esc(&p.title),
            esc(&p.languages.join(", ")),
            esc(&status)
        );
    }
    page.push_str("</table></div></section>");

    // Policy matrix: which city has which kind of current artefact.
    let _ = write!(
        page,
        r#"<section><h2>{}</h2><p>{}</p><div class="scroll"><table id="matrix"><tr><th scope="col">{}</th>"#,
        t("policy-matrix"),
        t("matrix-note"),
        t("col-city")
    );
    for (_, code, _) in crate::artefact::TYPES {
        let _ = write!(page, r#"<th scope="col">{}</th>"#, esc(&type_label(code)));
    }
    page.push_str("</tr>");
    for city in &cities {
        let _ = write!(page, "<tr><td>{}</td>", esc(city));
        for (_, code, _) in crate::artefact::TYPES {
            let n = all
                .iter()
                .filter(|a| {
                    &a.origin == city
                        && a.state == "current"
                        && a.publication.as_ref().is_some_and(|p| p.artefact_type == *code)
                })
                .count();
            let _ = write!(
                page,
                "<td>{}</td>",
                if n == 0 {
                    "—".to_owned()
                } else {
                    esc(&lang.t("n-current", &[("count", Arg::Count(n as i64))]))
                }
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table></div></section></main></body></html>");
    page
}
