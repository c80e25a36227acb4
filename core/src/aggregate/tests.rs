//! Tests for `aggregate`: known answers (the wrong-mean trap), coverage of missing and stale
//! members, and suppressed cells that stay unrecoverable across city and metropolitan levels.

use super::*;
use crate::catalogue::Polarity;

fn cell(series: &str, dim: &str, value: &str, published: bool, n: f64, d: f64) -> Cell {
    Cell::new(series, dim, value, published, "", n, d)
}

fn release(city: &str, period: &str, cells: Vec<Cell>, noise_sd: Option<f64>) -> CityRelease {
    CityRelease {
        city: city.into(),
        indicator: "DRI-ACC-01".into(),
        period: period.into(),
        unit: "percent".into(),
        noise_sd,
        cells,
        provenance: Provenance {
            origin: city.into(),
            seq: 7,
            record_hash: "ab".repeat(32),
            signer: Sym::new(&"cd".repeat(32)),
            catalogue_version: "2025.1".into(),
            method: "sdc-v2".into(),
        },
    }
}

fn member(id: &str, last_sync: Option<i64>) -> Member {
    Member {
        id: id.into(),
        name: id.into(),
        last_sync_unix_ms: last_sync,
        is_self: last_sync.is_none() && id == "IEDUB",
        evidence: Vec::new(),
    }
}

fn q(by: &str) -> Query {
    Query {
        indicator: "DRI-ACC-01".into(),
        period: String::new(),
        by: by.into(),
        series: String::new(),
    }
}

const NOW: i64 = 1_000_000_000;

const HIGHER: Reading = Reading { polarity: Polarity::HigherIsBetter, people: true };

/// One city's release of `unit` with a value per group, each `n` of 100 (noise sd `sd`).
fn groups_release(unit: &str, values: &[(&str, f64)], sd: Option<f64>) -> Vec<CityRelease> {
    let mut cells = vec![cell("_T", "", "", true, 50.0, 100.0)];
    cells.extend(values.iter().map(|(g, n)| cell("_T", "grp", g, true, *n, 100.0)));
    let mut r = release("BEBRU", "2025", cells, sd);
    r.unit = unit.into();
    vec![r]
}

