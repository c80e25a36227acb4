//! Policy artefacts: types, metadata validation (DCAT-AP core fields, rights-area vocabularies,
//! and the fields each type requires, including the Eurocities algorithmic transparency
//! standard for register entries), the commented metadata template of each type, safe file
//! names, media-type sniffing, and the state of each artefact (current, superseded, withdrawn)
//! from the records.
//!
//! One table of fields per type drives both the validator and the template, so the two cannot
//! disagree. Validation reports every missing or wrong field of a file at once.
//!
//! Pure: checks text and bytes it is given.
//!
//! Submodules: `fields` (types, vocabularies and field tables), `template` (the commented
//! templates), `state` (current, superseded, withdrawn); their public items are re-exported here.

mod fields;
mod state;
mod template;

pub use fields::{
    ALGORITHM_STATUSES, ATS, CC4DR_PRINCIPLES, COMMON, DOCUMENT_STATUSES, Field, Kind,
    RIGHTS_AREAS, TYPES, details_fields, type_code, type_label,
};
pub use state::{Event, State, states};
pub use template::{Fill, template};

use serde_json::Value;

/// One field that is not acceptable: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata field `{field}`: {message}")]
pub struct MetadataError {
    /// The dotted field name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Metadata that is not acceptable: every field at fault, in the file's order of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The fields at fault (at least one).
    pub errors: Vec<MetadataError>,
}

impl Invalid {
    /// The names of the fields at fault.
    pub fn fields(&self) -> Vec<&str> {
        self.errors.iter().map(|e| e.field.as_str()).collect()
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} metadata fields are missing or wrong:", many.len())?;
                for e in many {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Invalid {}

impl From<MetadataError> for Invalid {
    fn from(e: MetadataError) -> Self {
        Invalid { errors: vec![e] }
    }
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

fn unknown_type(name: &str) -> MetadataError {
    err(
        "type",
        format!(
            "unknown artefact type `{}`; use one of {}",
            shown(name),
            TYPES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
        ),
    )
}

/// At most 40 characters of a value, for an error message.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Whether text is still one of the template's `<…>` placeholders.
fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.len() >= 2 && t.starts_with('<') && t.ends_with('>')
}

fn text(v: Option<&Value>, name: &str) -> Result<String, MetadataError> {
    match v {
        Some(Value::String(s)) if is_placeholder(s) => Err(err(
            name,
            format!("still holds the template's placeholder {}: fill it in", shown(s)),
        )),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(err(name, "must not be empty")),
        Some(_) => Err(err(name, "must be a string")),
        None => Err(err(name, "is required")),
    }
}

fn list(v: Option<&Value>, name: &str) -> Result<Vec<String>, MetadataError> {
    let Some(Value::Array(a)) = v else {
        return Err(err(name, if v.is_some() { "must be a list" } else { "is required" }));
    };
    let mut out = Vec::with_capacity(a.len());
    for item in a {
        match item {
            Value::String(s) if is_placeholder(s) => {
                return Err(err(
                    name,
                    format!("still holds the template's placeholder {}: fill it in", shown(s)),
                ));
            }
            Value::String(s) => out.push(s.clone()),
            _ => return Err(err(name, "must be a list of strings")),
        }
    }
    Ok(out)
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return false;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn is_language(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase())
}

fn not_a_language(s: &str) -> String {
    format!("`{}` is not an ISO 639-1 code (two lower-case letters, e.g. en)", shown(s))
}

fn ensure(ok: bool, name: &str, why: impl FnOnce() -> String) -> Result<(), MetadataError> {
    if ok { Ok(()) } else { Err(err(name, why())) }
}

/// Checks one field's value (absent: `None`) under its dotted `name`.
fn check(
    f: &Field,
    v: Option<&Value>,
    name: &str,
    indicators: &[String],
) -> Result<(), MetadataError> {
    if v.is_none() && !f.required {
        return Ok(());
    }
    match f.kind {
        Kind::Text => text(v, name).map(drop),
        Kind::ShortText(max) => {
            let n = text(v, name)?.chars().count();
            if n > max {
                return Err(err(name, format!("at most {max} characters (it has {n})")));
            }
            Ok(())
        }
        Kind::Date => {
            let s = text(v, name)?;
            ensure(is_date(&s), name, || {
                format!(
                    "`{}` is not a date: write YYYY-MM-DD (ISO 8601), e.g. 2025-03-01",
                    shown(&s)
                )
            })
        }
        Kind::Email => {
            let s = text(v, name)?;
            match s.split_once('@') {
                Some((a, b))
                    if !a.is_empty() && b.contains('.') && !s.contains(char::is_whitespace) =>
                {
                    Ok(())
                }
                _ => Err(err(name, format!("`{}` is not an e-mail address", shown(&s)))),
            }
        }
        Kind::Language => {
            let s = text(v, name)?;
            ensure(is_language(&s), name, || not_a_language(&s))
        }
        Kind::Languages => {
            let l = list(v, name)?;
            if l.is_empty() {
                return Err(err(name, "needs at least one ISO 639-1 code"));
            }
            match l.iter().find(|s| !is_language(s)) {
                Some(bad) => Err(err(name, not_a_language(bad))),
                None => Ok(()),
            }
        }
        Kind::OneOf(allowed) => {
            let s = text(v, name)?;
            if allowed.contains(&s.as_str()) {
                return Ok(());
            }
            // The two status vocabularies, told apart where one is used for the other.
            let hint = if name == "status" && ALGORITHM_STATUSES.contains(&s.as_str()) {
                " (an algorithm's lifecycle stage such as this goes in details.status of an algorithm-register entry; status is the document's own)"
            } else if name == "details.status" && DOCUMENT_STATUSES.contains(&s.as_str()) {
                " (a document status such as this goes in the top-level status; details.status is the algorithm's lifecycle stage)"
            } else {
                ""
            };
            Err(err(name, format!("`{}` is not one of {}{hint}", shown(&s), allowed.join(", "))))
        }
        Kind::Exactly(want) => {
            let s = text(v, name)?;
            if s == want {
                Ok(())
            } else {
                Err(err(name, format!("must be \"{want}\", not `{}`", shown(&s))))
            }
        }
        Kind::ListOf(vocab) => {
            let l = list(v, name)?;
            if l.is_empty() {
                return Err(err(name, format!("needs at least one of {}", vocab.join(", "))));
            }
            match l.iter().find(|s| !vocab.contains(&s.as_str())) {
                Some(bad) => {
                    Err(err(name, format!("`{}` is not one of {}", shown(bad), vocab.join(", "))))
                }
                None => Ok(()),
            }
        }
        Kind::Indicators => match list(v, name)?.iter().find(|r| !indicators.contains(r)) {
            Some(bad) => {
                Err(err(name, format!("`{}` is not an indicator of the catalogue", shown(bad))))
            }
            None => Ok(()),
        },
        Kind::Id => {
            let id = text(v, name)?;
            if id.len() > 80
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err(name, "must be 1 to 80 letters, digits, - or _"));
            }
            Ok(())
        }
        Kind::Commitments => {
            let Some(Value::Array(items)) =
                v.filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            else {
                return Err(err(
                    name,
                    "needs at least one commitment, a table with commitment_id and text",
                ));
            };
            for (i, item) in items.iter().enumerate() {
                let Value::Object(c) = item else {
                    return Err(err(
                        &format!("{name}[{i}]"),
                        "must be a table with commitment_id and text",
                    ));
                };
                for key in ["commitment_id", "text"] {
                    text(c.get(key), &format!("{name}[{i}].{key}"))?;
                }
            }
            Ok(())
        }
    }
}

