//! Tests for `anonymise`: primary rules, secondary suppression against a differencing attacker,
//! and noise with its stated method.

use super::*;
use crate::catalogue::DatasetKind;
use crate::ingest::{Acc, CellTotals, Table};
use proptest::prelude::*;
use rand_core::OsRng;

fn acc(n_den: u64, n_num: u64) -> Acc {
    // Weighted sums: 100 per respondent in the base, 100 per respondent in the numerator.
    Acc {
        n_den,
        n_num,
        den: i128::from(n_den) * 100 * i128::from(MICRO),
        num: i128::from(n_num) * 100 * i128::from(MICRO),
    }
}

fn cell(dim: Option<&str>, value: &str, a: Acc) -> CellTotals {
    CellTotals { series: "_T".into(), dimension: dim.map(Into::into), value: value.into(), acc: a }
}

/// A table whose dimension cells add up to the total, as ingest produces.
fn table(groups: &[(&str, Vec<(u64, u64)>)]) -> Tables {
    let (td, tn) = groups[0].1.iter().fold((0, 0), |(d, n), (cd, cn)| (d + cd, n + cn));
    let mut cells = vec![cell(None, "", acc(td, tn))];
    for (dim, vals) in groups {
        assert_eq!(vals.iter().map(|v| v.0).sum::<u64>(), td, "groups must add up");
        for (i, (d, n)) in vals.iter().enumerate() {
            cells.push(cell(Some(dim), &format!("v{i}"), acc(*d, *n)));
        }
    }
    Tables {
        dataset: "survey".into(),
        kind: DatasetKind::Survey,
        rows_read: td,
        input_sha256: [0; 32],
        relations: None,
        tables: vec![Table {
            indicator_id: "T".into(),
            rows_in_scope: td,
            rows_missing_item: 0,
            cells,
        }],
    }
}

fn run(t: &Tables) -> Vec<PublishedCell> {
    apply(t, &Policy::default(), &mut OsRng).unwrap().indicators.remove(0).cells
}

#[test]
fn primary_rules_suppress_small_bases_and_near_unanimous_cells() {
    let t = table(&[("a", vec![(29, 10), (100, 50), (60, 58), (60, 3), (40, 0), (50, 50)])]);
    let cells = run(&t);
    let status = |v: &str| cells.iter().find(|c| c.value == v).unwrap().status.clone();
    assert!(matches!(status("v0"), Status::Primary(r) if r.contains("30 respondents")));
    assert_eq!(status("v1"), Status::Published);
    assert!(matches!(status("v2"), Status::Primary(r) if r.contains("outside the numerator")));
    assert!(matches!(status("v3"), Status::Primary(_)));
    // Nobody (0) or everybody (all) in the numerator is not a 1..4 disclosure.
    assert_eq!(status("v4"), Status::Published);
    assert_eq!(status("v5"), Status::Published);
    let v4 = cells.iter().find(|c| c.value == "v4").unwrap();
    assert_eq!((v4.base_band, v4.flag), ("30-49", "u"));
    for c in cells.iter().filter(|c| c.status != Status::Published) {
        assert_eq!(
            (c.numerator, c.denominator, c.flag),
            (0, 0, ""),
            "withheld, not zero-valued data"
        );
    }
}

#[test]
fn a_lone_suppressed_cell_gets_a_partner() {
    let t = table(&[("age", vec![(20, 10), (100, 50), (200, 90), (300, 100)])]);
    let cells = run(&t);
    let withheld: Vec<_> =
        cells.iter().filter(|c| c.status != Status::Published).map(|c| c.value.as_str()).collect();
    assert_eq!(withheld, vec!["v0", "v1"], "the smallest other cell joins it");
    assert!(matches!(cells[2].status, Status::Secondary(_)));
}

#[test]
fn a_suppressed_total_is_not_recomputable_from_any_dimension() {
    let t = table(&[("age", vec![(10, 5), (12, 6)]), ("sex", vec![(11, 5), (11, 6)])]);
    let cells = run(&t);
    assert!(cells.iter().all(|c| c.status != Status::Published));
}

