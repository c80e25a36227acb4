//! District boundaries (pure): a city's GeoJSON checked as it is published (a FeatureCollection
//! of polygons, one per district, with the city's own codes and names; closed, simple rings of
//! valid coordinates), simplified for drawing (Douglas-Peucker), and projected into a panel.

use std::collections::BTreeSet;

use serde_json::Value;

/// Largest number of districts one city's boundaries may hold.
pub const MAX_DISTRICTS: usize = 2_000;

/// Largest number of positions in one ring: the check that a ring does not cross itself
/// compares every pair of its edges, so a ring of this size takes about a second; finer
/// boundaries are simplified before publishing (mapshaper, `ogr2ogr -simplify`).
pub const MAX_RING: usize = 10_000;

/// Largest number of positions in one city's file.
pub const MAX_POSITIONS: usize = 200_000;

/// One district: its code, its name, and its polygons (each an outer ring and its holes, as
/// longitude, latitude).
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// The city's district code (`BEBRU-21004`).
    pub code: String,
    /// Its name, as the city writes it.
    pub name: String,
    /// Polygons: rings, the first the outer one.
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

/// A city's districts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Boundaries {
    /// In the file's order.
    pub districts: Vec<District>,
}

/// What is wrong with a boundaries file, and where (a JSON path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {what}")]
pub struct Invalid {
    /// Where: `features[3] (BEBRU-21004).geometry.coordinates[0]`.
    pub at: String,
    /// What.
    pub what: String,
}

fn invalid(at: impl Into<String>, what: impl Into<String>) -> Invalid {
    Invalid { at: at.into(), what: what.into() }
}

/// Whether segments `a-b` and `c-d` cross or touch (sharing no end point).
fn segments_meet(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        let v = (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let on = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        r.0 >= p.0.min(q.0) && r.0 <= p.0.max(q.0) && r.1 >= p.1.min(q.1) && r.1 <= p.1.max(q.1)
    };
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if o1 != o2 && o3 != o4 && o1 * o2 <= 0 && o3 * o4 <= 0 && (o1 != 0 || o2 != 0) {
        return true;
    }
    (o1 == 0 && on(a, b, c))
        || (o2 == 0 && on(a, b, d))
        || (o3 == 0 && on(c, d, a))
        || (o4 == 0 && on(c, d, b))
}

/// The first two edges of a closed ring that meet other than at their shared corner.
fn self_intersection(ring: &[(f64, f64)]) -> Option<(usize, usize)> {
    let n = ring.len() - 1;
    for i in 0..n {
        for j in i + 1..n {
            // Neighbouring edges share a corner; the last edge neighbours the first.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            if segments_meet(ring[i], ring[i + 1], ring[j], ring[j + 1]) {
                return Some((i, j));
            }
        }
    }
    None
}

fn ring(v: &Value, at: &str) -> Result<Vec<(f64, f64)>, Invalid> {
    let positions = v.as_array().ok_or_else(|| invalid(at, "a ring must be an array"))?;
    if positions.len() > MAX_RING {
        return Err(invalid(
            at,
            format!("{} positions; at most {MAX_RING} (simplify the boundaries)", positions.len()),
        ));
    }
    let mut out = Vec::with_capacity(positions.len());
    for (k, p) in positions.iter().enumerate() {
        let xy = p.as_array().filter(|a| a.len() >= 2);
        let (lon, lat) = match xy.map(|a| (a[0].as_f64(), a[1].as_f64())) {
            Some((Some(lon), Some(lat))) => (lon, lat),
            _ => return Err(invalid(format!("{at}[{k}]"), "a position is [longitude, latitude]")),
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(invalid(
                format!("{at}[{k}]"),
                format!("[{lon}, {lat}] is not a longitude and latitude (WGS 84 degrees)"),
            ));
        }
        out.push((lon, lat));
    }
    // A position repeated at once (common in exported files) is one corner, not an edge.
    out.dedup();
    if out.len() < 4 {
        return Err(invalid(at, "a ring needs at least 4 positions (a triangle and its close)"));
    }
    if out.first() != out.last() {
        return Err(invalid(at, "ring not closed: its last position must repeat its first"));
    }
    if let Some((i, j)) = self_intersection(&out) {
        return Err(invalid(at, format!("ring crosses itself: edges {i} and {j} meet")));
    }
    Ok(out)
}