fn gap_of(unit: &str, values: &[(&str, f64)], sd: Option<f64>, reading: Reading) -> Gap {
    let members = [member("BEBRU", Some(NOW))];
    let rs = groups_release(unit, values, sd);
    answer(&q("grp"), reading, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap().gap.unwrap()
}

/// The domain research's worked example: Dublin City and Fingal.
#[test]
fn the_metro_value_is_a_ratio_of_sums_not_a_mean_of_percentages() {
    let rs = vec![
        release("IEDUB", "2025", vec![cell("_T", "", "", true, 237_500.0, 250_000.0)], None),
        release("IEFIN", "2025", vec![cell("_T", "", "", true, 112_700.0, 115_000.0)], None),
    ];
    let members = [member("IEDUB", None), member("IEFIN", Some(NOW))];
    let a = answer(&q("city"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert!((a.metro.value - 350_200.0 / 365_000.0).abs() < 1e-12);
    assert!((a.metro.value * 100.0 - 95.95).abs() < 0.01, "{}", a.metro.value);
    let wrong_mean = (0.95 + 0.98) / 2.0;
    assert!(
        (a.metro.value - wrong_mean).abs() > 0.005,
        "not the unweighted mean of percentages (96.50%)"
    );
    assert_eq!(a.cities.len(), 2);
    assert_eq!(a.metro.margin_of_error, None, "no noise published: no made-up margin");
    let gap = a.gap.unwrap();
    assert_eq!(
        (&gap.best[..], &gap.worst[..]),
        (&["IEFIN".to_owned()][..], &["IEDUB".to_owned()][..])
    );
    assert!((gap.absolute - 0.03).abs() < 1e-12);
    assert_eq!(a.cities[0].provenance.seq, 7);
}

#[test]
fn groups_gaps_and_trends_are_recomputed_from_numerators_and_denominators() {
    let rs = vec![
        release("BEBRU", "2024", vec![cell("_T", "", "", true, 80.0, 100.0)], None),
        release(
            "BEBRU",
            "2025",
            vec![
                cell("_T", "", "", true, 90.0, 100.0),
                cell("_T", "income_quintile", "1", true, 30.0, 40.0),
                cell("_T", "income_quintile", "5", true, 60.0, 60.0),
            ],
            Some(2.0),
        ),
        release(
            "BGSOF",
            "2025",
            vec![
                cell("_T", "", "", true, 50.0, 100.0),
                cell("_T", "income_quintile", "1", true, 10.0, 50.0),
                cell("_T", "income_quintile", "5", true, 40.0, 50.0),
            ],
            Some(2.0),
        ),
    ];
    let members = [member("BEBRU", Some(NOW)), member("BGSOF", Some(NOW))];
    let a =
        answer(&q("income_quintile"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.period, "2025", "the latest period by default");
    assert_eq!(a.periods, ["2024", "2025"]);
    let g1 = a.groups.iter().find(|g| g.value == "1").unwrap();
    assert!((g1.estimate.value - 40.0 / 90.0).abs() < 1e-12);
    let g5 = a.groups.iter().find(|g| g.value == "5").unwrap();
    assert!((g5.estimate.value - 100.0 / 110.0).abs() < 1e-12);
    let gap = a.gap.unwrap();
    assert_eq!((&gap.best[..], &gap.worst[..]), (&["5".to_owned()][..], &["1".to_owned()][..]));
    assert!(gap.distinguishable && gap.margin_of_difference.is_some());
    assert!((gap.absolute - (100.0 / 110.0 - 40.0 / 90.0)).abs() < 1e-12);
    // Noise sd 2 on each sum of two cities: Var = 8 on N and on D.
    let moe = a.metro.margin_of_error.unwrap();
    let r: f64 = 140.0 / 200.0;
    assert!((moe - 1.96 * ((8.0 + r * r * 8.0) / (200.0 * 200.0)).sqrt()).abs() < 1e-12);
    assert_eq!(a.trend.len(), 2);
    assert!((a.trend[0].estimate.value - 0.8).abs() < 1e-12);
    assert_eq!((a.trend[0].cities, a.trend[1].cities), (1, 2));
}

#[test]
fn coverage_names_missing_not_yet_published_and_stale_members_apart() {
    let rs = vec![
        release("BEBRU", "2025", vec![cell("_T", "", "", true, 9.0, 10.0)], None),
        release("BGSOF", "2024", vec![cell("_T", "", "", true, 5.0, 10.0)], None),
    ];
    let members = [
        member("BEBRU", Some(NOW)),
        member("BGSOF", Some(NOW - STALE_AFTER_MS - 1)),
        member("ALTIA", Some(NOW)),
    ];
    let mut asked = q("city");
    asked.period = "2025".into();
    let a = answer(&asked, HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.coverage.included, ["BEBRU"]);
    assert_eq!(a.coverage.missing, ["BGSOF", "ALTIA"]);
    // Sofia has not published 2025 yet: that is not staleness; not being heard from is.
    assert_eq!(
        a.coverage.not_yet_published,
        [NotYet { city: "BGSOF".into(), latest: "2024".into() }]
    );
    let reasons: Vec<(&str, &str)> =
        a.coverage.stale.iter().map(|s| (s.city.as_str(), s.reason.as_str())).collect();
    assert_eq!(reasons, [("BGSOF", "not synced recently")]);
    assert_eq!(a.coverage.stale[0].since_unix_ms, Some(NOW - STALE_AFTER_MS - 1));
    assert!((a.metro.value - 0.9).abs() < 1e-12, "a missing city is not filled in");
}

/// Four cities publish 2024 and 2025; one publishes 2026 first.
fn staggered() -> (Vec<CityRelease>, Vec<Member>) {
    let mut rs = Vec::new();
    for (city, v) in [("BEBRU", 80.0), ("IEDUB", 90.0), ("BGSOF", 60.0), ("ALTIA", 50.0)] {
        for period in ["2024", "2025"] {
            rs.push(release(city, period, vec![cell("_T", "", "", true, v, 100.0)], None));
        }
    }
    rs.push(release("BEBRU", "2026", vec![cell("_T", "", "", true, 88.0, 100.0)], None));
    let members = ["BEBRU", "IEDUB", "BGSOF", "ALTIA"].map(|c| member(c, Some(NOW))).to_vec();
    (rs, members)
}

#[test]
fn the_default_period_is_the_latest_with_comparable_coverage() {
    let (rs, members) = staggered();
    let a = answer(&q("city"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.period, "2025", "not Brussels' 2026 alone");
    assert_eq!(a.coverage.included.len(), 4);
    let partial = a.period_coverage.last().unwrap();
    assert_eq!((partial.period.as_str(), partial.comparable), ("2026", false));
    assert_eq!(partial.cities, ["BEBRU"]);
    // The trend marks the point over other cities; the others join.
    let marks: Vec<(&str, bool)> =
        a.trend.iter().map(|t| (t.period.as_str(), t.same_coverage)).collect();
    assert_eq!(marks, [("2024", true), ("2025", true), ("2026", false)]);

    // Asked for, 2026 is answered, with the others named as not yet published (not stale).
    let mut asked = q("city");
    asked.period = "2026".into();
    let a = answer(&asked, HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.coverage.included, ["BEBRU"]);
    assert_eq!(a.coverage.not_yet_published.len(), 3);
    assert!(a.coverage.stale.is_empty());
    let marks: Vec<bool> = a.trend.iter().map(|t| t.same_coverage).collect();
    assert_eq!(marks, [false, false, true]);

    // Once the other three publish 2026 it is the default; a member that left does not hold
    // it back.
    let (mut rs, mut members) = staggered();
    for (city, v) in [("IEDUB", 91.0), ("BGSOF", 61.0)] {
        rs.push(release(city, "2026", vec![cell("_T", "", "", true, v, 100.0)], None));
    }
    members.retain(|m| m.id != "ALTIA");
    rs.retain(|r| r.city != "ALTIA");
    let a = answer(&q("city"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.period, "2026");
}

#[test]
fn a_member_with_evidence_against_its_log_is_left_out_and_named() {
    let (rs, mut members) = staggered();
    members[2].evidence = vec!["equivocation".into()];
    let a = answer(&q("city"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert_eq!(a.coverage.included, ["BEBRU", "IEDUB", "ALTIA"]);
    assert!(a.cities.iter().all(|c| c.city != "BGSOF"));
    assert!((a.metro.value - 220.0 / 300.0).abs() < 1e-12);
    assert!(!a.coverage.missing.contains(&"BGSOF".to_owned()), "excluded, not missing");
    assert_eq!(
        a.coverage.flagged,
        [Flagged { city: "BGSOF".into(), evidence: vec!["equivocation".into()], included: false }]
    );
    // The node's setting keeps it in, and says so.
    let a = answer(&q("city"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, true).unwrap();
    assert_eq!(a.coverage.included.len(), 4);
    assert!(a.coverage.flagged[0].included);
}

#[test]
fn suppressed_cells_are_never_filled_in_nor_recoverable_from_the_metro_level() {
    // Sofia suppressed two age cells (as its secondary suppression requires); Brussels none.
    let rs = vec![
        release(
            "BEBRU",
            "2025",
            vec![
                cell("_T", "", "", true, 90.0, 100.0),
                cell("_T", "age", "young", true, 60.0, 60.0),
                cell("_T", "age", "old", true, 30.0, 40.0),
            ],
            None,
        ),
        release(
            "BGSOF",
            "2025",
            vec![
                cell("_T", "", "", true, 80.0, 100.0),
                cell("_T", "age", "young", true, 70.0, 75.0),
                cell("_T", "age", "mid", false, 0.0, 0.0),
                cell("_T", "age", "old", false, 0.0, 0.0),
            ],
            None,
        ),
    ];
    let members = [member("BEBRU", Some(NOW)), member("BGSOF", Some(NOW))];
    let a = answer(&q("age"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    let old = a.groups.iter().find(|g| g.value == "old").unwrap();
    assert_eq!(old.suppressed_in, ["BGSOF"]);
    assert!((old.estimate.value - 30.0 / 40.0).abs() < 1e-12, "Sofia's old is not in the sum");
    let mid = a.groups.iter().find(|g| g.value == "mid").unwrap();
    assert!(!mid.estimate.published);
    // metro total minus published groups = Sofia's two suppressed cells together, which Sofia's own
    // release already gives; no single cell follows.
    let published: f64 =
        a.groups.iter().filter(|g| g.estimate.published).map(|g| g.estimate.numerator).sum();
    assert_eq!(a.metro.numerator - published, 10.0);
    assert_eq!(a.coverage.suppressed_cells, 2);

    // A city with weaker disclosure control that suppressed a lone cell: the metro breakdown of
    // that dimension is withheld, because total minus groups would be exactly that cell.
    let weak = vec![
        rs[0].clone(),
        release(
            "BGSOF",
            "2025",
            vec![
                cell("_T", "", "", true, 80.0, 100.0),
                cell("_T", "age", "young", true, 70.0, 75.0),
                cell("_T", "age", "old", false, 0.0, 0.0),
            ],
            None,
        ),
    ];
    let a = answer(&q("age"), HIGHER, &weak, &members, NOW, STALE_AFTER_MS, false).unwrap();
    assert!(a.groups.iter().all(|g| !g.estimate.published && g.estimate.note.contains("reveal")));
    assert!(a.metro.published, "the total itself stays");
}

#[test]
fn best_and_worst_follow_the_polarity_and_neutral_indicators_are_not_ranked() {
    let values = [("poor", 40.0), ("mid", 60.0), ("rich", 90.0)];
    let g = gap_of("percent", &values, None, HIGHER);
    assert_eq!((g.best.clone(), g.worst.clone()), (vec!["rich".into()], vec!["poor".into()]));
    assert!(g.statement.starts_with("Best served: rich (90.0%); worst served: poor (40.0%)"));
    assert!(g.statement.contains("Gap 50.0 percentage points"), "{}", g.statement);

    let lower = Reading { polarity: Polarity::LowerIsBetter, people: true };
    let g = gap_of("percent", &values, None, lower);
    assert_eq!((g.best.clone(), g.worst.clone()), (vec!["poor".into()], vec!["rich".into()]));
    assert!(g.statement.starts_with("Best served: poor (40.0%)"), "{}", g.statement);

    let neutral = Reading { polarity: Polarity::Neutral, people: false };
    let g = gap_of("percent", &values, None, neutral);
    assert!(g.best.is_empty() && g.worst.is_empty());
    assert_eq!((g.highest.clone(), g.lowest.clone()), (vec!["rich".into()], vec!["poor".into()]));
    assert!(g.statement.contains("Neither direction is better"), "{}", g.statement);
    assert!(!g.statement.contains("Best"), "{}", g.statement);

    // Things, not people: best and worst, not "served".
    let things = Reading { polarity: Polarity::HigherIsBetter, people: false };
    assert!(gap_of("percent", &values, None, things).statement.starts_with("Best: rich"));
}

#[test]
fn ties_are_named_as_ties() {
    let g = gap_of("percent", &[("a", 99.5), ("b", 99.5), ("c", 99.5)], None, HIGHER);
    assert!(g.best.is_empty() && !g.distinguishable);
    assert_eq!(g.statement, "All 3 at 99.5%: no gap.");
    let g = gap_of("percent", &[("a", 80.0), ("b", 80.0), ("c", 50.0)], None, HIGHER);
    assert_eq!(g.best, ["a", "b"]);
    assert!(g.statement.starts_with("Best served: a and b (tied) (80.0%)"), "{}", g.statement);
}

#[test]
fn a_difference_within_the_margins_names_no_best_or_worst() {
    // Noise sd 10 on sums of 100: margins of about ±28 points each.
    let g = gap_of("percent", &[("a", 40.0), ("b", 60.0)], Some(10.0), HIGHER);
    assert!(!g.distinguishable && g.best.is_empty() && g.worst.is_empty());
    assert!(g.statement.contains("not distinguishable at 95%"), "{}", g.statement);
    assert!(g.statement.contains("95% margin of error (± "), "{}", g.statement);
    // With little noise the same values are ranked, and the margin is stated.
    let g = gap_of("percent", &[("a", 40.0), ("b", 60.0)], Some(0.5), HIGHER);
    assert_eq!(g.best, ["b"]);
    assert!(g.statement.contains("beyond its 95% margin of error"), "{}", g.statement);
}

#[test]
fn a_gap_is_worded_in_the_indicators_unit() {
    let mut rs = groups_release("per_10000", &[("a", 0.02), ("b", 0.05)], None);
    rs[0].indicator = "DRI-ACC-01".into();
    let members = [member("BEBRU", Some(NOW))];
    let a = answer(&q("grp"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    let g = a.gap.unwrap();
    assert!(g.statement.contains("Gap 3.0 per 10,000"), "{}", g.statement);
    assert!(!g.statement.contains("points"), "{}", g.statement);
}

#[test]
fn noisy_shares_are_clipped_into_their_valid_range_and_say_so() {
    // A share whose noisy numerator exceeds its denominator: 104 of 100.
    let rs = groups_release("percent", &[("old", 104.0), ("young", -3.0)], Some(3.0));
    let members = [member("BEBRU", Some(NOW))];
    let a = answer(&q("grp"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    let old = &a.groups.iter().find(|g| g.value == "old").unwrap().estimate;
    assert_eq!(old.numerator, 104.0, "the published sums stay as published");
    assert_eq!(old.value, 1.0);
    assert!(old.clipped);
    let (lo, hi) = old.interval.unwrap();
    assert!(lo < 1.0 && hi == 1.0, "{lo} {hi}");
    let young = &a.groups.iter().find(|g| g.value == "young").unwrap().estimate;
    assert_eq!((young.value, young.clipped, young.interval.unwrap().0), (0.0, true, 0.0));
    assert!(
        old.in_words("percent").starts_with("100.0% (95% interval "),
        "{}",
        old.in_words("percent")
    );
    assert!(old.in_words("percent").contains("clipped to the valid range"));
    let json = serde_json::to_value(old).unwrap();
    assert_eq!(json["confidence_level"], 0.95);
    assert_eq!(json["value"], 1.0);
    assert_eq!(json["clipped"], true);
    // Rates are only kept non-negative.
    let rs = groups_release("per_100", &[("a", -2.0), ("b", 130.0)], None);
    let a = answer(&q("grp"), HIGHER, &rs, &members, NOW, STALE_AFTER_MS, false).unwrap();
    let values: Vec<f64> = a.groups.iter().map(|g| g.estimate.value).collect();
    assert_eq!(values, [0.0, 1.3]);
}
