//! The indicator catalogue and the microdata schema: loading the versioned data files, checking
//! every indicator against the columns it reads, and compiling its expressions.
//!
//! Pure: parses text it is given. The files shipped in `catalogue/` are embedded as defaults.
//!
//! The parts: this file holds the vocabulary (datasets, columns, indicators and their series,
//! the errors), `load` the files' TOML layouts and the checks that turn them into a
//! `Catalogue`, `expr` the expression language.

pub mod expr;
mod load;

use std::collections::BTreeSet;

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

/// Units a release may state.
pub const UNITS: &[&str] = &["percent", "per_100", "per_10000", "count"];

// === impl Catalogue ===

impl Catalogue {
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

#[cfg(test)]
mod tests;