#[test]
fn an_only_cell_equal_to_the_total_is_protected_through_the_total() {
    // One group has a single value holding everybody; another has a small cell.
    let t = table(&[("district", vec![(120, 60)]), ("age", vec![(10, 5), (110, 55)])]);
    let cells = run(&t);
    assert!(
        cells
            .iter()
            .filter(|c| c.dimension.as_deref() == Some("age"))
            .all(|c| c.status != Status::Published)
    );
    assert_eq!(
        cells[0].status,
        Status::Published,
        "the total stays: age is protected by two withheld cells"
    );
}

/// The attack: with the published total and cells, solve every margin equation that has a
/// single unknown, repeatedly, for both numerators and denominators. Returns recovered cells.
fn attack(cells: &[PublishedCell], truth: &[CellTotals]) -> Vec<String> {
    let mut known: Vec<Option<(i128, i128)>> = cells
        .iter()
        .map(|c| {
            (c.status == Status::Published)
                .then(|| (i128::from(c.numerator), i128::from(c.denominator)))
        })
        .collect();
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, c) in cells.iter().enumerate().skip(1) {
        groups.entry(c.dimension.as_deref().unwrap()).or_default().push(i);
    }
    loop {
        let mut progress = false;
        for idx in groups.values() {
            let unknown: Vec<usize> = idx.iter().copied().filter(|&i| known[i].is_none()).collect();
            match (known[0], unknown.as_slice()) {
                (Some((tn, td)), [only]) => {
                    let (sn, sd) =
                        idx.iter().filter(|&&i| i != *only).fold((0, 0), |(n, d), &i| {
                            let (kn, kd) = known[i].unwrap();
                            (n + kn, d + kd)
                        });
                    known[*only] = Some((tn - sn, td - sd));
                    progress = true;
                }
                (None, []) => {
                    known[0] = Some(idx.iter().fold((0, 0), |(n, d), &i| {
                        let (kn, kd) = known[i].unwrap();
                        (n + kn, d + kd)
                    }));
                    progress = true;
                }
                _ => {}
            }
        }
        if !progress {
            break;
        }
    }
    cells
        .iter()
        .zip(&known)
        .zip(truth)
        .filter(|((c, k), t)| {
            c.status != Status::Published
                && k.is_some_and(|(n, d)| {
                    n == (t.acc.num / i128::from(MICRO)) && d == (t.acc.den / i128::from(MICRO))
                })
        })
        .map(|((c, _), _)| format!("{:?}={}", c.dimension, c.value))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random tables of two dimensions: whatever is suppressed, the margin attack recovers
    /// nothing, and every cell that passes the primary rules and is not needed as a
    /// complement stays published.
    #[test]
    fn the_margin_attack_recovers_no_suppressed_cell(
        a in prop::collection::vec((1u64..120, 0u64..=100), 1..6),
        split in prop::collection::vec(1u64..4, 1..4),
    ) {
        let a: Vec<(u64, u64)> = a.into_iter().map(|(d, n)| (d, n.min(100) * d / 100)).collect();
        let (td, tn) = a.iter().fold((0, 0), |(d, n), c| (d + c.0, n + c.1));
        // A second dimension over the same rows: proportional pieces, remainder last.
        let parts = split.len() as u64 + 1;
        let mut b = Vec::new();
        let (mut rd, mut rn) = (td, tn);
        for w in &split {
            let d = (td * w / (parts * 3)).min(rd);
            let n = (tn * w / (parts * 3)).min(rn).min(d);
            b.push((d, n));
            rd -= d;
            rn -= n;
        }
        b.push((rd, rn));
        let b: Vec<(u64, u64)> = b.into_iter().filter(|c| c.0 > 0).collect();
        let t = table(&[("a", a), ("b", b)]);
        let cells = run(&t);
        let recovered = attack(&cells, &t.tables[0].cells);
        prop_assert!(recovered.is_empty(), "recovered {:?}", recovered);
    }
}