/// Parses and checks a metadata file (TOML) for an artefact of `artefact_type` titled `title`.
/// `indicators` are the catalogue's ids (links must name one). Every field at fault is
/// reported, in the template's order; only a file that is not TOML at all stops at that.
pub fn validate(
    artefact_type: &str,
    title: &str,
    toml_text: &str,
    indicators: &[String],
) -> Result<Metadata, Invalid> {
    let code = type_code(artefact_type).ok_or_else(|| unknown_type(artefact_type))?;
    let table: toml::Table = toml::from_str(toml_text)
        .map_err(|e| err("(file)", format!("not valid TOML: {}", e.message().trim())))?;
    let Value::Object(mut m) =
        serde_json::to_value(&table).map_err(|e| err("(file)", e.to_string()))?
    else {
        return Err(err("(file)", "not a table").into());
    };
    let mut errors = Vec::new();
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 || title.chars().any(char::is_control) {
        errors.push(err("title", "must be 1 to 300 printable characters"));
    }
    for f in COMMON {
        errors.extend(check(f, m.get(f.name), f.name, indicators).err());
    }
    let fields = details_fields(code);
    match m.get("details") {
        Some(Value::Object(d)) => {
            for f in fields {
                errors.extend(
                    check(f, d.get(f.name), &format!("details.{}", f.name), indicators).err(),
                );
            }
        }
        Some(_) => errors.push(err("details", "must be a table")),
        None if fields.is_empty() => {}
        None => {
            for f in fields.iter().filter(|f| f.required) {
                errors.push(err(&format!("details.{}", f.name), "is required"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Invalid { errors });
    }
    // Every field below was checked above.
    let strings = |field: &str| list(m.get(field), field).unwrap_or_default();
    let (languages, rights_areas, cc4dr_principles, related_indicators) = (
        strings("language"),
        strings("rights_areas"),
        strings("cc4dr_principles"),
        strings("related_indicators"),
    );
    let id = match m.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => slug(title),
    };
    m.insert("title".into(), Value::String(title.into()));
    m.insert("artefact_type".into(), Value::String(code.into()));
    m.insert("id".into(), Value::String(id.clone()));
    Ok(Metadata {
        id,
        artefact_type: code.into(),
        title: title.into(),
        languages,
        rights_areas,
        cc4dr_principles,
        related_indicators,
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

#[cfg(test)]
mod tests;
