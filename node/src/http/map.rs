//! The district map: one indicator over every district of every member, drawn server-side as
//! SVG from the district boundaries each city published (an artefact, signed and replicated like
//! the others): one panel per city, classes by quantile, colours that follow the indicator's
//! polarity, withheld districts hatched, and the same figures in a table.

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{Arc, Mutex, OnceLock},
};

use super::dashboard::esc;
use crate::{
    aggregate::{Answer, unit_scale},
    catalogue::{Indicator, Polarity},
    geo::Boundaries,
    i18n::{Arg, Lang},
    node::Node,
};

/// Panel size, in SVG units.
const PANEL: f64 = 300.0;

/// Sequential palettes (ColorBrewer Blues and Purples), light to dark.
const BLUES: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const PURPLES: [&str; 5] = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];

/// The districts the federation's members published, read once per document.
#[derive(Default)]
pub(super) struct Districts {
    /// Per city with current, verified boundaries: its id and its districts.
    pub cities: Vec<(String, Arc<Boundaries>)>,
    /// Boundaries that could not be read: city and why.
    pub unreadable: Vec<(String, String)>,
    /// District names by code.
    pub names: HashMap<String, String>,
}

type Parsed = Result<Arc<Boundaries>, String>;

/// Parsed boundaries by city and body hash.
type Cache = Mutex<HashMap<(String, [u8; 32]), Parsed>>;

/// Parsed boundaries by city and body hash: a document is read and checked once.
fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The current district boundaries of every member whose document this node holds, checked
/// against the body hash its log signed and read as the publisher's own (a peer's file is
/// input like any other: one that does not parse is named, not drawn).
pub(super) fn districts(node: &Node) -> Districts {
    let mut out = Districts::default();
    let mut current: Vec<_> = crate::analysis::artefacts(node)
        .into_iter()
        .filter(|a| a.state == "current" && a.body_verified)
        .filter_map(|a| {
            let p = a.publication?;
            let hash = <[u8; 32]>::try_from(p.body_sha256.as_slice()).ok()?;
            (p.artefact_type == "district_boundaries").then_some((a.origin, a.seq, hash))
        })
        .collect();
    // One document per city: its latest current one.
    current.sort_by(|a, b| (&a.0, b.1).cmp(&(&b.0, a.1)));
    current.dedup_by(|a, b| a.0 == b.0);
    for (origin, _, hash) in current {
        let key = (origin.clone(), hash);
        let cached = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        let parsed = cached.unwrap_or_else(|| {
            let parsed = if node.blobs.verify(&hash) {
                std::fs::read(node.blobs.path(&hash))
                    .map_err(|e| e.to_string())
                    .and_then(|body| crate::geo::parse(&origin, &body).map_err(|e| e.to_string()))
                    .map(Arc::new)
            } else {
                Err("the document failed verification".into())
            };
            let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
            if c.len() > 256 {
                c.clear();
            }
            c.insert(key, parsed.clone());
            parsed
        });
        match parsed {
            Ok(b) => {
                for d in &b.districts {
                    out.names.insert(d.code.clone(), d.name.clone());
                }
                out.cities.push((origin, b));
            }
            Err(e) => out.unreadable.push((origin, e)),
        }
    }
    out
}

/// The hatching that marks a withheld district, as an SVG pattern with `id`.
fn hatch(id: &str) -> String {
    format!(
        r##"<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555" stroke-width="2"/></pattern></defs>"##
    )
}

