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

use std::collections::BTreeMap;

use serde_json::Value;

/// Artefact types: the CLI's `--type` name, the catalogue code, and the label people read on
/// the artefacts page (the CLI name's words).
pub const TYPES: &[(&str, &str, &str)] = &[
    ("digital-rights-charter", "digital_rights_charter", "digital rights charter"),
    ("policy", "policy", "policy"),
    ("algorithm-register-entry", "algorithm_register_entry", "algorithm register entry"),
    ("dpia", "dpia", "DPIA (data protection impact assessment)"),
    ("procurement-clause-set", "procurement_clause_set", "procurement clause set"),
    ("open-data-policy", "open_data_policy", "open data policy"),
    ("capacity-building-module", "capacity_building_module", "capacity building module"),
    ("district-boundaries", "district_boundaries", "district boundaries (GeoJSON)"),
];

/// Earlier CLI names, still accepted.
const ALIASES: &[(&str, &str)] = &[
    ("charter", "digital_rights_charter"),
    ("procurement-clause", "procurement_clause_set"),
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

/// The document's own status (adms:status): where the text stands in its adoption.
pub const DOCUMENT_STATUSES: &[&str] =
    &["draft", "consultation", "adopted", "in_force", "superseded", "repealed", "retired"];

/// An algorithm's lifecycle stage (the Eurocities ATS `status`), under `details.status` of an
/// algorithm-register entry: where the system stands, not the document.
pub const ALGORITHM_STATUSES: &[&str] =
    &["planned", "design", "development", "pilot", "evaluation", "operational", "retired"];

/// The ATS policy domains, verbatim from the standard (its spelling included).
const ATS_DOMAINS: &[&str] = &[
    "taxes",
    "housing, living and living environment",
    "culture, sports and leisure",
    "defence",
    "economy and entrepreneurship",
    "family, youth and households",
    "finance",
    "generic",
    "health and health care",
    "immigration and integration",
    "international collaboration and development aid",
    "agriculture, nature and food",
    "environment, spacial planning and water",
    "education and science",
    "public safety",
    "government",
    "justice",
    "travel, living and working abroad",
    "subsidies, benefits and allowances",
    "traffic and transportation",
    "work and career",
];

/// What a field holds, and so how it is checked and shown in the template.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Non-empty text.
    Text,
    /// Non-empty text of at most this many characters.
    ShortText(usize),
    /// An ISO 8601 calendar date, `YYYY-MM-DD`.
    Date,
    /// An e-mail address.
    Email,
    /// One ISO 639-1 language code.
    Language,
    /// A list of ISO 639-1 language codes, at least one.
    Languages,
    /// One value of a vocabulary.
    OneOf(&'static [&'static str]),
    /// Exactly this value.
    Exactly(&'static str),
    /// A list of values of a vocabulary, at least one.
    ListOf(&'static [&'static str]),
    /// A list of the catalogue's indicator ids.
    Indicators,
    /// A stable id: 1 to 80 letters, digits, `-` or `_`.
    Id,
    /// A list of commitments, each a table with `commitment_id` and `text`.
    Commitments,
}

/// One metadata field: its name (under `[details]` for a type's own), what it holds, whether
/// it is required, and what it means for the person filling it in.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The TOML key.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether the file must have it.
    pub required: bool,
    /// One line for the template.
    pub help: &'static str,
    /// A valid example value, as TOML.
    pub example: &'static str,
}

const fn req(name: &'static str, kind: Kind, help: &'static str, example: &'static str) -> Field {
    Field { name, kind, required: true, help, example }
}

const fn opt(name: &'static str, kind: Kind, help: &'static str, example: &'static str) -> Field {
    Field { name, kind, required: false, help, example }
}

