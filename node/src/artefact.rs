//! Policy artefacts: types, metadata validation (DCAT-AP core fields, rights-area vocabularies,
//! and the fields each type requires, including the Eurocities algorithmic transparency
//! standard for register entries), safe file names, media-type sniffing, and the state of each
//! artefact (current, superseded, withdrawn) from the records.
//!
//! Pure: checks text and bytes it is given.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Artefact types: the CLI's name and the catalogue code.
pub const TYPES: &[(&str, &str)] = &[
    ("charter", "digital_rights_charter"),
    ("policy", "policy"),
    ("algorithm-register-entry", "algorithm_register_entry"),
    ("dpia", "dpia"),
    ("procurement-clause", "procurement_clause_set"),
    ("open-data-policy", "open_data_policy"),
    ("training-module", "capacity_building_module"),
];

/// The seed text's digital-rights areas.
pub const RIGHTS_AREAS: &[&str] = &[
    "privacy_safety_security_protection",
    "public_engagement_participation",
    "public_goods_open_infrastructure",
    "inclusion_equality_equity",
    "freedom_autonomy_control_self_determination",
    "transparency_accountability",
    "diversity_of_experience",
];

/// The Cities Coalition for Digital Rights' five principles.
pub const CC4DR_PRINCIPLES: &[&str] = &[
    "access_and_literacy",
    "privacy_data_protection_security",
    "transparency_accountability_non_discrimination",
    "participatory_democracy_diversity_inclusion",
    "open_ethical_service_standards",
];

const STATUSES: &[&str] =
    &["draft", "consultation", "adopted", "in_force", "superseded", "repealed", "retired"];

/// The Eurocities Algorithmic Transparency Standard 0.3.1 required fields.
pub const ATS_REQUIRED: &[&str] = &[
    "standard_version",
    "lang",
    "publication_date",
    "last_change_date",
    "revision_date",
    "name",
    "organization",
    "department",
    "country",
    "contact_email",
    "description_short",
    "status",
    "decision_making_process",
    "domain",
    "area",
    "goal",
    "impact",
    "risks",
    "risk_category",
    "proportionality",
    "lawful_basis",
    "training_data",
    "source_data",
    "connected_data_sources",
    "algorithm_type",
    "type",
    "monitoring",
    "human_intervention",
    "objection_procedure",
];

/// A metadata file that is not acceptable: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata field `{field}`: {message}")]
pub struct MetadataError {
    /// The dotted field name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> MetadataError {
    MetadataError { field: field.into(), message: message.into() }
}

/// The checked metadata of one artefact version.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Stable id across versions.
    pub id: String,
    /// Catalogue type code.
    pub artefact_type: String,
    /// Title.
    pub title: String,
    /// ISO 639-1 languages.
    pub languages: Vec<String>,
    /// Rights areas.
    pub rights_areas: Vec<String>,
    /// CC4DR principles.
    pub cc4dr_principles: Vec<String>,
    /// Related indicator ids.
    pub related_indicators: Vec<String>,
    /// Everything, as JSON, for the record.
    pub json: String,
}

/// The catalogue code of a type given by CLI name or code.
pub fn type_code(name: &str) -> Option<&'static str> {
    TYPES.iter().find(|(cli, code)| *cli == name || *code == name).map(|(_, code)| *code)
}

fn text(m: &Map<String, Value>, field: &str) -> Result<String, MetadataError> {
    match m.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(err(field, "must not be empty")),
        Some(_) => Err(err(field, "must be a string")),
        None => Err(err(field, "is required")),
    }
}

fn list(m: &Map<String, Value>, field: &str, required: bool) -> Result<Vec<String>, MetadataError> {
    match m.get(field) {
        Some(Value::Array(a)) => {
            let out: Vec<String> = a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
            if out.len() != a.len() {
                return Err(err(field, "must be a list of strings"));
            }
            if required && out.is_empty() {
                return Err(err(field, "needs at least one value"));
            }
            Ok(out)
        }
        Some(_) => Err(err(field, "must be a list")),
        None if required => Err(err(field, "is required")),
        None => Ok(Vec::new()),
    }
}

fn date(m: &Map<String, Value>, field: &str) -> Result<(), MetadataError> {
    let s = text(m, field)?;
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok { Ok(()) } else { Err(err(field, "must be an ISO 8601 date (YYYY-MM-DD)")) }
}

fn one_of(m: &Map<String, Value>, field: &str, allowed: &[&str]) -> Result<(), MetadataError> {
    let v = text(m, field)?;
    if allowed.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(err(field, format!("must be one of {}", allowed.join(", "))))
    }
}

