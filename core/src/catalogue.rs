//! The indicator catalogue and the microdata schema: loading the versioned data files, checking
//! every indicator against the columns it reads, and compiling its expressions.
//!
//! Pure: parses text it is given. The files shipped in `catalogue/` are embedded as defaults.

pub mod expr;

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

pub use expr::Expr;

/// The microdata schema shipped with this version.
pub const DEFAULT_SCHEMA: &str = include_str!("../../catalogue/microdata.toml");
/// The indicator catalogue shipped with this version.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../catalogue/indicators.toml");

/// A catalogue or schema that cannot be used, with what and where.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The file is not valid TOML or does not fit the format.
    #[error("{file}: {message}")]
    Parse {
        /// Which file.
        file: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// An indicator is wrong.
    #[error("{file}: indicator {id}: field `{field}`: {message}")]
    Indicator {
        /// Which file.
        file: String,
        /// The indicator id.
        id: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A dataset or column of the schema is wrong.
    #[error("{file}: dataset {dataset}: {message}")]
    Schema {
        /// Which file.
        file: String,
        /// The dataset.
        dataset: String,
        /// What is wrong.
        message: String,
    },
}

/// Whether a dataset describes people (disclosure control applies) or places and systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// Microdata about people: suppression and, where configured, noise apply.
    Survey,
    /// Aggregates or registers about places and systems: published exactly.
    Admin,
}

impl DatasetKind {
    /// Whether its rows are people: disclosure control, the budget and the weights apply. The
    /// one place a kind's treatment is decided, so a new kind is met by the compiler here.
    pub fn disclosure_controlled(self) -> bool {
        match self {
            DatasetKind::Survey => true,
            DatasetKind::Admin => false,
        }
    }
}

/// A column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// Opaque identifier: checked for presence, never published.
    Id,
    /// Survey weight, a non-negative decimal.
    Weight,
    /// A non-negative integer.
    Count,
    /// 0/1 or true/false.
    Bool,
    /// One of a fixed set of values.
    Enum(Vec<String>),
    /// A district code prefixed by the member id.
    District,
    /// An ISO 8601 date.
    Date,
}

/// One column of a dataset.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its header name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether indicators may be disaggregated by it.
    pub dimension: bool,
}

/// One dataset (one CSV layout).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Its name, as given to `ingest --dataset`.
    pub name: String,
    /// People or places.
    pub kind: DatasetKind,
    /// What a row is.
    pub description: String,
    /// Its columns.
    pub columns: Vec<Column>,
}

impl Dataset {
    /// Index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// How releases combine across cities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Sum numerators, sum denominators, divide.
    RatioOfSums,
    /// Sum the numerators.
    Sum,
    /// Per category, sum; shares as ratios of sums.
    CategoricalCounts,
}

impl Aggregation {
    /// The catalogue name.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::RatioOfSums => "ratio_of_sums",
            Aggregation::Sum => "sum",
            Aggregation::CategoricalCounts => "categorical_counts",
        }
    }
}

/// Which direction of an indicator's value is better for people: what "best served" and
/// "worst served" mean, and whether they mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// More is better (internet access, skills).
    HigherIsBetter,
    /// Less is better (never used the internet, digitally vulnerable).
    LowerIsBetter,
    /// Neither: values are compared, never ranked.
    Neutral,
}

impl Polarity {
    /// The catalogue name.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::HigherIsBetter => "higher_is_better",
            Polarity::LowerIsBetter => "lower_is_better",
            Polarity::Neutral => "neutral",
        }
    }

    /// From the catalogue name.
    pub fn parse(s: &str) -> Option<Self> {
        [Polarity::HigherIsBetter, Polarity::LowerIsBetter, Polarity::Neutral]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One numerator series of an indicator.
#[derive(Debug, Clone)]
pub struct Series {
    /// `_T` for the headline, otherwise the series code.
    pub code: String,
    /// The numerator measure.
    pub numerator: Expr,
    /// The series' own polarity, where it differs from the indicator's (a skill level below
    /// basic, a barrier reason).
    pub polarity: Option<Polarity>,
}

/// One indicator, checked against its dataset.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// Stable id, for example DRI-USE-01.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Definition.
    pub definition: String,
    /// Source standards.
    pub standard: String,
    /// Digital-rights areas.
    pub rights_areas: Vec<String>,
    /// The dataset it reads.
    pub dataset: String,
    /// The weight column, if any.
    pub weight: Option<String>,
    /// Rows that count at all.
    pub scope: Expr,
    /// The headline (if any) and other numerator series.
    pub series: Vec<Series>,
    /// The denominator measure.
    pub denominator: Expr,
    /// Display unit.
    pub unit: String,
    /// What the denominator counts.
    pub denominator_basis: String,
    /// Who is in scope, for people.
    pub scope_note: String,
    /// Columns it may be disaggregated by.
    pub disaggregations: Vec<String>,
    /// How it combines across cities.
    pub aggregation: Aggregation,
    /// Which direction is better (the headline's; a series may differ).
    pub polarity: Polarity,
}

