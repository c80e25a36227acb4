//! Loading the schema and the catalogue: the files' TOML layouts (as serde reads them), and
//! the checks that turn them into `Dataset`s and `Indicator`s, refusing with the file, the
//! indicator and the field, and the line and column of a TOML error.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::{
    Aggregation, Catalogue, CatalogueError, Column, ColumnType, DEFAULT_CATALOGUE, DEFAULT_SCHEMA,
    Dataset, DatasetKind, Expr, Indicator, Polarity, Series, UNITS,
};

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
