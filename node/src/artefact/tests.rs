//! Tests for `artefact`: required metadata named when missing, type-specific fields, safe file
//! names, sniffing, and supersession and withdrawal states.

use super::*;

const BASE: &str = r#"
description = "Commitments of the city"
language = ["fr", "nl"]
issued = "2023-10-16"
status = "adopted"
license = "CC-BY-4.0"
contact_email = "digital@brussels.example"
rights_areas = ["inclusion_equality_equity"]
cc4dr_principles = ["access_and_literacy"]
related_indicators = ["DRI-USE-01"]
"#;

fn ids() -> Vec<String> {
    vec!["DRI-USE-01".into()]
}

#[test]
fn a_complete_policy_validates_and_keeps_its_fields() {
    let m = validate("policy", "Open data policy 2024", BASE, &ids()).unwrap();
    assert_eq!((m.id.as_str(), m.artefact_type.as_str()), ("open-data-policy-2024", "policy"));
    let json: serde_json::Value = serde_json::from_str(&m.json).unwrap();
    assert_eq!(json["license"], "CC-BY-4.0");
    assert_eq!(json["title"], "Open data policy 2024");
}

#[test]
fn missing_or_wrong_fields_are_named() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("policy", BASE.replace("description = \"Commitments of the city\"\n", ""), "description"),
        ("policy", BASE.replace("[\"fr\", \"nl\"]", "[\"french\"]"), "language"),
        ("policy", BASE.replace("2023-10-16", "16/10/2023"), "issued"),
        ("policy", BASE.replace("\"adopted\"", "\"final\""), "status"),
        ("policy", BASE.replace("digital@brussels.example", "nobody"), "contact_email"),
        ("policy", BASE.replace("inclusion_equality_equity", "fun"), "rights_areas"),
        ("policy", BASE.replace("[\"access_and_literacy\"]", "[]"), "cc4dr_principles"),
        ("policy", BASE.replace("DRI-USE-01", "DRI-XXX-99"), "related_indicators"),
        ("charter", BASE.to_owned(), "details.adopted_by"),
        ("algorithm-register-entry", BASE.to_owned(), "details.standard_version"),
        ("dpia", BASE.to_owned(), "details.processing_description"),
        ("procurement-clause", BASE.to_owned(), "details.clause_family"),
        ("open-data-policy", BASE.to_owned(), "details.default_license"),
        ("training-module", BASE.to_owned(), "details.audience"),
    ];
    for (ty, text, field) in cases {
        let e = validate(ty, "T", &text, &ids()).unwrap_err();
        assert_eq!(e.field, field, "{ty}: {e}");
        assert!(e.to_string().starts_with(&format!("metadata field `{field}`")));
    }
    assert_eq!(validate("poster", "T", BASE, &ids()).unwrap_err().field, "type");
    assert_eq!(validate("policy", " ", BASE, &ids()).unwrap_err().field, "title");
    assert_eq!(validate("policy", "T", "not = = toml", &ids()).unwrap_err().field, "(file)");
}

#[test]
fn an_algorithm_register_entry_needs_the_eurocities_fields() {
    let mut details = String::from("[details]\n");
    for f in ATS_REQUIRED {
        let v = match *f {
            "standard_version" => "0.3.1",
            "status" => "operational",
            "risk_category" => "high risk",
            "algorithm_type" => "rule-based",
            "type" => "predictive",
            "contact_email" => "algo@sofia.example",
            _ => "stated",
        };
        details.push_str(&format!("{f} = \"{v}\"\n"));
    }
    let full = format!("{BASE}{details}");
    validate("algorithm-register-entry", "Parking permits", &full, &ids()).unwrap();
    let e = validate(
        "algorithm-register-entry",
        "P",
        &full.replace("objection_procedure = \"stated\"\n", ""),
        &ids(),
    )
    .unwrap_err();
    assert_eq!(e.field, "details.objection_procedure");
    let long = full.replace(
        "description_short = \"stated\"",
        &format!("description_short = \"{}\"", "x".repeat(151)),
    );
    assert_eq!(
        validate("algorithm-register-entry", "P", &long, &ids()).unwrap_err().field,
        "details.description_short"
    );
}

#[test]
fn file_names_are_data_never_paths() {
    for ok in ["charter.pdf", "Charte numérique 2023.pdf", "a.b.c"] {
        check_file_name(ok).unwrap();
    }
    for bad in [
        "../../etc/passwd",
        "..",
        "dir/file.pdf",
        "c:\\x.pdf",
        "",
        "a\u{0}b",
        "evil\n.pdf",
        "x..pdf",
    ] {
        assert!(check_file_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn media_types_are_sniffed_from_the_bytes() {
    assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
    assert_eq!(sniff(b"  <!DOCTYPE html><script>"), "text/html");
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
    assert_eq!(sniff(b"plain words"), "text/plain");
    assert_eq!(sniff(&[0, 159, 146, 150, 255]), "application/octet-stream");
}

#[test]
fn versions_supersede_and_withdrawals_stick() {
    let events = vec![
        Event::Published { seq: 3, id: "charter".into(), supersedes: None },
        Event::Published { seq: 5, id: "register".into(), supersedes: None },
        Event::Published { seq: 8, id: "charter".into(), supersedes: Some(3) },
        Event::Withdrawn { id: "register".into(), reason: "system retired".into() },
    ];
    let s = states(&events);
    assert_eq!(s[&3].0, "superseded");
    assert_eq!(s[&8].0, "current");
    assert_eq!(s[&5], ("withdrawn".into(), "system retired".into()));
}