impl Indicator {
    /// The polarity of a series (`_T` or empty: the headline).
    pub fn polarity_of(&self, series: &str) -> Polarity {
        self.series
            .iter()
            .find(|s| s.code == series)
            .and_then(|s| s.polarity)
            .unwrap_or(self.polarity)
    }

    /// Whether its denominator counts people or households (so a group is "served"), rather
    /// than datasets or systems.
    pub fn about_people(&self) -> bool {
        ["household", "person", "individual", "resident", "user", "inhabitant", "population"]
            .iter()
            .any(|w| self.denominator_basis.contains(w))
    }

    /// Every column the indicator reads.
    pub fn columns(&self) -> BTreeSet<String> {
        let mut cols = BTreeSet::new();
        self.scope.columns(&mut cols);
        self.denominator.columns(&mut cols);
        for s in &self.series {
            s.numerator.columns(&mut cols);
        }
        cols.extend(self.weight.iter().cloned());
        cols.extend(self.disaggregations.iter().cloned());
        cols
    }
}

/// The loaded schema and catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Catalogue version, stamped on every release.
    pub version: String,
    /// Schema version.
    pub schema_version: String,
    /// Datasets of the schema.
    pub datasets: Vec<Dataset>,
    /// Indicators, in file order.
    pub indicators: Vec<Indicator>,
}

// === file formats ===

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    version: String,
    dataset: Vec<DatasetFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetFile {
    name: String,
    kind: DatasetKind,
    description: String,
    columns: Vec<ColumnFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnFile {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    dimension: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    version: String,
    indicator: Vec<IndicatorFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    id: String,
    name: String,
    definition: String,
    standard: String,
    rights_areas: Vec<String>,
    dataset: String,
    weight: Option<String>,
    scope: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    #[serde(default)]
    series: Vec<SeriesFile>,
    unit: String,
    denominator_basis: String,
    scope_note: String,
    disaggregations: Vec<String>,
    aggregation: Aggregation,
    polarity: Polarity,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesFile {
    code: String,
    numerator: String,
    polarity: Option<Polarity>,
}

/// Units a release may state.
pub const UNITS: &[&str] = &["percent", "per_100", "per_10000", "count"];

// === impl Catalogue ===

impl Catalogue {
    /// The schema and catalogue shipped with this version.
    pub fn builtin() -> Self {
        // Unwrap safety: the shipped files are checked by a unit test.
        Self::parse(
            DEFAULT_SCHEMA,
            "catalogue/microdata.toml",
            DEFAULT_CATALOGUE,
            "catalogue/indicators.toml",
        )
        .expect("the built-in catalogue is valid")
    }

    /// Parses and checks a schema and a catalogue; names are used in errors.
    pub fn parse(
        schema_text: &str,
        schema_name: &str,
        catalogue_text: &str,
        catalogue_name: &str,
    ) -> Result<Self, CatalogueError> {
        let schema: SchemaFile =
            toml::from_str(schema_text).map_err(|e| CatalogueError::Parse {
                file: schema_name.into(),
                message: toml_message(&e, schema_text),
            })?;
        let datasets = schema
            .dataset
            .into_iter()
            .map(|d| dataset(d, schema_name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = BTreeSet::new();
        for d in &datasets {
            if !seen.insert(d.name.clone()) {
                return Err(CatalogueError::Schema {
                    file: schema_name.into(),
                    dataset: d.name.clone(),
                    message: "defined twice".into(),
                });
            }
        }
        let file: CatalogueFile =
            toml::from_str(catalogue_text).map_err(|e| CatalogueError::Parse {
                file: catalogue_name.into(),
                message: toml_message(&e, catalogue_text),
            })?;
        let mut ids = BTreeSet::new();
        let mut indicators = Vec::new();
        for f in file.indicator {
            let err = |field, message: String| CatalogueError::Indicator {
                file: catalogue_name.into(),
                id: f.id.clone(),
                field,
                message,
            };
            if !ids.insert(f.id.clone()) {
                return Err(err("id", "duplicate id: another indicator already uses it".into()));
            }
            let ds = datasets
                .iter()
                .find(|d| d.name == f.dataset)
                .ok_or_else(|| err("dataset", format!("unknown dataset `{}`", f.dataset)))?;
            indicators.push(indicator(f, ds, catalogue_name)?);
        }
        Ok(Self { version: file.version, schema_version: schema.version, datasets, indicators })
    }

    /// A dataset by name.
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The indicators computed from one dataset.
    pub fn indicators_of<'a>(
        &'a self,
        dataset: &'a str,
    ) -> impl Iterator<Item = &'a Indicator> + 'a {
        self.indicators.iter().filter(move |i| i.dataset == dataset)
    }

    /// An indicator by id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }
}

fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim_end().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{line}:{col}: {msg}")
        }
        None => msg,
    }
}