fn polygon(v: &Value, at: &str) -> Result<Vec<Vec<(f64, f64)>>, Invalid> {
    let rings = v.as_array().filter(|r| !r.is_empty());
    let rings = rings.ok_or_else(|| invalid(at, "a polygon is a non-empty array of rings"))?;
    rings.iter().enumerate().map(|(i, r)| ring(r, &format!("{at}[{i}]"))).collect()
}

/// Reads and checks the GeoJSON boundaries of city `member`: every error names the feature and
/// the position in it.
pub fn parse(member: &str, body: &[u8]) -> Result<Boundaries, Invalid> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("line {}, column {}", e.line(), e.column()), "not JSON"))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(invalid("type", "must be \"FeatureCollection\""));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| invalid("features", "must be a non-empty array"))?;
    if features.len() > MAX_DISTRICTS {
        return Err(invalid(
            "features",
            format!("{} districts; at most {MAX_DISTRICTS}", features.len()),
        ));
    }
    let prefix = format!("{member}-");
    let mut seen = BTreeSet::new();
    let mut districts = Vec::with_capacity(features.len());
    let mut positions = 0;
    for (i, f) in features.iter().enumerate() {
        let props = f.get("properties");
        let text = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_str).map(str::trim);
        let code = match text("code") {
            Some(c) if c.starts_with(&prefix) && c.len() > prefix.len() && c.len() <= 64 => c,
            Some(c) => {
                return Err(invalid(
                    format!("features[{i}].properties.code"),
                    format!(
                        "`{}` is not a district code of {member} ({prefix}…)",
                        c.chars().take(64).collect::<String>()
                    ),
                ));
            }
            None => return Err(invalid(format!("features[{i}].properties.code"), "is required")),
        };
        let at = format!("features[{i}] ({code})");
        if !seen.insert(code.to_owned()) {
            return Err(invalid(format!("{at}.properties.code"), "appears twice"));
        }
        let name = match text("name") {
            Some(n)
                if !n.is_empty()
                    && n.chars().count() <= 200
                    && !n.chars().any(char::is_control) =>
            {
                n
            }
            _ => {
                return Err(invalid(
                    format!("{at}.properties.name"),
                    "must be 1 to 200 printable characters",
                ));
            }
        };
        let geometry =
            f.get("geometry").ok_or_else(|| invalid(format!("{at}.geometry"), "is required"))?;
        let coordinates = geometry.get("coordinates").unwrap_or(&Value::Null);
        let at = format!("{at}.geometry.coordinates");
        let polygons = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(coordinates, &at)?],
            Some("MultiPolygon") => {
                let parts = coordinates.as_array().filter(|p| !p.is_empty());
                let parts = parts.ok_or_else(|| {
                    invalid(&at, "a MultiPolygon is a non-empty array of polygons")
                })?;
                parts
                    .iter()
                    .enumerate()
                    .map(|(k, p)| polygon(p, &format!("{at}[{k}]")))
                    .collect::<Result<_, _>>()?
            }
            _ => {
                return Err(invalid(
                    format!("features[{i}] ({code}).geometry.type"),
                    "must be \"Polygon\" or \"MultiPolygon\"",
                ));
            }
        };
        positions += polygons.iter().flatten().map(Vec::len).sum::<usize>();
        districts.push(District { code: code.to_owned(), name: name.to_owned(), polygons });
        if positions > MAX_POSITIONS {
            return Err(invalid(
                format!("features[{i}] ({code})"),
                format!("the file holds over {MAX_POSITIONS} positions (simplify the boundaries)"),
            ));
        }
    }
    Ok(Boundaries { districts })
}