/// The DCAT-AP core, for every type.
pub const COMMON: &[Field] = &[
    req(
        "description",
        Kind::Text,
        "What the document is and does.",
        r#""Commitments of the city on digital inclusion, with 2030 targets""#,
    ),
    req(
        "language",
        Kind::Languages,
        "The document's languages, ISO 639-1 codes.",
        r#"["fr", "nl"]"#,
    ),
    req("issued", Kind::Date, "When the document was issued.", r#""2025-03-01""#),
    req(
        "status",
        Kind::OneOf(DOCUMENT_STATUSES),
        "The document's own status, where the text stands in its adoption (an algorithm's lifecycle stage goes in details.status).",
        r#""adopted""#,
    ),
    req("license", Kind::Text, "The licence the document is published under.", r#""CC-BY-4.0""#),
    req(
        "contact_email",
        Kind::Email,
        "Who answers questions about it.",
        r#""digital@city.example""#,
    ),
    req(
        "rights_areas",
        Kind::ListOf(RIGHTS_AREAS),
        "The digital-rights areas it serves, at least one.",
        r#"["inclusion_equality_equity"]"#,
    ),
    req(
        "cc4dr_principles",
        Kind::ListOf(CC4DR_PRINCIPLES),
        "The Cities Coalition for Digital Rights principles it serves, at least one.",
        r#"["access_and_literacy"]"#,
    ),
    opt(
        "related_indicators",
        Kind::Indicators,
        "Indicators of the catalogue it links to.",
        r#"["DRI-USE-01"]"#,
    ),
    opt(
        "id",
        Kind::Id,
        "A stable id across versions (default: from the title); a new version with the same id supersedes the old one.",
        r#""city-digital-rights-charter""#,
    ),
];

const CHARTER: &[Field] = &[
    req(
        "adopted_by",
        Kind::Text,
        "The body that adopted it, with the decision's reference.",
        r#""City council, decision 2023/117""#,
    ),
    req("adopted_on", Kind::Date, "When it was adopted.", r#""2023-10-16""#),
    req(
        "commitments",
        Kind::Commitments,
        "The commitments, at least one: commitment_id and text, optionally rights_area, target_indicator_id, target_value, target_year.",
        r#"[{ commitment_id = "C1", text = "Basic digital skills for 80% of residents by 2030" }]"#,
    ),
];

/// The Eurocities Algorithmic Transparency Standard 0.3.1's required fields.
pub const ATS: &[Field] = &[
    req("standard_version", Kind::Exactly("0.3.1"), "The Eurocities ATS version.", r#""0.3.1""#),
    req("lang", Kind::Language, "The entry's language, ISO 639-1.", r#""en""#),
    req("publication_date", Kind::Date, "When the entry was first published.", r#""2025-03-01""#),
    req("last_change_date", Kind::Date, "When the entry last changed.", r#""2025-03-01""#),
    req("revision_date", Kind::Date, "When the entry is due for review.", r#""2026-03-01""#),
    req("name", Kind::Text, "The system's name.", r#""Parking permit allocation""#),
    req("organization", Kind::Text, "The organisation responsible.", r#""City of Sofia""#),
    req("department", Kind::Text, "The department responsible.", r#""Mobility""#),
    req("country", Kind::Text, "The organisation's country.", r#""Bulgaria""#),
    req(
        "contact_email",
        Kind::Email,
        "Who answers questions about the system.",
        r#""algorithms@city.example""#,
    ),
    req(
        "description_short",
        Kind::ShortText(150),
        "What the system does, in at most 150 characters.",
        r#""Ranks permit applications by need""#,
    ),
    req(
        "status",
        Kind::OneOf(ALGORITHM_STATUSES),
        "The system's lifecycle stage (not the document's status, which is the top-level status).",
        r#""operational""#,
    ),
    req(
        "decision_making_process",
        Kind::Text,
        "Which decisions it supports, and how.",
        r#""Proposes a ranking an officer confirms""#,
    ),
    req(
        "domain",
        Kind::OneOf(ATS_DOMAINS),
        "The policy domain.",
        r#""traffic and transportation""#,
    ),
    req("area", Kind::Text, "The area within the domain.", r#""Parking""#),
    req("goal", Kind::Text, "Why the system is used.", r#""Shorter waiting times""#),
    req("impact", Kind::Text, "Its impact on residents.", r#""Decides the order of permits""#),
    req("risks", Kind::Text, "Its risks.", r#""Bias against applicants without a fixed address""#),
    req(
        "risk_category",
        Kind::OneOf(&["minimal risk", "limited risk", "high risk", "unacceptable"]),
        "The AI Act risk category.",
        r#""limited risk""#,
    ),
    req(
        "proportionality",
        Kind::Text,
        "Why the use is proportionate.",
        r#""Rules only; every ranking reviewed""#,
    ),
    req(
        "lawful_basis",
        Kind::Text,
        "The legal basis.",
        r#""Municipal parking regulation, art. 12""#,
    ),
    req(
        "training_data",
        Kind::Text,
        "The data it was trained on (\"none\" for a rule-based system).",
        r#""None: rule-based""#,
    ),
    req("source_data", Kind::Text, "The data it reads.", r#""Permit applications""#),
    req(
        "connected_data_sources",
        Kind::Text,
        "The registers it is connected to.",
        r#""Population register""#,
    ),
    req(
        "algorithm_type",
        Kind::OneOf(&["self-learning", "rule-based", "hybrid"]),
        "How the algorithm is made.",
        r#""rule-based""#,
    ),
    req(
        "type",
        Kind::OneOf(&["descriptive", "diagnostic", "predictive", "prescriptive"]),
        "What the algorithm does.",
        r#""prescriptive""#,
    ),
    req("monitoring", Kind::Text, "How it is monitored.", r#""Quarterly review of rankings""#),
    req(
        "human_intervention",
        Kind::Text,
        "Where a person decides.",
        r#""An officer confirms every permit""#,
    ),
    req(
        "objection_procedure",
        Kind::Text,
        "How a resident objects.",
        r#""Objection to the mobility department within 6 weeks""#,
    ),
];

const DPIA: &[Field] = &[
    req(
        "processing_description",
        Kind::Text,
        "The processing and its purposes (GDPR art. 35(7)(a)).",
        r#""Survey of digital inclusion""#,
    ),
    req(
        "necessity_proportionality",
        Kind::Text,
        "Necessity and proportionality (art. 35(7)(b)).",
        r#""Aggregates only leave the city""#,
    ),
    req(
        "risk_assessment",
        Kind::Text,
        "The risks to people's rights (art. 35(7)(c)).",
        r#""Re-identification in small cells""#,
    ),
    req(
        "mitigations",
        Kind::Text,
        "The measures against them (art. 35(7)(d)).",
        r#""Thresholds and secondary suppression""#,
    ),
    req(
        "publication_level",
        Kind::OneOf(&["full", "summary", "not_public"]),
        "How much of the assessment is public.",
        r#""summary""#,
    ),
];

const PROCUREMENT: &[Field] = &[
    req(
        "clause_family",
        Kind::OneOf(&["eu_mcc_ai_high_risk", "eu_mcc_ai_non_high_risk", "amsterdam_2021", "local"]),
        "The model clauses the set follows.",
        r#""eu_mcc_ai_high_risk""#,
    ),
    req("clause_version", Kind::Text, "Their version.", r#""2023-09""#),
];

const OPEN_DATA: &[Field] = &[
    req(
        "default_license",
        Kind::Text,
        "The licence data is published under by default.",
        r#""CC-BY-4.0""#,
    ),
    req(
        "portal_url",
        Kind::Text,
        "The open-data portal (DCAT catalogue).",
        r#""https://data.city.example""#,
    ),
];

const CAPACITY: &[Field] = &[
    req(
        "audience",
        Kind::OneOf(&["staff", "youth", "community"]),
        "Who the module is for.",
        r#""staff""#,
    ),
    req("modality", Kind::Text, "How it is taught.", r#""online""#),
];

/// The fields a type requires under `[details]`, by catalogue code.
pub fn details_fields(code: &str) -> &'static [Field] {
    match code {
        "digital_rights_charter" => CHARTER,
        "algorithm_register_entry" => ATS,
        "dpia" => DPIA,
        "procurement_clause_set" => PROCUREMENT,
        "open_data_policy" => OPEN_DATA,
        "capacity_building_module" => CAPACITY,
        _ => &[],
    }
}

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

/// The catalogue code of a type given by CLI name (or an earlier one) or code.
pub fn type_code(name: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(cli, code, _)| *cli == name || *code == name)
        .map(|(_, code, _)| *code)
        .or_else(|| ALIASES.iter().find(|(alias, _)| *alias == name).map(|(_, code)| *code))
}

/// The label people read for a catalogue code (the code itself if unknown).
pub fn type_label(code: &str) -> &str {
    TYPES.iter().find(|(_, c, _)| *c == code).map_or(code, |(_, _, label)| label)
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

/// What a template's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// `<…>` placeholders the validator refuses until they are replaced (what people get).
    Placeholders,
    /// Valid example values (what the tests parse back).
    Examples,
}

fn placeholder(kind: Kind, example: &str) -> String {
    match kind {
        Kind::Text | Kind::Id => r#""<text>""#.into(),
        Kind::ShortText(max) => format!(r#""<text, at most {max} characters>""#),
        Kind::Date => r#""<YYYY-MM-DD>""#.into(),
        Kind::Email => r#""<name@example.org>""#.into(),
        Kind::Language => r#""<ISO 639-1 code, e.g. en>""#.into(),
        Kind::Languages => r#"["<ISO 639-1 code, e.g. en>"]"#.into(),
        Kind::OneOf(_) => r#""<one of the values above>""#.into(),
        Kind::Exactly(_) | Kind::Indicators => example.into(),
        Kind::ListOf(_) => r#"["<one or more of the values above>"]"#.into(),
        Kind::Commitments => {
            r#"[{ commitment_id = "<id, e.g. C1>", text = "<the commitment>" }]"#.into()
        }
    }
}

fn field_lines(out: &mut String, f: &Field, fill: Fill) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "\n# {}", f.help);
    match f.kind {
        Kind::OneOf(values) => {
            let _ = writeln!(out, "# One of: {}.", values.join(" | "));
        }
        Kind::ListOf(values) => {
            let _ = writeln!(out, "# Any of: {}.", values.join(" | "));
        }
        _ => {}
    }
    match (f.required, fill) {
        (true, Fill::Placeholders) => {
            let _ = writeln!(out, "{} = {}", f.name, placeholder(f.kind, f.example));
        }
        (false, Fill::Placeholders) => {
            let _ =
                writeln!(out, "# Optional; remove the # to use it.\n# {} = {}", f.name, f.example);
        }
        (_, Fill::Examples) => {
            let _ = writeln!(out, "{} = {}", f.name, f.example);
        }
    }
}

/// The commented metadata template of a type (by CLI name or code): every field, what it
/// means, its allowed values. `None` for an unknown type.
pub fn template(artefact_type: &str, fill: Fill) -> Option<String> {
    let code = type_code(artefact_type)?;
    let (cli, _, label) = TYPES.iter().find(|(_, c, _)| *c == code)?;
    let mut out = format!(
        "# Metadata of a {label}, for\n#   metronode publish --type {cli} --title \"…\" --metadata THIS_FILE DOCUMENT\n# Replace every <…>: the node names every field still missing or wrong, all in one answer.\n"
    );
    for f in COMMON {
        field_lines(&mut out, f, fill);
    }
    let fields = details_fields(code);
    if !fields.is_empty() {
        out.push_str(if code == "algorithm_register_entry" {
            "\n# The Eurocities Algorithmic Transparency Standard 0.3.1's required fields.\n[details]\n"
        } else {
            "\n# The fields of this type.\n[details]\n"
        });
        for f in fields {
            field_lines(&mut out, f, fill);
        }
    }
    Some(out)
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

/// The state of one published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The latest version of its artefact, not withdrawn.
    Current,
    /// A later version of the same artefact was published.
    Superseded,
    /// Withdrawn, with the city's reason.
    Withdrawn(String),
}

impl State {
    /// The word the API and the pages use: `current`, `superseded` or `withdrawn`.
    pub fn label(&self) -> &'static str {
        match self {
            State::Current => "current",
            State::Superseded => "superseded",
            State::Withdrawn(_) => "withdrawn",
        }
    }

    /// The reason of a withdrawal; empty otherwise.
    pub fn reason(&self) -> &str {
        match self {
            State::Withdrawn(reason) => reason,
            _ => "",
        }
    }
}

/// The state of every published version of one city, by log position.
pub fn states(events: &[Event]) -> BTreeMap<u64, State> {
    let mut latest: BTreeMap<String, u64> = BTreeMap::new();
    let mut out: BTreeMap<u64, State> = BTreeMap::new();
    for e in events {
        match e {
            Event::Published { seq, id, .. } => {
                if let Some(prev) = latest.insert(id.clone(), *seq) {
                    out.insert(prev, State::Superseded);
                }
                out.insert(*seq, State::Current);
            }
            Event::Withdrawn { id, reason } => {
                if let Some(seq) = latest.get(id) {
                    out.insert(*seq, State::Withdrawn(reason.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
