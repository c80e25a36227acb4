//! The dashboard: one server-rendered page, no JavaScript, charts as inline SVG. Indicator
//! picker; metropolitan headline with margin of error; cities side by side; the gap view by
//! group or district; trend; coverage and provenance; federation health.
//!
//! Every word people read comes from a `Strings` table (English here), so a translation is a
//! second table.

use std::{fmt::Write as _, sync::Arc};

use crate::{
    aggregate::unit_scale,
    aggregate::{Answer, Estimate},
    analysis, clock,
    node::Node,
};

use axum::http::StatusCode;

use super::QueryParams;

/// The words of the page.
pub struct Strings {
    /// Language code.
    pub lang: &'static str,
    /// Page title.
    pub title: &'static str,
    /// Labels of the picker.
    pub indicator: &'static str,
    /// Breakdown label.
    pub breakdown: &'static str,
    /// Period label.
    pub period: &'static str,
    /// Button.
    pub show: &'static str,
    /// Section titles.
    pub metro_value: &'static str,
    /// Cities section.
    pub cities: &'static str,
    /// Gap section.
    pub gap: &'static str,
    /// Trend section.
    pub trend: &'static str,
    /// Coverage section.
    pub coverage: &'static str,
    /// Provenance section.
    pub provenance: &'static str,
    /// Federation section.
    pub federation: &'static str,
    /// No data yet.
    pub no_data: &'static str,
    /// Withheld figure.
    pub withheld: &'static str,
    /// Margin of error unknown.
    pub no_margin: &'static str,
}

/// English.
pub const EN: Strings = Strings {
    lang: "en",
    title: "Metropolitan digital inclusion",
    indicator: "Indicator",
    breakdown: "Break down by",
    period: "Period",
    show: "Show",
    metro_value: "Metropolitan value",
    cities: "Cities side by side",
    gap: "Mind the gap",
    trend: "Trend",
    coverage: "Coverage",
    provenance: "Provenance: where each number came from",
    federation: "Federation health",
    no_data: "No release of this indicator is held here yet.",
    withheld: "withheld",
    no_margin: "sampling error not published; no noise added",
};

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fmt_estimate(e: &Estimate, unit: &str, s: &Strings) -> String {
    if !e.published {
        return format!("{} ({})", s.withheld, esc(&e.note));
    }
    let flag = if e.note == "u" { " (low reliability)" } else { "" };
    format!("{}{flag}", esc(&e.in_words(unit)))
}

/// A group's label: the value, and which end an income quintile is.
fn group_label(dimension: &str, value: &str) -> String {
    match (dimension, value) {
        ("income_quintile", "1") => "1 (poorest fifth)".into(),
        ("income_quintile", "5") => "5 (richest fifth)".into(),
        ("age_band", "75_plus") => "75 or over".into(),
        ("age_band", band) => band.replace('_', "–"),
        (_, v) => v.replace('_', " "),
    }
}