/// The map section for `answer`, the indicator broken down by district.
pub(super) fn section(lang: Lang, spec: &Indicator, answer: &Answer, d: &Districts) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let name = lang.indicator_name(&spec.id, &spec.name);
    let title = lang.t("map-title", &[("indicator", Arg::Text(&name))]);
    let mut out = format!(r#"<section id="map"><h2>{}</h2>"#, t("map"));
    for (city, error) in &d.unreadable {
        let text =
            lang.t("map-unreadable", &[("city", Arg::Text(city)), ("error", Arg::Text(error))]);
        let _ = write!(out, r#"<p class="flag">{}</p>"#, esc(&text));
    }
    if d.cities.is_empty() {
        let _ = write!(out, "<p>{}</p></section>", t("map-none"));
        return out;
    }
    let (scale, _) = unit_scale(&answer.unit);
    let values: HashMap<&str, &crate::aggregate::Estimate> =
        answer.groups.iter().map(|g| (g.value.as_str(), &g.estimate)).collect();

    // Classes: quantiles of the published values, at most five.
    let mut shown: Vec<f64> = values.values().filter(|e| e.published).map(|e| e.value).collect();
    shown.sort_by(f64::total_cmp);
    let mut distinct = shown.clone();
    distinct.dedup_by(|a, b| (*a * scale * 10.0).round() == (*b * scale * 10.0).round());
    let k = distinct.len().clamp(1, 5);
    let thresholds: Vec<f64> = (1..k).map(|i| shown[i * shown.len() / k]).collect();
    let class_of = |v: f64| thresholds.iter().filter(|t| **t <= v).count();
    let polarity = spec.polarity_of(&answer.series);
    let palette = if polarity == Polarity::Neutral { PURPLES } else { BLUES };
    // Darkest is best served where a direction is better; highest otherwise.
    let colour = |class: usize| {
        let step = if k > 1 { class * 4 / (k - 1) } else { 4 };
        let step = if polarity == Polarity::LowerIsBetter { 4 - step } else { step };
        palette[step]
    };

    // What a district shows in its tooltip and in the table.
    let value_text = |code: &str| match values.get(code) {
        Some(e) if e.published => lang.in_unit(e.value, &answer.unit),
        Some(_) => lang.t("map-withheld", &[]),
        None => lang.t("map-no-data", &[]),
    };

    out.push_str(r#"<div class="maps">"#);
    for (city, b) in &d.cities {
        let city_name = answer
            .cities
            .iter()
            .find(|c| &c.city == city)
            .map_or_else(|| city.clone(), |c| format!("{} {}", c.city, c.name));
        let id = format!("map-{}", city.to_ascii_lowercase());
        let _ = write!(
            out,
            r##"<figure class="map"><svg role="img" aria-labelledby="{id}-t" width="100%" style="max-width:{PANEL}px" viewBox="0 0 {PANEL} {PANEL}"><title id="{id}-t">{}: {}</title>{}"##,
            esc(&city_name),
            esc(&title),
            hatch(&format!("{id}-hatch"))
        );
        for (code, path) in crate::geo::project(b, PANEL, PANEL) {
            let district = d.names.get(&code).map_or(code.as_str(), String::as_str);
            let fill = match values.get(code.as_str()) {
                Some(e) if e.published => colour(class_of(e.value)).to_owned(),
                Some(_) => format!("url(#{id}-hatch)"),
                None => "#fff".to_owned(),
            };
            let value = value_text(&code);
            let _ = write!(
                out,
                r##"<path d="{path}" fill="{fill}" fill-rule="evenodd" stroke="#333" stroke-width="0.6" data-code="{}"><title>{} ({}): {}</title></path>"##,
                esc(&code),
                esc(district),
                esc(&code),
                esc(&value)
            );
        }
        let _ = write!(out, "</svg><figcaption>{}</figcaption></figure>", esc(&city_name));
    }
    out.push_str("</div>");

    // The legend: one swatch per class with its range, then withheld and no data.
    let swatch = |fill: &str, hatched: bool| {
        let pattern = if hatched { hatch("legend-hatch") } else { String::new() };
        format!(
            r##"<svg width="18" height="18" aria-hidden="true">{pattern}<rect width="18" height="18" fill="{fill}" stroke="#333"/></svg>"##
        )
    };
    out.push_str(r#"<ul class="legend">"#);
    for class in 0..k {
        let members: Vec<f64> = shown.iter().copied().filter(|v| class_of(*v) == class).collect();
        let (Some(lo), Some(hi)) = (members.first(), members.last()) else { continue };
        let (low, high) = (lang.in_unit(*lo, &answer.unit), lang.in_unit(*hi, &answer.unit));
        let text = lang.t("map-class", &[("low", Arg::Text(&low)), ("high", Arg::Text(&high))]);
        let _ = write!(out, "<li>{} {}</li>", swatch(colour(class), false), esc(&text));
    }
    let _ = write!(
        out,
        "<li>{} {}</li><li>{} {}</li></ul>",
        swatch("url(#legend-hatch)", true),
        t("map-withheld"),
        swatch("#fff", false),
        t("map-no-data")
    );
    let reading = if polarity == Polarity::Neutral { "map-higher" } else { "map-better" };
    let _ = write!(out, "<p>{}</p>", t(reading));

    // The same figures as a table.
    let columns = ["col-city", "col-district", "col-name", "col-value"];
    out.push_str(&super::dashboard::table_start("map-table", &title, &columns, lang));
    for (city, b) in &d.cities {
        for district in &b.districts {
            let value = value_text(&district.code);
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(city),
                esc(&district.code),
                esc(&district.name),
                esc(&value)
            );
        }
    }
    out.push_str("</table></div></section>");
    out
}
