//! The field tables of policy artefacts: the types (CLI names, catalogue codes, labels), the
//! rights-area, principle and status vocabularies, and the fields each type requires (the
//! DCAT-AP core for all, the Eurocities algorithmic transparency standard for register entries),
//! which drive both the validator and the template.

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
