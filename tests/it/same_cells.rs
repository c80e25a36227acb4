//! Every cell ingest computes, for every dataset of the catalogue, equals DuckDB's and polars':
//! the same cells computed by two engines metronode did not write, from SQL and from polars
//! expressions generated from the catalogue's own expressions (`metronode_tests::same_cells`),
//! compared cell for cell: every series, the
//! total and every value of every disaggregation, weighted sums to the millionth and both
//! respondent counts. Items are blanked across the files, so the rules for missing items (a
//! row out of scope when its scope is unknown, out of a series when its numerator or the
//! denominator is, a missing dimension value counted as `unknown`) are checked too.

use metronode::{catalogue::ColumnType, identity::MemberId, ingest, synth};
use metronode_tests::same_cells::{self, Engine};

/// `csv` with one item blanked in most rows, in turn across the columns that may be missing
/// (every column but identifiers and the weight, which ingest requires).
fn with_gaps(csv: &[u8], blankable: &[bool]) -> Vec<u8> {
    let text = std::str::from_utf8(csv).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields: Vec<&str> = line.split(',').collect();
        let j = i % (fields.len() + 3);
        if i > 0 && j < fields.len() && blankable[j] {
            fields[j] = "";
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

#[test]
fn every_cell_of_every_dataset_equals_duckdbs_and_polars() {
    if !same_cells::installed() {
        return;
    }
    let catalogue = metronode::catalogue::Catalogue::builtin();
    let member: MemberId = "IEDUB".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for ds in &catalogue.datasets {
        if catalogue.indicators_of(&ds.name).next().is_none() {
            continue;
        }
        let mut data = Vec::new();
        synth::generate(&synth::DUBLIN, &ds.name, 3000, 11, &mut data).unwrap();
        let header: Vec<String> = std::str::from_utf8(&data)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        let blankable: Vec<bool> = header
            .iter()
            .map(|h| {
                let column = ds.columns.iter().find(|c| c.name == *h);
                !column.is_some_and(|c| matches!(c.ty, ColumnType::Id | ColumnType::Weight))
            })
            .collect();
        for (name, csv) in [("whole", data.clone()), ("gaps", with_gaps(&data, &blankable))] {
            let path = dir.path().join(format!("{}-{name}.csv", ds.name));
            std::fs::write(&path, &csv).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let tables = ingest::run(&catalogue, &ds.name, &member, "data.csv", None, file)
                .unwrap_or_else(|e| panic!("{} ({name}): {e}", ds.name));
            for engine in [Engine::DuckDb, Engine::Polars] {
                let same = same_cells::run(engine, &catalogue, &ds.name, &path, &tables, 1)
                    .unwrap_or_else(|e| panic!("{} ({name}, {}): {e}", ds.name, engine.name()));
                assert!(same.cells > 0, "{} ({name}): no cell compared", ds.name);
                checked += same.cells;
            }
        }
    }
    assert!(checked > 2000, "only {checked} cells compared");
}
