//! Fuzz target `ingest_csv`: the streaming CSV parser, `ingest::run`, over every dataset of the
//! built-in catalogue, with and without a weight clip; the tables of an accepted file then go
//! through `anonymise::apply` (disclosure control, and noise for survey data).
//!
//! A refused file is expected; a panic is a finding, and so is an accepted file whose stated
//! row count or input hash does not match the bytes given, or a suppressed cell that shows a
//! value.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use metronode_core::{
    anonymise::{self, Mechanism, Milli, NoiseParams, Policy, Status},
    catalogue::{Catalogue, DatasetKind},
    ids::MemberId,
    ingest::{self, Tables},
};
use metronode_fuzz::{FixedRng, member};
use sha2::{Digest, Sha256};

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::builtin);
static CITY: LazyLock<MemberId> = LazyLock::new(|| member("BEBRU"));

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    for dataset in &CATALOGUE.datasets {
        // The clip only changes sums, so a file refused without it is not read again with it.
        for clip in [None, Some(1)] {
            match ingest::run(&CATALOGUE, &dataset.name, &CITY, "fuzz.csv", clip, data) {
                Ok(tables) => {
                    assert!(tables.rows_read < lines, "more rows than lines");
                    assert_eq!(tables.input_sha256, <[u8; 32]>::from(Sha256::digest(data)));
                    assert_eq!(tables.tables.len(), CATALOGUE.indicators_of(&dataset.name).count());
                    anonymise_tables(&tables, clip);
                }
                Err(e) => {
                    assert!(e.line <= lines, "error names a line past the end");
                    let _ = e.to_string();
                    break;
                }
            }
        }
    }
});

/// Disclosure control alone, and with the noise of a clipped survey release.
fn anonymise_tables(tables: &Tables, clip: Option<u64>) {
    let mut rng = FixedRng(tables.rows_read);
    let plain = anonymise::apply(tables, &Policy::default(), &mut rng).expect("no noise asked");
    for ind in &plain.indicators {
        for c in ind.cells.iter().filter(|c| c.status != Status::Published) {
            assert_eq!((c.numerator, c.denominator), (0, 0), "a suppressed cell shows a value");
        }
    }
    if let (Some(weight_clip), DatasetKind::Survey) = (clip, tables.kind) {
        let mechanism = match tables.rows_read % 2 {
            0 => Mechanism::DiscreteGaussian,
            _ => Mechanism::DiscreteLaplace,
        };
        let noise = NoiseParams { mechanism, per_release: Milli(125), weight_clip };
        let policy = Policy { noise: Some(noise), ..Policy::default() };
        let _ = anonymise::apply(tables, &policy, &mut rng);
    }
}
