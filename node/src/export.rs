//! Answers as files: plain CSV in the indicator's display unit, and SDMX-CSV 2.0 (SDMX 3.0)
//! with its structure id, the confidentiality and observation status codelists, units
//! consistent with `OBS_VALUE`, and breakdown codes aligned with Eurostat's where one exists.
//!
//! Pure: text from an `Answer`.

use std::fmt::Write as _;

use crate::aggregate::{Answer, CONFIDENCE, Estimate, unit_scale};

/// The SDMX-CSV 2.0 media type.
pub const SDMX_CSV: &str = "application/vnd.sdmx.data+csv;version=2.0.0";

/// The dataflow every metronode answer belongs to, `AGENCY:ID(X.Y.Z)`.
pub const STRUCTURE_ID: &str = "METRONODE:DF_DRI(1.0.0)";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

/// Every figure of an answer: (level, code, estimate); level `metro`, `city` or the breakdown.
fn figures(a: &Answer) -> Vec<(&str, &str, &Estimate)> {
    let mut out = vec![("metro", "METRO", &a.metro)];
    out.extend(a.cities.iter().map(|c| ("city", c.city.as_str(), &c.estimate)));
    out.extend(a.groups.iter().map(|g| (a.by.as_str(), g.value.as_str(), &g.estimate)));
    out
}

/// The answer as plain CSV: one row per metropolitan, city and group figure, the value, its
/// margin and interval in the display unit named in `unit` (86.6 percent, not 0.866).
pub fn to_csv(a: &Answer) -> String {
    to_csv_in(a, None)
}

/// The plain CSV's columns, as the API names them by default.
pub const CSV_COLUMNS: [&str; 14] = [
    "indicator",
    "period",
    "series",
    "level",
    "code",
    "value",
    "unit",
    "margin_of_error_95",
    "interval_low_95",
    "interval_high_95",
    "numerator",
    "denominator",
    "status",
    "note",
];

/// The plain CSV with its column names in `lang` (`?lang=`, as the dashboard's link asks), or
/// the default names; the rows are the same.
pub fn to_csv_in(a: &Answer, lang: Option<crate::i18n::Lang>) -> String {
    let header: Vec<String> = match lang {
        Some(lang) => {
            CSV_COLUMNS.iter().map(|c| csv_field(&lang.t(&format!("csv-{c}"), &[]))).collect()
        }
        None => CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
    };
    let mut out = header.join(",");
    out.push('\n');
    let (scale, _) = unit_scale(&a.unit);
    for (level, code, e) in figures(a) {
        let shown = |v: f64| if e.published { num(v * scale) } else { String::new() };
        let (lo, hi) = e.interval.filter(|_| e.published).unzip();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&a.indicator),
            csv_field(&a.period),
            csv_field(&a.series),
            csv_field(level),
            csv_field(code),
            shown(e.value),
            csv_field(&a.unit),
            e.margin_of_error.map(shown).unwrap_or_default(),
            lo.map(shown).unwrap_or_default(),
            hi.map(shown).unwrap_or_default(),
            if e.published { num(e.numerator) } else { String::new() },
            if e.published { num(e.denominator) } else { String::new() },
            if e.published { "published" } else { "withheld" },
            csv_field(&e.note)
        );
    }
    out
}

/// A breakdown's SDMX dimension id and the code of one of its values: Eurostat's codes for
/// age classes (`Y16-24` … `Y_GE75`), sex (`F`, `M`), income quintiles (`QU1` the poorest …
/// `QU5`) and ISCED 2011 levels (`ED0-2`, `ED3_4`, `ED5-8`); the column name upper-cased and
/// the value as it is otherwise. `_T` is the total and `_U` unknown, as in SDMX's code lists.
pub fn sdmx_code(dimension: &str, value: &str) -> (String, String) {
    let id = match dimension {
        "" | "city" => "_T".to_owned(),
        "age_band" => "AGE".into(),
        "income_quintile" => "QUANTILE".into(),
        "education_isced3" => "ISCED11".into(),
        other => other.to_ascii_uppercase(),
    };
    let code = match (dimension, value) {
        ("" | "city", _) | (_, "_T") => "_T".to_owned(),
        (_, "unknown") => "_U".into(),
        ("age_band", "75_plus") => "Y_GE75".into(),
        ("age_band", band) => format!("Y{}", band.replace('_', "-")),
        ("income_quintile", q) => format!("QU{q}"),
        ("education_isced3", "low") => "ED0-2".into(),
        ("education_isced3", "medium") => "ED3_4".into(),
        ("education_isced3", "high") => "ED5-8".into(),
        (_, v) => v.to_owned(),
    };
    (id, code)
}

