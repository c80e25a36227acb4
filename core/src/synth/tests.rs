//! Tests for `synth`: every pilot dataset ingests cleanly, generation is reproducible, and the
//! city priors show through.

use super::*;
use crate::{catalogue::Catalogue, ingest};

fn bytes(city: &City, dataset: &str, rows: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(city, dataset, rows, seed, &mut out).unwrap();
    out
}

#[test]
fn every_pilot_dataset_ingests_cleanly() {
    let catalogue = Catalogue::builtin();
    for city in PILOTS {
        let member = city.id.parse().unwrap();
        for dataset in DATASETS {
            let data = bytes(&city, dataset, 400, 7);
            let t = ingest::run(&catalogue, dataset, &member, "synth.csv", None, data.as_slice())
                .unwrap_or_else(|e| panic!("{} {dataset}: {e}", city.id));
            assert!(t.rows_read > 0);
        }
    }
}

#[test]
fn generation_is_reproducible_and_seeded() {
    assert_eq!(bytes(&SOFIA, "survey", 300, 1), bytes(&SOFIA, "survey", 300, 1));
    assert_ne!(bytes(&SOFIA, "survey", 300, 1), bytes(&SOFIA, "survey", 300, 2));
}

#[test]
fn weights_add_up_to_the_population_and_priors_show_through() {
    let catalogue = Catalogue::builtin();
    let data = bytes(&DUBLIN, "survey", 20_000, 3);
    let t = ingest::run(
        &catalogue,
        "survey",
        &"IEDUB".parse().unwrap(),
        "s.csv",
        None,
        data.as_slice(),
    )
    .unwrap();
    let use01 = t.tables.iter().find(|x| x.indicator_id == "DRI-USE-01").unwrap();
    let total = &use01.cells[0];
    let den = total.acc.den as f64 / 1e6;
    let pop16: f64 = DUBLIN.districts.iter().map(|d| f64::from(d.2) * 0.84).sum();
    assert!((den / pop16 - 1.0).abs() < 0.001, "weights sum to {den}, population 16+ {pop16}");
    let share = total.acc.num as f64 / total.acc.den as f64;
    assert!((0.85..0.99).contains(&share), "Dublin internet use {share}");
    // Older residents are less connected: the gap the dashboard shows.
    let by_age = |v: &str| {
        let c = use01
            .cells
            .iter()
            .find(|c| c.dimension.as_deref() == Some("age_band") && c.value == v)
            .unwrap();
        c.acc.num as f64 / c.acc.den as f64
    };
    assert!(by_age("25_34") - by_age("75_plus") > 0.2);
}
