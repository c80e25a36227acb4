//! Tests for `catalogue`: the shipped files, and refusals that name the indicator and field.

use super::*;

#[test]
fn the_shipped_catalogue_has_the_nineteen_indicators() {
    let c = Catalogue::builtin();
    let ids: Vec<&str> = c.indicators.iter().map(|i| i.id.as_str()).collect();
    for want in [
        "DRI-ACC-01",
        "DRI-ACC-02",
        "DRI-ACC-03",
        "DRI-ACC-04",
        "DRI-USE-01",
        "DRI-USE-02",
        "DRI-USE-03",
        "DRI-SKL-01",
        "DRI-SKL-02",
        "DRI-VUL-01",
        "DRI-SVC-01",
        "DRI-PAR-01",
        "DRI-PRV-01",
        "DRI-INF-01",
        "DRI-INF-02",
        "DRI-INF-03",
        "DRI-INF-04",
        "DRI-GOV-01",
        "DRI-GOV-02",
    ] {
        assert!(ids.contains(&want), "{want} missing");
    }
    assert_eq!(c.version, "2025.1");
    for i in &c.indicators {
        assert!(
            !i.series.is_empty() && !i.definition.is_empty() && !i.standard.is_empty(),
            "{}",
            i.id
        );
    }
}

fn with_indicator(body: &str) -> Result<Catalogue, CatalogueError> {
    let text = format!("version = \"t\"\n[[indicator]]\n{body}");
    Catalogue::parse(DEFAULT_SCHEMA, "microdata.toml", &text, "indicators.toml")
}

const BASE: &str = r#"id = "X-1"
name = "n"
definition = "d"
standard = "s"
rights_areas = []
dataset = "open_data_inventory"
unit = "percent"
denominator_basis = "b"
scope_note = "s"
disaggregations = []
aggregation = "ratio_of_sums"
polarity = "higher_is_better"
"#;

#[test]
fn a_good_indicator_parses() {
    let c = with_indicator(&format!("{BASE}numerator = \"published_open\"\n")).unwrap();
    assert_eq!(c.indicators[0].series[0].code, "_T");
}

