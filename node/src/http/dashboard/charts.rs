//! The dashboard's charts as inline SVG (bars with margins of error, the trend line) and the words around them.

use super::*;

pub(super) fn fmt_estimate(e: &Estimate, unit: &str, lang: Lang) -> String {
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
pub(super) fn group_label(
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
pub(super) fn name_list(lang: Lang, names: Vec<String>) -> String {
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
pub(super) fn gap_statement(
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
pub(super) fn bars(
    id: &str,
    title: &str,
    items: &[(String, &Estimate)],
    unit: &str,
    lang: Lang,
) -> String {
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
pub(super) fn trend_chart(a: &Answer, lang: Lang) -> String {
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