/// Horizontal bars with value labels and margin-of-error whiskers.
fn bars(id: &str, title: &str, items: &[(String, &Estimate)], unit: &str) -> String {
    let (scale, suffix) = unit_scale(unit);
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
                r#"<text x="{:.1}" y="{}" class="val">{:.1}{suffix}</text>"#,
                label_w + w + 6.0,
                y + 16.0,
                e.value * scale
            );
        } else {
            let _ = write!(
                svg,
                r#"<text x="{label_w}" y="{}" class="muted">withheld</text>"#,
                y + 16.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The trend: the line joins the points over the cities of the period answered; a point over
/// other cities is drawn open and left unjoined, so that a change of members never reads as a
/// change of the indicator.
fn trend_chart(a: &Answer, s: &Strings) -> String {
    let (scale, suffix) = unit_scale(&a.unit);
    let points: Vec<(String, f64, bool)> = a
        .trend
        .iter()
        .filter(|t| t.estimate.published)
        .map(|t| (t.period.clone(), t.estimate.value * scale, t.same_coverage))
        .collect();
    if points.is_empty() {
        return format!("<p>{}</p>", s.no_data);
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
        s.trend
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
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" class="{class}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" class="val">{v:.1}{suffix}</text><text x="{x:.1}" y="{}" text-anchor="middle" class="lbl">{}</text>"#,
            y - 8.0,
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
        let _ = write!(
            svg,
            r#"<p class="partial">Open points cover other cities than {}, so they are not joined: {}.</p>"#,
            esc(&a.period),
            esc(&others.join("; "))
        );
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
.flag{color:#a00;font-weight:700}code{font-size:.85rem}";

/// A page for a query the catalogue cannot answer (400) or that nobody has published (404):
/// what was wrong, and links to the valid choices.
fn error_page(node: &Node, q: &QueryParams, e: &crate::analysis::QueryError) -> String {
    use crate::analysis::QueryError;
    let mut page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not answered · metronode</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{} · {}</p></header><main><section><h2>Not answered</h2><p id="error">{}</p>"#,
        EN.title,
        esc(&node.card.name),
        esc(&node.card.id),
        esc(&e.to_string())
    );
    let link = |indicator: &str, by: &str, series: &str, period: &str| {
        let mut url = format!("/?indicator={indicator}");
        for (k, v) in [("by", by), ("series", series), ("period", period)] {
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
                        Some(i) if *what == "indicator" => format!("{c} {}", i.name),
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
        let _ = write!(page, r#"<h3>Choose a {kind}</h3><ul id="choices">"#);
        for (url, label) in &choices {
            let _ = write!(page, r#"<li><a href="{}">{}</a></li>"#, esc(url), esc(label));
        }
        page.push_str("</ul>");
    }
    page.push_str(r#"<p><a href="/">Back to the dashboard</a></p></section></main></body></html>"#);
    page
}

/// Renders the page, with its HTTP status: 400 for an indicator, breakdown or series the
/// catalogue does not have, 404 for a period nobody has published (each with the choices).
pub async fn render(node: &Arc<Node>, mut q: QueryParams) -> (StatusCode, String) {
    let s = &EN;
    let releases = node.releases.releases(node);
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
        Err((status, e)) => return (status, error_page(node, &q, &e)),
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

    let mut page = format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · metronode</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{} · {}</p></header><main>"#,
        s.lang,
        s.title,
        s.title,
        esc(&node.card.name),
        esc(&node.card.id)
    );
    // Picker.
    let _ = write!(
        page,
        r#"<form method="get" action="/"><label for="indicator">{}<select id="indicator" name="indicator">"#,
        s.indicator
    );
    for i in &node.catalogue.indicators {
        let sel = if i.id == spec.id { " selected" } else { "" };
        let _ = write!(
            page,
            r#"<option value="{}"{sel}>{} {}</option>"#,
            esc(&i.id),
            esc(&i.id),
            esc(&i.name)
        );
    }
    let _ = write!(
        page,
        r#"</select></label><label for="by">{}<select id="by" name="by"><option value="city">city</option>"#,
        s.breakdown
    );
    for d in &spec.disaggregations {
        let sel = if *d == q.by { " selected" } else { "" };
        let _ = write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(d), esc(d));
    }
    // The series on screen is named, so a value is never silently one series of several.
    let shown_series = answer.map(|a| a.series.clone()).unwrap_or_else(|| q.series.clone());
    let _ = write!(
        page,
        r#"</select></label><label for="series">Series<select id="series" name="series">"#
    );
    for series in &spec.series {
        let sel = if series.code == shown_series { " selected" } else { "" };
        let label =
            if series.code == "_T" { "headline".to_owned() } else { series.code.replace('_', " ") };
        let _ =
            write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(&series.code), esc(&label));
    }
    let _ = write!(
        page,
        r#"</select></label><label for="period">{}<select id="period" name="period"><option value="">latest comparable</option>"#,
        s.period
    );
    if let Some(a) = &answer {
        for p in &a.period_coverage {
            let sel = if p.period == q.period { " selected" } else { "" };
            let label = if p.comparable {
                p.period.clone()
            } else {
                format!("{} (partial: {})", p.period, p.cities.join(", "))
            };
            let _ =
                write!(page, r#"<option value="{}"{sel}>{}</option>"#, esc(&p.period), esc(&label));
        }
    }
    let _ = write!(page, r#"</select></label><button type="submit">{}</button></form>"#, s.show);

    let _ = write!(page, "<section><h2>{}</h2><p>{}</p>", esc(&spec.name), esc(&spec.definition));
    match &answer {
        None => {
            let _ = write!(page, "<p>{}</p></section>", s.no_data);
        }
        Some(a) => {
            let _ = write!(
                page,
                r#"<p>{} · {} {}</p><p class="headline" id="headline">{}</p><p>{} {} {}</p></section>"#,
                s.metro_value,
                s.period,
                esc(&a.period),
                fmt_estimate(&a.metro, &a.unit, s),
                a.coverage.included.len(),
                if a.coverage.included.len() == 1 { "city included" } else { "cities included" },
                if a.metro.margin_of_error.is_none() && a.metro.published {
                    format!("· {}", s.no_margin)
                } else {
                    String::new()
                }
            );
            // A newer period not every city has published yet: offered, its cities named.
            for p in a.period_coverage.iter().filter(|p| p.period > a.period && !p.comparable) {
                let _ = write!(
                    page,
                    r#"<p class="partial">{} is published so far by {} only, not comparable with {}: <a href="/?indicator={}&amp;by={}&amp;series={}&amp;period={}">show {} (partial)</a>.</p>"#,
                    esc(&p.period),
                    esc(&p.cities.join(", ")),
                    esc(&a.period),
                    esc(&a.indicator),
                    esc(&a.by),
                    esc(&a.series),
                    esc(&p.period),
                    esc(&p.period)
                );
            }
            let cities: Vec<(String, &Estimate)> =
                a.cities.iter().map(|c| (format!("{} {}", c.city, c.name), &c.estimate)).collect();
            let _ = write!(
                page,
                r#"<section><h2>{}</h2>{}<table id="cities"><tr><th>city</th><th>value</th></tr>"#,
                s.cities,
                bars("cities-chart", s.cities, &cities, &a.unit)
            );
            for c in &a.cities {
                let _ = write!(
                    page,
                    "<tr><td>{} {}</td><td>{}</td></tr>",
                    esc(&c.city),
                    esc(&c.name),
                    fmt_estimate(&c.estimate, &a.unit, s)
                );
            }
            page.push_str("</table></section>");

            let _ = write!(page, "<section><h2>{}</h2>", s.gap);
            if !a.groups.is_empty() {
                let groups: Vec<(String, &Estimate)> =
                    a.groups.iter().map(|g| (group_label(&a.by, &g.value), &g.estimate)).collect();
                page.push_str(&bars(
                    "groups-chart",
                    &format!("{} by {}", spec.name, a.by),
                    &groups,
                    &a.unit,
                ));
                // The chart's numbers as a table, for screen readers and for copying.
                let _ = write!(
                    page,
                    r#"<table id="groups"><tr><th>{}</th><th>value</th><th>cities included</th><th>withheld in</th></tr>"#,
                    esc(&a.by)
                );
                for (g, (label, e)) in a.groups.iter().zip(&groups) {
                    let _ = write!(
                        page,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(label),
                        fmt_estimate(e, &a.unit, s),
                        g.cities.len(),
                        esc(&g.suppressed_in.join(", "))
                    );
                }
                page.push_str("</table>");
            }
            match &a.gap {
                Some(g) => {
                    let _ = write!(page, r#"<p id="gap">{}</p>"#, esc(&g.statement));
                }
                None => page.push_str("<p>Not enough published groups for a gap.</p>"),
            }
            page.push_str("</section>");
            let _ = write!(page, "<section><h2>{}</h2>{}", s.trend, trend_chart(a, s));
            page.push_str(
                r#"<table id="trend"><tr><th>period</th><th>value</th><th>cities</th></tr>"#,
            );
            for t in &a.trend {
                let _ = write!(
                    page,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.period),
                    fmt_estimate(&t.estimate, &a.unit, s),
                    esc(&t.coverage.join(", "))
                );
            }
            page.push_str("</table></section>");

            let _ = write!(
                page,
                "<section><h2>{}</h2><p>Included: {}.</p><p>Missing: {}.</p><ul>",
                s.coverage,
                esc(&a.coverage.included.join(", ")),
                if a.coverage.missing.is_empty() {
                    "none".into()
                } else {
                    esc(&a.coverage.missing.join(", "))
                }
            );
            for n in &a.coverage.not_yet_published {
                let _ = write!(
                    page,
                    "<li>{}: not yet published for {} (latest: {})</li>",
                    esc(&n.city),
                    esc(&a.period),
                    esc(&n.latest)
                );
            }
            for st in &a.coverage.stale {
                let since = st
                    .since_unix_ms
                    .map(|t| format!(", last sync {} s ago", (clock::now_unix_ms() - t) / 1000))
                    .unwrap_or_default();
                let _ =
                    write!(page, "<li>{}: stale, {}{since}</li>", esc(&st.city), esc(&st.reason));
            }
            for f in &a.coverage.flagged {
                let _ = write!(
                    page,
                    r#"<li class="flag">{}: {} its log holds evidence of {}</li>"#,
                    esc(&f.city),
                    if f.included {
                        "included by this node's setting although"
                    } else {
                        "left out of every value:"
                    },
                    esc(&f.evidence.join(", "))
                );
            }
            let _ = write!(
                page,
                "</ul><p>{} suppressed cells in the releases used (withheld, never filled in).</p></section>",
                a.coverage.suppressed_cells
            );

            let _ = write!(
                page,
                r#"<section><h2>{}</h2><table id="provenance"><tr><th>origin</th><th>log record</th><th>record hash</th><th>signer</th><th>method</th></tr>"#,
                s.provenance
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
            page.push_str("</table>");
            if a.cities.iter().any(|c| c.estimate.margin_of_error.is_some()) {
                page.push_str(r#"<p id="post-processing">Shown values of releases with noise: the ratio of the published sums, moved into its valid range (0 to 100% for a share, non-negative for a rate) with its 95% interval clipped likewise; post-processing of what was published, at no further privacy cost. The numerators and denominators are shown as released.</p>"#);
            }
            page.push_str("</section>");
        }
    }
    let _ = write!(
        page,
        r#"<section><h2>{}</h2><table id="federation"><tr><th>member</th><th>reachable</th><th>last sync</th><th>records</th><th>lag</th><th>flags</th></tr>"#,
        s.federation
    );
    for row in peer_rows(node) {
        let flags: Vec<String> = row["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(esc)).collect())
            .unwrap_or_default();
        let since = match (row["is_self"].as_bool(), row["seconds_since_sync"].as_i64()) {
            (Some(true), _) => "this node".to_owned(),
            (_, Some(s)) => format!("{s} s ago"),
            _ => "never".to_owned(),
        };
        let _ = write!(
            page,
            r#"<tr><td>{} {}</td><td>{}</td><td>{since}</td><td>{}</td><td>{}</td><td class="flag">{}</td></tr>"#,
            esc(row["id"].as_str().unwrap_or_default()),
            esc(row["name"].as_str().unwrap_or_default()),
            if row["reachable"].as_bool() == Some(true) { "yes" } else { "no" },
            row["records_held"],
            row["lag"],
            flags.join(", ")
        );
    }
    // The exports hold what is on screen: indicator, breakdown, series and period.
    let (period, series) = answer.map(|a| (a.period.clone(), a.series.clone())).unwrap_or_default();
    let export = format!(
        "/api/v1/query?indicator={}&amp;by={}&amp;series={}&amp;period={}",
        esc(&spec.id),
        esc(&q.by),
        esc(&series),
        esc(&period)
    );
    let _ = write!(
        page,
        r#"</table></section><footer><p><a href="/artefacts">Policy artefacts</a> · Data: signed releases verified at this node; every log in the C2SP formats under <a href="/log/">/log/</a>. Export what is shown: <a href="{export}&amp;format=csv">CSV</a> · <a href="{export}&amp;format=sdmx-csv">SDMX-CSV</a> · <a href="{export}">JSON</a> · <a href="{export}&amp;format=bundle">proof bundle</a> (check it offline with <code>metronode verify-bundle</code>)</p></footer></main></body></html>"#
    );
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
pub async fn artefacts_page(node: &Arc<Node>, f: &super::ArtefactFilter) -> String {
    let all = super::list_artefacts(node, &super::ArtefactFilter::default()).await;
    let shown: Vec<_> = super::list_artefacts(node, f).await;
    let mut page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Policy artefacts · metronode</title><style>{STYLE}</style></head><body><header><h1>Policy artefacts</h1><p>{} · <a href="/" style="color:#fff">indicators</a></p></header><main>"#,
        esc(&node.card.name)
    );
    let cities: std::collections::BTreeSet<String> = all.iter().map(|a| a.origin.clone()).collect();
    let select = |name: &str, label: &str, current: &str, options: Vec<(String, String)>| {
        let mut s = format!(
            r#"<label for="{name}">{label}<select id="{name}" name="{name}"><option value="">all</option>"#
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
        "City",
        &f.city,
        cities.iter().map(|c| (c.clone(), c.clone())).collect(),
    ));
    page.push_str(&select(
        "type",
        "Type",
        &f.artefact_type,
        crate::artefact::TYPES
            .iter()
            .map(|(_, c, label)| (c.to_string(), label.to_string()))
            .collect(),
    ));
    page.push_str(&select(
        "rights_area",
        "Rights area",
        &f.rights_area,
        crate::artefact::RIGHTS_AREAS
            .iter()
            .map(|r| (r.to_string(), r.replace('_', " ")))
            .collect(),
    ));
    let langs: std::collections::BTreeSet<String> =
        all.iter().flat_map(|a| a.publication.clone().unwrap_or_default().languages).collect();
    page.push_str(&select(
        "language",
        "Language",
        &f.language,
        langs.into_iter().map(|l| (l.clone(), l)).collect(),
    ));
    page.push_str(r#"<button type="submit">Show</button></form>"#);

    page.push_str(r#"<section><h2>Library</h2><table id="library"><tr><th>city</th><th>type</th><th>title</th><th>languages</th><th>document status</th><th>version in the log</th><th>verification</th><th>document</th></tr>"#);
    for a in &shown {
        let p = a.publication.clone().unwrap_or_default();
        let badge = if a.body_verified {
            format!(
                "signed by {} (record {}), SHA-256 {}… verified",
                esc(&a.origin),
                a.seq,
                &hex::encode(&p.body_sha256)[..12]
            )
        } else {
            format!("signed by {} (record {}); document not fetched yet", esc(&a.origin), a.seq)
        };
        let state = if a.withdrawal_reason.is_empty() {
            esc(&a.state)
        } else {
            format!("{} ({})", esc(&a.state), esc(&a.withdrawal_reason))
        };
        let link = if a.body_verified {
            format!(
                r#"<a href="/api/v1/artefacts/{}/{}/download">download {} ({} bytes)</a>"#,
                esc(&a.origin),
                a.seq,
                esc(&p.media_type),
                p.body_size
            )
        } else {
            String::new()
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{badge}</td><td>{link}</td></tr>",
            esc(&a.origin),
            esc(crate::artefact::type_label(&p.artefact_type)),
            esc(&p.title),
            esc(&p.languages.join(", ")),
            esc(&document_status(&p.metadata_json).replace('_', " "))
        );
    }
    page.push_str("</table></section>");

    // Policy matrix: which city has which kind of current artefact.
    page.push_str(r#"<section><h2>Policy matrix</h2><p>Current versions (neither superseded nor withdrawn) of each type, per city.</p><table id="matrix"><tr><th>city</th>"#);
    for (_, _, label) in crate::artefact::TYPES {
        let _ = write!(page, "<th>{}</th>", esc(label));
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
                if n == 0 { "—".to_owned() } else { format!("{n} current") }
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table></section></main></body></html>");
    page
}