/// The SDMX unit code of a catalogue unit: `PC` (percent), rates per 100 or 10,000, `NR`.
fn sdmx_unit(unit: &str) -> &'static str {
    match unit {
        "percent" => "PC",
        "per_100" => "PER_100",
        "per_10000" => "PER_10000",
        _ => "NR",
    }
}

/// The answer as SDMX-CSV 2.0: `STRUCTURE, STRUCTURE_ID, ACTION`, then the dimensions
/// (`INDICATOR, SERIES, REF_AREA, BREAKDOWN, BREAKDOWN_CODE, TIME_PERIOD`), the measure
/// `OBS_VALUE` in `UNIT_MEASURE` with `UNIT_MULT` 0, and the attributes: `OBS_STATUS` (`A`
/// normal, `E` estimated under noise, `U` low reliability, `Q` missing: suppressed),
/// `CONF_STATUS` (`F` free, `C` confidential), the 95% margin in the unit of `OBS_VALUE`, and
/// the weighted numerator and denominator.
pub fn to_sdmx_csv(a: &Answer) -> String {
    let mut out = String::from(
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,SERIES,REF_AREA,BREAKDOWN,BREAKDOWN_CODE,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,UNIT_MULT,OBS_STATUS,CONF_STATUS,MARGIN_OF_ERROR,CONFIDENCE_LEVEL,NUMERATOR,DENOMINATOR\n",
    );
    let (scale, _) = unit_scale(&a.unit);
    for (level, code, e) in figures(a) {
        let (area, (dim, value)) = match level {
            "metro" => ("METRO", sdmx_code("", "_T")),
            "city" => (code, sdmx_code("", "_T")),
            by => ("METRO", sdmx_code(by, code)),
        };
        let (obs, status, conf) = match e.published {
            false => (String::new(), "Q", "C"),
            true if e.note == "u" => (num(e.value * scale), "U", "F"),
            true if e.margin_of_error.is_some() => (num(e.value * scale), "E", "F"),
            true => (num(e.value * scale), "A", "F"),
        };
        let margin = e.margin_of_error.filter(|_| e.published);
        let _ = writeln!(
            out,
            "dataflow,{STRUCTURE_ID},I,{},{},{},{},{},{},{obs},{},0,{status},{conf},{},{},{},{}",
            csv_field(&a.indicator),
            csv_field(&a.series),
            csv_field(area),
            csv_field(&dim),
            csv_field(&value),
            csv_field(&a.period),
            sdmx_unit(&a.unit),
            margin.map(|m| num(m * scale)).unwrap_or_default(),
            margin.map(|_| num(CONFIDENCE * 100.0)).unwrap_or_default(),
            if e.published { num(e.numerator) } else { String::new() },
            if e.published { num(e.denominator) } else { String::new() },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_codes_follow_eurostat_where_it_has_them() {
        assert_eq!(sdmx_code("age_band", "16_24"), ("AGE".into(), "Y16-24".into()));
        assert_eq!(sdmx_code("age_band", "75_plus"), ("AGE".into(), "Y_GE75".into()));
        assert_eq!(sdmx_code("income_quintile", "1"), ("QUANTILE".into(), "QU1".into()));
        assert_eq!(sdmx_code("education_isced3", "medium"), ("ISCED11".into(), "ED3_4".into()));
        assert_eq!(sdmx_code("sex", "F"), ("SEX".into(), "F".into()));
        assert_eq!(sdmx_code("district_code", "unknown"), ("DISTRICT_CODE".into(), "_U".into()));
        assert_eq!(sdmx_code("", ""), ("_T".into(), "_T".into()));
    }
}
