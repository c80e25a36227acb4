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
        ("policy", BASE.replace("2023-10-16", "2023-02-30"), "issued"),
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
        assert!(e.fields().contains(&field), "{ty}: {e}");
        assert!(e.to_string().contains(&format!("metadata field `{field}`")), "{e}");
    }
    assert_eq!(validate("poster", "T", BASE, &ids()).unwrap_err().fields(), ["type"]);
    assert_eq!(validate("policy", " ", BASE, &ids()).unwrap_err().fields(), ["title"]);
    assert_eq!(validate("policy", "T", "not = = toml", &ids()).unwrap_err().fields(), ["(file)"]);
}

#[test]
fn every_field_at_fault_is_reported_in_one_run() {
    // A bare register entry: the five DCAT-AP fields it lacks and every ATS field but none
    // twice, in the template's order.
    let bare = "description = \"d\"\nlanguage = [\"en\"]\nissued = \"someday\"\n[details]\nstatus = \"in_force\"\npublication_date = \"placeholder text\"\n";
    let e = validate("algorithm-register-entry", "Parking permits", bare, &ids()).unwrap_err();
    let fields = e.fields();
    let mut want =
        vec!["issued", "status", "license", "contact_email", "rights_areas", "cc4dr_principles"];
    let details: Vec<String> = ATS.iter().map(|f| format!("details.{}", f.name)).collect();
    want.extend(details.iter().map(String::as_str));
    assert_eq!(fields, want);
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{} metadata fields are missing or wrong:", want.len())),
        "{text}"
    );
    assert!(
        text.contains(
            "metadata field `details.publication_date`: `placeholder text` is not a date"
        ),
        "{text}"
    );
    // The two status vocabularies, each named where the other's value is used.
    assert!(text.contains("`in_force` is not one of planned,"), "{text}");
    assert!(text.contains("goes in the top-level status"), "{text}");
    let swapped = BASE.replace("\"adopted\"", "\"operational\"");
    let e = validate("policy", "T", &swapped, &ids()).unwrap_err();
    assert!(e.to_string().contains("goes in details.status"), "{e}");
}

#[test]
fn every_template_is_parsed_back_by_the_validator() {
    for (cli, code, _) in TYPES {
        // Filled with the examples, it validates, under either name.
        let filled = template(cli, Fill::Examples).unwrap();
        let m = validate(cli, "A title", &filled, &ids())
            .unwrap_or_else(|e| panic!("{cli}: {e}\n{filled}"));
        assert_eq!(m.artefact_type, *code);
        validate(code, "A title", &filled, &ids()).unwrap();
        // As printed, it is TOML the validator reads, and it names every required field still
        // to fill in, at once; fields with one possible value come filled.
        let blank = template(cli, Fill::Placeholders).unwrap();
        assert!(blank.contains(&format!("--type {cli} ")), "{blank}");
        let e = validate(cli, "A title", &blank, &ids()).unwrap_err();
        let mut want: Vec<String> =
            COMMON.iter().filter(|f| f.required).map(|f| f.name.to_owned()).collect();
        want.extend(
            details_fields(code).iter().filter(|f| !matches!(f.kind, Kind::Exactly(_))).map(|f| {
                match f.kind {
                    Kind::Commitments => format!("details.{}[0].commitment_id", f.name),
                    _ => format!("details.{}", f.name),
                }
            }),
        );
        assert_eq!(e.fields(), want, "{cli}");
        assert!(e.errors.iter().all(|e| e.message.contains("placeholder")), "{e}");
        // Every allowed value of a vocabulary is listed for the person filling it in.
        for f in COMMON.iter().chain(details_fields(code)) {
            if let Kind::OneOf(values) | Kind::ListOf(values) = f.kind {
                assert!(blank.contains(&values.join(" | ")), "{cli}: {}", f.name);
            }
        }
    }
    assert!(template("poster", Fill::Placeholders).is_none());
    // Earlier CLI names still work, and name the type's current name.
    assert!(
        template("charter", Fill::Placeholders).unwrap().contains("--type digital-rights-charter ")
    );
}

#[test]
fn cli_names_and_page_labels_are_the_same_words() {
    for (cli, code, label) in TYPES {
        assert_eq!(type_code(cli), Some(*code));
        assert_eq!(type_label(code), *label);
        let words = |s: &str| s.to_lowercase().replace(['-', '_'], " ");
        assert!(words(label).starts_with(&words(cli)), "{cli} / {label}");
    }
}

#[test]
fn an_algorithm_register_entry_needs_the_eurocities_fields() {
    let full = template("algorithm-register-entry", Fill::Examples).unwrap();
    validate("algorithm-register-entry", "Parking permits", &full, &ids()).unwrap();
    let without = full.replace("objection_procedure = ", "# objection_procedure = ");
    let e = validate("algorithm-register-entry", "P", &without, &ids()).unwrap_err();
    assert_eq!(e.fields(), ["details.objection_procedure"]);
    let long = full.replace(
        "description_short = \"Ranks permit applications by need\"",
        &format!("description_short = \"{}\"", "x".repeat(151)),
    );
    let e = validate("algorithm-register-entry", "P", &long, &ids()).unwrap_err();
    assert_eq!(e.fields(), ["details.description_short"]);
    assert!(e.to_string().contains("at most 150 characters (it has 151)"), "{e}");
    let bad_domain = full.replace("\"traffic and transportation\"", "\"parking\"");
    let e = validate("algorithm-register-entry", "P", &bad_domain, &ids()).unwrap_err();
    assert_eq!(e.fields(), ["details.domain"]);
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
    assert_eq!(s[&3], State::Superseded);
    assert_eq!(s[&8], State::Current);
    assert_eq!(s[&5], State::Withdrawn("system retired".into()));
    assert_eq!((s[&5].label(), s[&5].reason()), ("withdrawn", "system retired"));
}