#[test]
fn noise_is_added_to_published_values_and_stated() {
    let t = table(&[("a", vec![(300, 150), (400, 100), (10, 5)])]);
    let policy = Policy {
        noise: Some(NoiseParams {
            mechanism: Mechanism::DiscreteGaussian,
            per_release: Milli(500),
            weight_clip: 200,
        }),
        ..Policy::default()
    };
    let exact = run(&t);
    let out = apply(&t, &policy, &mut OsRng).unwrap();
    let report = out.noise.unwrap();
    // One series; the total plus one dimension; numerator and denominator: 4 values.
    assert_eq!(report.measurements, 4);
    // sigma² = (200+1)² * 4 / (2 * 0.5).
    assert_eq!(report.scale.0 / report.scale.1, 201 * 201 * 4);
    assert!((report.sd - 402.0).abs() < 1e-9);
    let noisy = &out.indicators[0].cells;
    let changed = noisy
        .iter()
        .zip(&exact)
        .filter(|(n, e)| {
            n.status == Status::Published
                && (n.numerator, n.denominator) != (e.numerator, e.denominator)
        })
        .count();
    assert!(changed >= 2, "noise changed only {changed} published cells");
    for (n, e) in noisy.iter().zip(&exact) {
        assert_eq!(n.status, e.status, "noise never changes what is suppressed");
        if n.status != Status::Published {
            assert_eq!((n.numerator, n.denominator), (0, 0));
        }
    }
    // Exact counts that depend on answers are withheld with noise, and published without it.
    let ind = &out.indicators[0];
    assert_eq!((ind.rows_in_scope, ind.rows_missing_item), (0, 0));
    let plain = apply(&t, &Policy::default(), &mut OsRng).unwrap();
    assert_eq!(plain.indicators[0].rows_in_scope, 710);
    let mut admin = t.clone();
    admin.kind = DatasetKind::Admin;
    assert_eq!(apply(&admin, &policy, &mut OsRng).unwrap_err(), Error::NotSurvey);
}

#[test]
fn admin_datasets_are_published_exactly() {
    let mut t = table(&[("district", vec![(2, 1), (3, 3)])]);
    t.kind = DatasetKind::Admin;
    let cells = run(&t);
    assert!(cells.iter().all(|c| c.status == Status::Published && c.base_band == "n/a"));
    assert_eq!((cells[0].numerator, cells[0].denominator), (400, 500));
}

#[test]
fn two_small_cells_that_add_up_to_little_get_interval_protection() {
    // v1 and v2 are primary (2 respondents each in the numerator); withholding just them
    // keeps each unrecomputable, but their numerators add up to 4 respondents' worth, so an
    // attacker knows each is below the threshold of 5.
    let t = table(&[("a", vec![(200, 100), (60, 2), (50, 2), (300, 150)])]);
    let policy = Policy::default();
    let only_primary: Vec<Vec<bool>> =
        vec![t.tables[0].cells.iter().map(|c| !matches!(c.value.as_str(), "v1" | "v2")).collect()];
    let refused = linked::audit(&t, &only_primary, &policy).unwrap_err();
    assert!(refused.what.contains("does not admit"), "{refused}");
    assert!(refused.cell.contains("a=v1") || refused.cell.contains("a=v2"), "{refused}");

    let cells = run(&t);
    let interval: Vec<&str> = cells
        .iter()
        .filter(
            |c| matches!(&c.status, Status::Secondary(r) if r.starts_with("secondary, interval")),
        )
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(interval.len(), 1, "{cells:?}");
    let published: Vec<Vec<bool>> =
        vec![cells.iter().map(|c| c.status == Status::Published).collect()];
    linked::audit(&t, &published, &policy).unwrap();
}

#[test]
fn a_singleton_does_not_learn_another_suppressed_cell() {
    // v1 and v2 each hold one respondent in the numerator. Withholding just them, each
    // numerator stays unrecomputable, but their sum is published (the total minus the rest),
    // so either respondent, knowing their own weight, learns the other's.
    let t = table(&[("a", vec![(200, 100), (40, 1), (40, 1), (300, 150)])]);
    let policy = Policy::default();
    let only_primary: Vec<Vec<bool>> =
        vec![t.tables[0].cells.iter().map(|c| !matches!(c.value.as_str(), "v1" | "v2")).collect()];
    let refused = linked::audit(&t, &only_primary, &policy).unwrap_err();
    assert!(refused.what.contains("by the one respondent of"), "{refused}");

    let cells = run(&t);
    assert!(
        cells.iter().any(|c| matches!(&c.status,
            Status::Secondary(r) if r.contains("by the one respondent of T _T a=v"))),
        "{cells:?}"
    );
    let published: Vec<Vec<bool>> =
        vec![cells.iter().map(|c| c.status == Status::Published).collect()];
    linked::audit(&t, &published, &policy).unwrap();
}