fn dataset(d: DatasetFile, file: &str) -> Result<Dataset, CatalogueError> {
    let err = |message: String| CatalogueError::Schema {
        file: file.into(),
        dataset: d.name.clone(),
        message,
    };
    let mut names = BTreeSet::new();
    let mut columns = Vec::new();
    for c in &d.columns {
        if !names.insert(c.name.clone()) {
            return Err(err(format!("column `{}` defined twice", c.name)));
        }
        let ty = match c.ty.as_str() {
            "id" => ColumnType::Id,
            "weight" => ColumnType::Weight,
            "count" => ColumnType::Count,
            "bool" => ColumnType::Bool,
            "district" => ColumnType::District,
            "date" => ColumnType::Date,
            "enum" if !c.values.is_empty() && c.values.len() < 250 => {
                ColumnType::Enum(c.values.clone())
            }
            "enum" => {
                return Err(err(format!("column `{}`: an enum needs 1 to 249 values", c.name)));
            }
            other => return Err(err(format!("column `{}`: unknown type `{other}`", c.name))),
        };
        if d.kind.disclosure_controlled() && ty == ColumnType::Count {
            // Linked disclosure control models every survey measure as a 0/1 predicate.
            return Err(err(format!(
                "column `{}`: count columns are for admin datasets; in a survey dataset use a \
                 bool or an enum (disclosure control treats every measure as a condition)",
                c.name
            )));
        }
        if c.dimension && !matches!(ty, ColumnType::Enum(_) | ColumnType::District) {
            return Err(err(format!(
                "column `{}`: only enum and district columns can be dimensions",
                c.name
            )));
        }
        columns.push(Column { name: c.name.clone(), ty, dimension: c.dimension });
    }
    Ok(Dataset { name: d.name, kind: d.kind, description: d.description, columns })
}

fn indicator(f: IndicatorFile, ds: &Dataset, file: &str) -> Result<Indicator, CatalogueError> {
    let err = |field, message: String| CatalogueError::Indicator {
        file: file.into(),
        id: f.id.clone(),
        field,
        message,
    };
    let types: HashMap<&str, &ColumnType> =
        ds.columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
    let filter = |field, text: &str| -> Result<Expr, CatalogueError> {
        let e = Expr::parse(text).map_err(|m| err(field, m))?;
        e.check_filter(&types).map_err(|m| err(field, m))?;
        Ok(e)
    };
    let measure = |field, text: &str| -> Result<Expr, CatalogueError> {
        let e = Expr::parse(text).map_err(|m| err(field, m))?;
        e.check_measure(&types).map_err(|m| err(field, m))?;
        Ok(e)
    };
    let scope = filter("scope", f.scope.as_deref().unwrap_or("true"))?;
    let denominator = measure("denominator", f.denominator.as_deref().unwrap_or("1"))?;
    let mut series = Vec::new();
    if let Some(n) = &f.numerator {
        series.push(Series {
            code: "_T".into(),
            numerator: measure("numerator", n)?,
            polarity: None,
        });
    }
    for s in &f.series {
        if s.code.is_empty() || s.code.starts_with('_') || series.iter().any(|x| x.code == s.code) {
            return Err(err(
                "series",
                format!("series code `{}` is empty, reserved or repeated", s.code),
            ));
        }
        series.push(Series {
            code: s.code.clone(),
            numerator: measure("series", &s.numerator)?,
            polarity: s.polarity,
        });
    }
    if series.is_empty() {
        return Err(err(
            "numerator",
            "an indicator needs a numerator or at least one series".into(),
        ));
    }
    if let Some(w) = &f.weight
        && types.get(w.as_str()) != Some(&&ColumnType::Weight)
    {
        return Err(err("weight", format!("`{w}` is not a weight column of dataset {}", ds.name)));
    }
    if ds.kind.disclosure_controlled() && f.weight.is_none() {
        return Err(err(
            "weight",
            format!("dataset {} describes people and needs a weight column", ds.name),
        ));
    }
    for d in &f.disaggregations {
        match ds.columns.iter().find(|c| &c.name == d) {
            Some(c) if c.dimension => {}
            Some(_) => {
                return Err(err("disaggregations", format!("column `{d}` is not a dimension")));
            }
            None => {
                return Err(err(
                    "disaggregations",
                    format!("unknown column `{d}` in dataset {}", ds.name),
                ));
            }
        }
    }
    if !UNITS.contains(&f.unit.as_str()) {
        return Err(err(
            "unit",
            format!("unknown unit `{}`; use one of {}", f.unit, UNITS.join(", ")),
        ));
    }
    Ok(Indicator {
        id: f.id,
        name: f.name,
        definition: f.definition,
        standard: f.standard,
        rights_areas: f.rights_areas,
        dataset: f.dataset,
        weight: f.weight,
        scope,
        series,
        denominator,
        unit: f.unit,
        denominator_basis: f.denominator_basis,
        scope_note: f.scope_note,
        disaggregations: f.disaggregations,
        aggregation: f.aggregation,
        polarity: f.polarity,
    })
}

#[cfg(test)]
mod tests;
