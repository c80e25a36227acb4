//! Tests of district boundaries: what is accepted, every refusal named where it is, and the
//! simplification and projection used for drawing.

use super::*;

fn file(features: &str) -> Vec<u8> {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
}

fn square(code: &str, ring: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"code":"{code}","name":"Centre"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
    )
}

const SQUARE: &str = "[[4.3,50.8],[4.4,50.8],[4.4,50.9],[4.3,50.9],[4.3,50.8]]";

#[test]
fn a_honeycomb_of_the_demo_is_accepted_whole() {
    let districts: Vec<(String, String)> =
        (1..=19).map(|i| (format!("BEBRU-{i:05}"), format!("District {i}"))).collect();
    let text = honeycomb(&districts, (4.35, 50.85));
    let b = parse("BEBRU", text.as_bytes()).unwrap();
    assert_eq!(b.districts.len(), 19);
    assert_eq!(b.districts[3].code, "BEBRU-00004");
    assert_eq!(b.districts[3].name, "District 4");
    let paths = project(&b, 300.0, 200.0);
    assert_eq!(paths.len(), 19);
    for (_, path) in &paths {
        for xy in path.split(['M', 'L', 'Z']).filter(|s| !s.is_empty()) {
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!((-0.1..=300.1).contains(&x) && (-0.1..=200.1).contains(&y), "{xy}");
        }
    }
}

#[test]
fn every_refusal_names_the_feature_and_the_place_in_it() {
    let cases = [
        (
            square("BEBRU-1", "[[4.3,50.8],[4.4,50.8],[4.4,50.9],[4.3,50.9]]"),
            "features[0] (BEBRU-1).geometry.coordinates[0]: ring not closed",
        ),
        (
            square("IEDUB-1", SQUARE),
            "features[0].properties.code: `IEDUB-1` is not a district code of BEBRU",
        ),
        (
            format!("{},{}", square("BEBRU-1", SQUARE), square("BEBRU-1", SQUARE)),
            "features[1] (BEBRU-1).properties.code: appears twice",
        ),
        (
            square("BEBRU-2", "[[4.3,50.8],[4.4,50.9],[4.4,50.8],[4.3,50.9],[4.3,50.8]]"),
            "features[0] (BEBRU-2).geometry.coordinates[0]: ring crosses itself",
        ),
        (
            square("BEBRU-3", "[[4.3,50.8],[4.4,95.0],[4.4,50.9],[4.3,50.8]]"),
            "features[0] (BEBRU-3).geometry.coordinates[0][1]: [4.4, 95] is not a longitude and latitude",
        ),
        (square("BEBRU-4", "[[4.3,50.8],[4.4,50.8],[4.3,50.8]]"), "at least 4 positions"),
        (
            square("BEBRU-5", SQUARE).replace("\"Polygon\"", "\"Point\""),
            "features[0] (BEBRU-5).geometry.type: must be \"Polygon\" or \"MultiPolygon\"",
        ),
        (
            square("BEBRU-6", SQUARE).replace("\"name\":\"Centre\"", "\"name\":\"\""),
            "features[0] (BEBRU-6).properties.name",
        ),
    ];
    for (features, expected) in cases {
        let e = parse("BEBRU", &file(&features)).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}\nexpected {expected}");
    }
    let e = parse("BEBRU", b"{\"type\": \"FeatureCollection\",\n \"features\": [}").unwrap_err();
    assert!(e.to_string().starts_with("line 2, column"), "{e}");
    assert!(parse("BEBRU", br#"{"type":"Feature"}"#).unwrap_err().to_string().starts_with("type:"));
}

#[test]
fn a_position_repeated_at_once_is_one_corner() {
    let ring = "[[4.3,50.8],[4.4,50.8],[4.4,50.8],[4.4,50.9],[4.3,50.9],[4.3,50.8]]";
    let b = parse("BEBRU", &file(&square("BEBRU-1", ring))).unwrap();
    assert_eq!(b.districts[0].polygons[0][0].len(), 5);
}

#[test]
fn a_multipolygon_with_a_hole_is_accepted() {
    let outer = "[[4.0,50.0],[5.0,50.0],[5.0,51.0],[4.0,51.0],[4.0,50.0]]";
    let hole = "[[4.4,50.4],[4.6,50.4],[4.6,50.6],[4.4,50.6],[4.4,50.4]]";
    let f = format!(
        r#"{{"type":"Feature","properties":{{"code":"BEBRU-9","name":"Two parts"}},"geometry":{{"type":"MultiPolygon","coordinates":[[{outer},{hole}],[{SQUARE}]]}}}}"#
    );
    let b = parse("BEBRU", &file(&f)).unwrap();
    assert_eq!(b.districts[0].polygons.len(), 2);
    assert_eq!(b.districts[0].polygons[0].len(), 2);
    let (_, path) = &project(&b, 100.0, 100.0)[0];
    assert_eq!(path.matches('M').count(), 3, "{path}");
}

#[test]
fn simplification_drops_what_a_reader_cannot_see_and_keeps_a_ring() {
    let mut circle: Vec<(f64, f64)> = (0..1000)
        .map(|i| {
            let a = i as f64 / 1000.0 * std::f64::consts::TAU;
            (a.cos(), a.sin())
        })
        .collect();
    circle.push(circle[0]);
    let coarse = simplify(&circle, 0.01);
    assert!(coarse.len() < 60 && coarse.len() >= 4, "{}", coarse.len());
    assert_eq!(coarse.first(), coarse.last());
    assert!(simplify(&circle, 10.0).len() >= 4);
    assert_eq!(simplify(&circle, 0.0).len(), circle.len());
}

#[test]
fn a_file_too_fine_to_check_is_refused_asking_for_simplification() {
    let mut ring: Vec<String> = (0..MAX_RING + 1)
        .map(|i| {
            let a = i as f64 / (MAX_RING + 1) as f64 * std::f64::consts::TAU;
            format!("[{:.6},{:.6}]", 4.35 + 0.01 * a.cos(), 50.85 + 0.01 * a.sin())
        })
        .collect();
    ring.push(ring[0].clone());
    let features = square("BEBRU-1", &format!("[{}]", ring.join(",")));
    let e = parse("BEBRU", &file(&features)).unwrap_err().to_string();
    assert!(e.contains("positions; at most 10000 (simplify the boundaries)"), "{e}");
}