#[test]
fn unknown_columns_values_and_types_are_refused_with_the_field() {
    let cases = [
        ("numerator = \"publishd_open\"\n", "field `numerator`", "unknown column `publishd_open`"),
        (
            "numerator = \"theme == \\\"space\\\"\"\n",
            "field `numerator`",
            "\"space\" is not a value of `theme`",
        ),
        ("numerator = \"dataset_id\"\n", "field `numerator`", "not bool"),
        ("numerator = \"published_open and\"\n", "field `numerator`", "unexpected end"),
        (
            "numerator = \"published_open\"\nscope = \"theme in [\\\"health\\\",]\"\n",
            "field `scope`",
            "expected",
        ),
        (
            "numerator = \"published_open\"\nweight = \"theme\"\n",
            "field `weight`",
            "not a weight column",
        ),
    ];
    for (extra, field, msg) in cases {
        let err = with_indicator(&format!("{BASE}{extra}")).unwrap_err().to_string();
        assert!(
            err.contains("indicator X-1") && err.contains(field) && err.contains(msg),
            "{extra:?}: {err}"
        );
    }
    let with_num = format!("{BASE}numerator = \"published_open\"\n");
    let err = with_indicator(
        &with_num.replace("disaggregations = []", "disaggregations = [\"published_open\"]"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a dimension"), "{err}");
    let err = with_indicator(&BASE.replace("open_data_inventory", "tweets")).unwrap_err();
    assert!(err.to_string().contains("unknown dataset `tweets`"), "{err}");
    let err = with_indicator(BASE).unwrap_err();
    assert!(err.to_string().contains("needs a numerator"), "{err}");
}

#[test]
fn every_indicator_states_its_polarity() {
    let c = Catalogue::builtin();
    let of = |id: &str| c.indicators.iter().find(|i| i.id == id).unwrap();
    assert_eq!(of("DRI-USE-01").polarity, Polarity::HigherIsBetter);
    for lower in ["DRI-USE-02", "DRI-VUL-01", "DRI-ACC-03", "DRI-ACC-04"] {
        assert_eq!(of(lower).polarity, Polarity::LowerIsBetter, "{lower}");
    }
    let skills = of("DRI-SKL-01");
    assert_eq!(skills.polarity_of("_T"), Polarity::HigherIsBetter);
    assert_eq!(skills.polarity_of("no_skills"), Polarity::LowerIsBetter);
    assert_eq!(skills.polarity_of("basic"), Polarity::Neutral);
    assert!(of("DRI-USE-01").about_people() && !of("DRI-GOV-02").about_people());

    // Refused at load when missing or unknown, naming the indicator.
    let numerator = "numerator = \"published_open\"\n";
    let without = format!("{}{numerator}", BASE.replace("polarity = \"higher_is_better\"\n", ""));
    let err = with_indicator(&without).unwrap_err();
    assert!(err.to_string().contains("polarity"), "{err}");
    let wrong = format!("{}{numerator}", BASE.replace("higher_is_better", "up"));
    let err = with_indicator(&wrong).unwrap_err();
    assert!(err.to_string().contains("polarity") || err.to_string().contains("up"), "{err}");
    with_indicator(&format!("{BASE}{numerator}")).unwrap();
}

#[test]
fn duplicate_ids_are_refused() {
    let one = format!("{BASE}numerator = \"published_open\"\n");
    let text = format!("version = \"t\"\n[[indicator]]\n{one}[[indicator]]\n{one}");
    let err =
        Catalogue::parse(DEFAULT_SCHEMA, "microdata.toml", &text, "indicators.toml").unwrap_err();
    assert!(err.to_string().contains("indicator X-1: field `id`: duplicate id"), "{err}");
}

#[test]
fn a_broken_file_is_refused_with_its_place() {
    let err = Catalogue::parse(DEFAULT_SCHEMA, "microdata.toml", "version = \n", "indicators.toml")
        .unwrap_err();
    assert!(err.to_string().starts_with("indicators.toml: 1:"), "{err}");
    let schema = DEFAULT_SCHEMA.replace("type = \"weight\"", "type = \"float\"");
    let err = Catalogue::parse(&schema, "microdata.toml", DEFAULT_CATALOGUE, "indicators.toml")
        .unwrap_err();
    assert!(err.to_string().contains("unknown type `float`"), "{err}");
}

#[test]
fn expressions_use_three_valued_logic_for_missing_items() {
    use expr::{Compiled, Value};
    let ds = Catalogue::builtin().dataset("survey").unwrap().clone();
    let compile = |t: &str| Expr::parse(t).unwrap().compile(&ds.columns);
    let mut row = vec![Value::Missing; ds.columns.len()];
    let use_col = ds.column("internet_last_use").unwrap();
    let vul = compile("internet_last_use != \"lt_3m\" or dsi_overall in [\"low\"]");
    row[use_col] = Value::Cat(3); // never
    assert_eq!(vul.test(&row), Some(true), "true or missing is true");
    row[use_col] = Value::Cat(0); // lt_3m
    assert_eq!(vul.test(&row), None, "false or missing is missing");
    let and = compile("mobile_phone_own and smartphone_own");
    row[ds.column("mobile_phone_own").unwrap()] = Value::Bool(false);
    assert_eq!(and.test(&row), Some(false), "false and missing is false");
    assert!(matches!(compile("1"), Compiled::One));
    assert_eq!(compile("1").measure(&row), Some(1));
}

/// docs/MICRODATA.md, the data officer's page, lists every dataset and column of the schema.
#[test]
fn the_microdata_page_lists_every_column() {
    let page = include_str!("../../../docs/MICRODATA.md");
    for ds in Catalogue::builtin().datasets {
        assert!(page.contains(&format!("## `{}`", ds.name)), "dataset {} missing", ds.name);
        for c in ds.columns {
            assert!(
                page.contains(&format!("| `{}` |", c.name)),
                "column {}.{} missing",
                ds.name,
                c.name
            );
        }
    }
}