fn email(m: &Map<String, Value>, field: &str) -> Result<(), MetadataError> {
    let v = text(m, field)?;
    match v.split_once('@') {
        Some((a, b)) if !a.is_empty() && b.contains('.') && !v.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(err(field, "must be an e-mail address")),
    }
}

/// Parses and checks a metadata file (TOML) for an artefact of `artefact_type` titled `title`.
/// `indicators` are the catalogue's ids (links must name one).
pub fn validate(
    artefact_type: &str,
    title: &str,
    toml_text: &str,
    indicators: &[String],
) -> Result<Metadata, MetadataError> {
    let code = type_code(artefact_type).ok_or_else(|| {
        err(
            "type",
            format!(
                "unknown artefact type `{}`; use one of {}",
                artefact_type.chars().take(40).collect::<String>(),
                TYPES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 || title.chars().any(char::is_control) {
        return Err(err("title", "must be 1 to 300 printable characters"));
    }
    let table: toml::Table = toml::from_str(toml_text)
        .map_err(|e| err("(file)", format!("not valid TOML: {}", e.message().trim())))?;
    let Value::Object(mut m) =
        serde_json::to_value(&table).map_err(|e| err("(file)", e.to_string()))?
    else {
        return Err(err("(file)", "not a table"));
    };
    m.insert("title".into(), Value::String(title.into()));
    m.insert("artefact_type".into(), Value::String(code.into()));

    // DCAT-AP core, required for every type.
    text(&m, "description")?;
    let languages = list(&m, "language", true)?;
    if let Some(bad) =
        languages.iter().find(|l| l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
    {
        return Err(err("language", format!("`{bad}` is not an ISO 639-1 code")));
    }
    date(&m, "issued")?;
    one_of(&m, "status", STATUSES)?;
    text(&m, "license")?;
    email(&m, "contact_email")?;
    let rights_areas = list(&m, "rights_areas", true)?;
    if let Some(bad) = rights_areas.iter().find(|r| !RIGHTS_AREAS.contains(&r.as_str())) {
        return Err(err(
            "rights_areas",
            format!("`{bad}` is not one of {}", RIGHTS_AREAS.join(", ")),
        ));
    }
    let cc4dr = list(&m, "cc4dr_principles", true)?;
    if let Some(bad) = cc4dr.iter().find(|r| !CC4DR_PRINCIPLES.contains(&r.as_str())) {
        return Err(err(
            "cc4dr_principles",
            format!("`{bad}` is not one of {}", CC4DR_PRINCIPLES.join(", ")),
        ));
    }
    let related = list(&m, "related_indicators", false)?;
    if let Some(bad) = related.iter().find(|r| !indicators.contains(r)) {
        return Err(err(
            "related_indicators",
            format!("`{bad}` is not an indicator of the catalogue"),
        ));
    }
    let id = match m.get("id") {
        Some(_) => {
            let id = text(&m, "id")?;
            if id.len() > 80
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err("id", "must be 1 to 80 letters, digits, - or _"));
            }
            id
        }
        None => slug(title),
    };

    // Type-specific fields, under [details].
    let details = match m.get("details") {
        Some(Value::Object(d)) => d.clone(),
        Some(_) => return Err(err("details", "must be a table")),
        None => Map::new(),
    };
    let d = |f: &str| format!("details.{f}");
    let need = |f: &str| text(&details, f).map(|_| ()).map_err(|e| err(&d(f), e.message));
    match code {
        "digital_rights_charter" => {
            need("adopted_by")?;
            date(&details, "adopted_on").map_err(|e| err(&d("adopted_on"), e.message))?;
            match details.get("commitments") {
                Some(Value::Array(a)) if !a.is_empty() => {}
                _ => return Err(err(&d("commitments"), "needs at least one commitment")),
            }
        }
        "algorithm_register_entry" => {
            for f in ATS_REQUIRED {
                need(f)?;
            }
            if details.get("standard_version").and_then(Value::as_str) != Some("0.3.1") {
                return Err(err(&d("standard_version"), "must be \"0.3.1\" (Eurocities ATS)"));
            }
            if text(&details, "description_short")?.chars().count() > 150 {
                return Err(err(&d("description_short"), "at most 150 characters"));
            }
            one_of(
                &details,
                "status",
                &[
                    "planned",
                    "design",
                    "development",
                    "pilot",
                    "evaluation",
                    "operational",
                    "retired",
                ],
            )
            .map_err(|e| err(&d("status"), e.message))?;
            one_of(
                &details,
                "risk_category",
                &["minimal risk", "limited risk", "high risk", "unacceptable"],
            )
            .map_err(|e| err(&d("risk_category"), e.message))?;
            one_of(&details, "algorithm_type", &["self-learning", "rule-based", "hybrid"])
                .map_err(|e| err(&d("algorithm_type"), e.message))?;
            one_of(&details, "type", &["descriptive", "diagnostic", "predictive", "prescriptive"])
                .map_err(|e| err(&d("type"), e.message))?;
            email(&details, "contact_email").map_err(|e| err(&d("contact_email"), e.message))?;
        }
        "dpia" => {
            for f in [
                "processing_description",
                "necessity_proportionality",
                "risk_assessment",
                "mitigations",
            ] {
                need(f)?;
            }
            one_of(&details, "publication_level", &["full", "summary", "not_public"])
                .map_err(|e| err(&d("publication_level"), e.message))?;
        }
        "procurement_clause_set" => {
            one_of(
                &details,
                "clause_family",
                &["eu_mcc_ai_high_risk", "eu_mcc_ai_non_high_risk", "amsterdam_2021", "local"],
            )
            .map_err(|e| err(&d("clause_family"), e.message))?;
            need("clause_version")?;
        }
        "open_data_policy" => {
            need("default_license")?;
            need("portal_url")?;
        }
        "capacity_building_module" => {
            one_of(&details, "audience", &["staff", "youth", "community"])
                .map_err(|e| err(&d("audience"), e.message))?;
            need("modality")?;
        }
        _ => {}
    }
    m.insert("id".into(), Value::String(id.clone()));
    Ok(Metadata {
        id,
        artefact_type: code.into(),
        title: title.into(),
        languages,
        rights_areas,
        cc4dr_principles: cc4dr,
        related_indicators: related,
        json: Value::Object(m).to_string(),
    })
}

fn slug(title: &str) -> String {
    let mut s: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-');
    let s: String = s.chars().take(80).collect();
    if s.is_empty() { "artefact".into() } else { s }
}

/// Checks a document's file name: data only, so no directories, no `..`, nothing unprintable.
pub fn check_file_name(name: &str) -> Result<(), MetadataError> {
    let bad = name.is_empty()
        || name.len() > 200
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.contains("..")
        || name.chars().any(char::is_control);
    if bad {
        Err(err(
            "file_name",
            "must be a plain file name: no directories, `..` or control characters",
        ))
    } else {
        Ok(())
    }
}

/// The media type of a document, from its first bytes (never trusted from the uploader).
pub fn sniff(head: &[u8]) -> &'static str {
    let lower: Vec<u8> = head.iter().take(512).map(u8::to_ascii_lowercase).collect();
    let trimmed =
        lower.iter().position(|b| !b.is_ascii_whitespace()).map_or(&lower[..], |i| &lower[i..]);
    if head.starts_with(b"%PDF-") {
        "application/pdf"
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if head.starts_with(b"PK\x03\x04") {
        "application/zip"
    } else if trimmed.starts_with(b"<!doctype html") || trimmed.starts_with(b"<html") {
        "text/html"
    } else if trimmed.starts_with(b"<?xml") || trimmed.starts_with(b"<svg") {
        "application/xml"
    } else if trimmed.starts_with(b"{") && std::str::from_utf8(head).is_ok() {
        "application/json"
    } else if std::str::from_utf8(head).is_ok()
        || std::str::from_utf8(&head[..head.len().saturating_sub(3)]).is_ok()
    {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// A publication or withdrawal as read from one city's log.
#[derive(Debug, Clone)]
pub enum Event {
    /// A version published at a log position.
    Published {
        /// Log position.
        seq: u64,
        /// Artefact id.
        id: String,
        /// The version it replaces.
        supersedes: Option<u64>,
    },
    /// A withdrawal at a log position.
    Withdrawn {
        /// Artefact id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// The state of every published version of one city: `current`, `superseded` or `withdrawn`
/// (with the reason), by log position.
pub fn states(events: &[Event]) -> BTreeMap<u64, (String, String)> {
    let mut latest: BTreeMap<String, u64> = BTreeMap::new();
    let mut out: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for e in events {
        match e {
            Event::Published { seq, id, .. } => {
                if let Some(prev) = latest.insert(id.clone(), *seq) {
                    out.insert(prev, ("superseded".into(), String::new()));
                }
                out.insert(*seq, ("current".into(), String::new()));
            }
            Event::Withdrawn { id, reason } => {
                if let Some(seq) = latest.get(id) {
                    out.insert(*seq, ("withdrawn".into(), reason.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