/// Douglas-Peucker: the ring with every point closer than `tolerance` to the line kept
/// dropped; a ring never falls below 4 positions.
pub fn simplify(ring: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    fn distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            ((p.0 - a.0).powi(2) + (p.1 - a.1).powi(2)).sqrt()
        } else {
            ((p.0 - a.0) * dy - (p.1 - a.1) * dx).abs() / len
        }
    }
    fn keep(points: &[(f64, f64)], tolerance: f64, out: &mut Vec<bool>, from: usize, to: usize) {
        if to <= from + 1 {
            return;
        }
        let (mut far, mut at) = (0.0, from);
        for (i, p) in points.iter().enumerate().take(to).skip(from + 1) {
            let d = distance(*p, points[from], points[to]);
            if d > far {
                (far, at) = (d, i);
            }
        }
        if far > tolerance {
            out[at] = true;
            keep(points, tolerance, out, from, at);
            keep(points, tolerance, out, at, to);
        }
    }
    if ring.len() <= 5 {
        return ring.to_vec();
    }
    // Split the closed ring at its middle so the two halves each have distinct ends.
    let mid = ring.len() / 2;
    let mut kept = vec![false; ring.len()];
    (kept[0], kept[mid], kept[ring.len() - 1]) = (true, true, true);
    keep(ring, tolerance, &mut kept, 0, mid);
    keep(ring, tolerance, &mut kept, mid, ring.len() - 1);
    let out: Vec<_> = ring.iter().zip(&kept).filter(|(_, k)| **k).map(|(p, _)| *p).collect();
    if out.len() < 4 { ring.to_vec() } else { out }
}

/// Projects a city's districts into a `width` × `height` panel: equirectangular about the
/// city's middle latitude, north up, aspect kept. Returns each district's SVG path
/// (`M … Z` per ring, for the even-odd rule), simplified to about a tenth of a pixel.
pub fn project(b: &Boundaries, width: f64, height: f64) -> Vec<(String, String)> {
    let points = b.districts.iter().flat_map(|d| d.polygons.iter().flatten().flatten());
    let (mut lo, mut hi) = ((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY));
    for &(x, y) in points {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    if !lo.0.is_finite() {
        return Vec::new();
    }
    let k = ((lo.1 + hi.1) / 2.0).to_radians().cos();
    let (w, h) = (((hi.0 - lo.0) * k).max(1e-9), (hi.1 - lo.1).max(1e-9));
    let scale = (width / w).min(height / h);
    let (ox, oy) = ((width - w * scale) / 2.0, (height - h * scale) / 2.0);
    let tolerance = 0.1 / scale;
    b.districts
        .iter()
        .map(|d| {
            let mut path = String::new();
            for ring in d.polygons.iter().flatten() {
                for (i, (x, y)) in simplify(ring, tolerance).iter().enumerate() {
                    let px = ox + (x - lo.0) * k * scale;
                    let py = oy + (hi.1 - y) * scale;
                    path.push_str(&format!("{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" }));
                }
                path.push('Z');
            }
            (d.code.clone(), path)
        })
        .collect()
}

/// Generated boundaries for a demo city: a honeycomb of hexagons about `centre` (longitude,
/// latitude), one per district, in the given order. Not the real shapes.
pub fn honeycomb(districts: &[(String, String)], centre: (f64, f64)) -> String {
    let n = districts.len().max(1);
    let cols = (n as f64).sqrt().ceil() as usize;
    let r = 0.012; // degrees of latitude, about 1.3 km
    let k = centre.1.to_radians().cos();
    let features: Vec<Value> = districts
        .iter()
        .enumerate()
        .map(|(i, (code, name))| {
            let (col, row) = ((i % cols) as f64, (i / cols) as f64);
            let cx = centre.0
                + (col * 1.732 * r + if row as usize % 2 == 1 { 0.866 * r } else { 0.0 }) / k
                - (cols as f64 * 1.732 * r / 2.0) / k;
            let cy = centre.1 - row * 1.5 * r + (n / cols) as f64 * 0.75 * r;
            let mut ring: Vec<Value> = (0..6)
                .map(|j| {
                    let a = (60.0 * j as f64 + 30.0).to_radians();
                    let (x, y) = (cx + r * a.cos() / k, cy + r * a.sin());
                    serde_json::json!([(x * 1e6).round() / 1e6, (y * 1e6).round() / 1e6])
                })
                .collect();
            ring.push(ring[0].clone());
            serde_json::json!({
                "type": "Feature",
                "properties": { "code": code, "name": name },
                "geometry": { "type": "Polygon", "coordinates": [ring] },
            })
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string()
}

#[cfg(test)]
mod tests;
