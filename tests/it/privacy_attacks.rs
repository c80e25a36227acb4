//! Privacy attacks run for real against real nodes, and the clock-skew rule: an analyst
//! differencing two releases that differ by one respondent, recomputing a suppressed cell from
//! margins across city and metropolitan levels, averaging noisy releases past the budget; raw
//! values searched for on the wire between nodes, in their data directories and in their logs;
//! and a member whose clock is decades behind, then ten years ahead. Each attack writes its row
//! of the "Privacy attacks" section of RELIABILITY.md once it failed as it must; the clock test
//! writes the "Clock skew" section.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
    time::Instant,
};

use metronode::{
    catalogue::Catalogue,
    clock,
    ingest::{self, MICRO, Tables},
    log, metrics, pb, record, synth,
};
use metronode_tests::{TestCluster, TestNode, http_get, reliability_note, reliability_row};
use prost::Message;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, tcp::OwnedReadHalf, tcp::OwnedWriteHalf},
};

/// Differential privacy as a city would configure it (`node.toml`).
fn dp(per_release: &str, budget: &str) -> String {
    format!(
        "[privacy.survey]\nmechanism = \"discrete_gaussian\"\nper_release = \"{per_release}\"\n\
         budget = \"{budget}\"\nweight_clip = {CLIP}\n"
    )
}

/// The weight clip of the configurations above: one respondent adds at most this (plus one for
/// rounding) to any published value.
const CLIP: u64 = 600;

fn survey(city: &synth::City, rows: u64, seed: u64) -> String {
    let mut out = Vec::new();
    synth::generate(city, "survey", rows, seed, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The position of `column` in a CSV header line.
fn col(csv: &str, column: &str) -> usize {
    let header = csv.lines().next().unwrap();
    header.split(',').position(|c| c == column).unwrap_or_else(|| panic!("no column {column}"))
}

/// The first data row of `csv` with some fields replaced: a respondent of one's own making.
fn respondent(csv: &str, fields: &[(&str, &str)]) -> String {
    let mut row: Vec<String> = csv.lines().nth(1).unwrap().split(',').map(Into::into).collect();
    for (column, value) in fields {
        row[col(csv, column)] = (*value).into();
    }
    row.join(",")
}

fn with_row(csv: &str, row: &str) -> Vec<u8> {
    format!("{csv}{row}\n").into_bytes()
}

/// What the node computes before disclosure control: the truth the attacker is after.
fn truth(member: &str, data: &[u8], clip: Option<u64>) -> Tables {
    let member = member.parse().unwrap();
    ingest::run(&Catalogue::builtin(), "survey", &member, "t.csv", clip, data).unwrap()
}

/// A cell's exact weighted numerator and denominator, rounded to whole units as published.
fn exact(t: &Tables, indicator: &str, series: &str, dim: &str, value: &str) -> (i64, i64) {
    let units = |m: i128| (m + i128::from(MICRO) / 2).div_euclid(i128::from(MICRO)) as i64;
    t.tables
        .iter()
        .find(|t| t.indicator_id == indicator)
        .and_then(|t| {
            t.cells.iter().find(|c| {
                c.series == series
                    && c.dimension.as_deref().unwrap_or("") == dim
                    && c.value == value
            })
        })
        .map_or((0, 0), |c| (units(c.acc.num), units(c.acc.den)))
}

fn published(c: &pb::Cell) -> bool {
    c.status == pb::CellStatus::Published as i32
}

/// The cells of a release by (series, dimension, value).
fn cells(r: &pb::IndicatorRelease) -> BTreeMap<(String, String, String), &pb::Cell> {
    r.cells.iter().map(|c| ((c.series.clone(), c.dimension.clone(), c.value.clone()), c)).collect()
}

async fn query(node: &TestNode, path: &str) -> serde_json::Value {
    let (status, _, body) = http_get(node.http_addr, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[track_caller]
fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The attacks in the order of the report's rows.
const ATTACKS: [&str; 5] = [
    "Differencing, disclosure control only",
    "Differencing, differential privacy",
    "Margins across city and metropolitan levels",
    "Averaging noisy releases",
    "Raw values on the wire, on disk, in logs",
];

/// Writes this attack's row of the "Privacy attacks" section (called once every assertion of
/// its test held, so the outcome is measured).
fn report(attack: &str, tried: &str, gets: &str, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let row = format!("| {attack} | {tried} | {gets} | fails | {secs:.1} s |");
    let head = [
        "An analyst (or a member reading the logs) attacks published releases of real nodes \
             over gRPC and HTTP (`tests/it/privacy_attacks.rs`; rewritten by \
             `cargo test -p metronode-tests --test it privacy_attacks`). Tried: the attacks run in \
             one test run. What the attacker gets: measured against the true values, which the \
             test computes from the raw files. Every row's test fails if the attack succeeds.",
        "",
        "| Attack | Tried | What the attacker gets | Outcome | Time |",
        "|---|---|---|---|---|",
    ];
    let tail = [
        "",
        "Not covered: two periods whose files share respondents (a panel, or one file \
             published under two period names) are treated as separate samples, by disclosure \
             control and by the budget ledger alike; and under differential privacy the \
             suppression pattern and base bands are computed from exact counts (stated in each \
             release's method).",
    ];
    reliability_row("Privacy attacks", &ATTACKS, attack, row, &head, &tail);
}

/// A respondent alone in a district: disclosure control suppresses what would isolate them in
/// one release, and refuses the second exact release (the respondent withdrawn) whose difference
/// from the first would be exactly their answers.
#[tokio::test]
async fn disclosure_control_leaves_nothing_to_difference() {
    let started = Instant::now();
    let node = TestNode::start("BEBRU").await;
    let base = survey(&synth::BRUSSELS, 1500, 21);
    let alone = respondent(
        &base,
        &[
            ("ind_id", "BEBRU-ALONE"),
            ("hh_id", "BEBRU-HALONE"),
            ("district_code", "BEBRU-99999"),
            ("age_band", "75_plus"),
            ("disability_wg", "a_lot_or_cannot"),
            ("internet_last_use", "lt_3m"),
            ("ind_weight", "450"),
        ],
    );
    let with = with_row(&base, &alone);
    let truth_with = truth("BEBRU", &with, None);
    let truth_without = truth("BEBRU", base.as_bytes(), None);
    let reply = node.ingest("survey", "2025", false, with.clone()).await.unwrap();
    assert_eq!(reply.seqs.len(), 9);

    // Within the release: the margin attack on every dimension of every series.
    let mut margins = 0;
    for r in &reply.releases {
        for c in r.cells.iter().filter(|c| c.value == "BEBRU-99999") {
            assert_eq!(c.status, pb::CellStatus::SuppressedPrimary as i32, "{}", r.indicator_id);
        }
        let series: BTreeSet<&str> = r.cells.iter().map(|c| c.series.as_str()).collect();
        for s in series {
            let Some(total) = r.cells.iter().find(|c| c.series == s && c.dimension.is_empty())
            else {
                continue;
            };
            let dims: BTreeSet<&str> = r
                .cells
                .iter()
                .filter(|c| c.series == s && !c.dimension.is_empty())
                .map(|c| c.dimension.as_str())
                .collect();
            for d in dims {
                margins += 1;
                let group: Vec<&pb::Cell> =
                    r.cells.iter().filter(|c| c.series == s && c.dimension == d).collect();
                let withheld: Vec<&pb::Cell> =
                    group.iter().copied().filter(|c| !published(c)).collect();
                if !published(total) || withheld.is_empty() {
                    continue;
                }
                // The residual is the sum of the withheld cells; it gives one cell away only
                // when one cell is withheld.
                assert!(withheld.len() >= 2, "{} {s} {d}: one cell withheld", r.indicator_id);
                let residual_den = total.denominator
                    - group.iter().filter(|c| published(c)).map(|c| c.denominator).sum::<i64>();
                for w in &withheld {
                    let (_, den) = exact(&truth_with, &r.indicator_id, s, d, &w.value);
                    assert_ne!(
                        residual_den, den,
                        "{} {s} {d}: a withheld cell recomputed",
                        r.indicator_id
                    );
                }
            }
        }
    }
    // The lone respondent's district cell is among them, and the analyst's view withholds it.
    let (_, alone_den) = exact(&truth_with, "DRI-USE-01", "_T", "district_code", "BEBRU-99999");
    assert_eq!(alone_den, 450);
    let a = query(&node, "/api/v1/query?indicator=DRI-USE-01&by=district_code&period=2025").await;
    let group = a["groups"].as_array().unwrap().iter().find(|g| g["value"] == "BEBRU-99999");
    assert!(!group.unwrap()["estimate"]["published"].as_bool().unwrap(), "{a}");

    // The respondent withdraws; the city re-publishes the period without them. The difference
    // of the two exact releases would be their answers in every cell; the node refuses it.
    let size = node.log_size();
    let exact_total = |t: &Tables| exact(t, "DRI-USE-01", "_T", "", "");
    let would_leak = exact_total(&truth_with).0 - exact_total(&truth_without).0;
    assert_eq!(would_leak, 450, "without the rule, the totals' difference is their weight");
    for dry_run in [true, false] {
        let err =
            node.ingest("survey", "2025", dry_run, base.clone().into_bytes()).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{}", err.message());
        assert!(err.message().contains("survey 2025 is published already"), "{}", err.message());
    }
    assert_eq!(node.log_size(), size, "nothing published");
    let a = query(&node, "/api/v1/query?indicator=DRI-USE-01&period=2025").await;
    let (n, d) = (f(&a["metro"]["numerator"]), f(&a["metro"]["denominator"]));
    assert_eq!((n as i64, d as i64), exact_total(&truth_with), "the first release still stands");
    // The rule holds after a restart, from the store's index of the own releases, which follows
    // the log as it grows: the node does not read its own log again to apply it.
    assert_eq!(node.node.log.store().released_upto().unwrap(), node.log_size());
    let node = node.restart().await;
    assert_eq!(node.node.log.store().released_upto().unwrap(), node.log_size());
    let err = node.ingest("survey", "2025", false, base.clone().into_bytes()).await.unwrap_err();
    assert!(err.message().contains("survey 2025 is published already"), "{}", err.message());
    assert_eq!(node.log_size(), size, "nothing published after the restart either");
    // A store without the index (an earlier version's) has it built from the log at the check.
    node.node.log.store().clear_released().unwrap();
    let err = node.ingest("survey", "2025", true, base.clone().into_bytes()).await.unwrap_err();
    assert!(err.message().contains("survey 2025 is published already"), "{}", err.message());
    assert_eq!(node.node.log.store().released_upto().unwrap(), node.log_size());
    report(
        ATTACKS[0],
        &format!(
            "{margins} margin attacks (total minus published cells) on one release holding a \
             respondent alone in a district; then the release without them (withdrawn), as a run \
             and a dry run"
        ),
        "within the release, never one cell: every dimension with a withheld cell withholds at \
         least two, the district cell alone is suppressed and withheld from the API; the second \
         exact release of the period is refused (FAILED_PRECONDITION), nothing published, so \
         there is no difference to take (without the rule the totals alone would differ by the \
         respondent's weight)",
        started,
    );
    node.stop().await.unwrap();
}

/// Two noisy releases of one period, with and without one respondent: the difference of every
/// published value that holds them is noise far larger than their contribution, and the counts
/// that depend on answers are withheld.
#[tokio::test]
async fn noise_hides_a_respondent_in_the_difference_of_two_releases() {
    let started = Instant::now();
    let node = TestNode::start_with("IEDUB", &dp("0.5", "1")).await;
    let base = survey(&synth::DUBLIN, 1500, 22);
    let one = respondent(
        &base,
        &[("ind_id", "IEDUB-ONE"), ("hh_id", "IEDUB-HONE"), ("ind_weight", "500")],
    );
    let with = with_row(&base, &one);
    let first = node.ingest("survey", "2025", false, with.clone()).await.unwrap();
    let second = node.ingest("survey", "2025", false, base.clone().into_bytes()).await.unwrap();
    let truth_with = truth("IEDUB", &with, Some(CLIP));
    let truth_without = truth("IEDUB", base.as_bytes(), Some(CLIP));

    let mut values = 0;
    let mut exact_hits = 0;
    let mut largest = 0i64;
    let mut sd = f64::MAX;
    for (a, b) in first.releases.iter().zip(&second.releases) {
        assert_eq!(a.indicator_id, b.indicator_id);
        // The sample size is public; counts that depend on answers are withheld with noise.
        assert_eq!(a.rows_read, b.rows_read + 1);
        for r in [a, b] {
            assert_eq!((r.rows_in_scope, r.rows_missing_item), (0, 0), "{}", r.indicator_id);
            sd = sd.min(r.method.as_ref().unwrap().noise.as_ref().unwrap().noise_sd);
        }
        let (ca, cb) = (cells(a), cells(b));
        for (key, x) in &ca {
            let Some(y) = cb.get(key) else { continue };
            if !published(x) || !published(y) {
                continue;
            }
            let (s, d, v) = key;
            let with = exact(&truth_with, &a.indicator_id, s, d, v);
            let without = exact(&truth_without, &a.indicator_id, s, d, v);
            let contribution = (with.0 - without.0, with.1 - without.1);
            for (diff, c) in [
                (x.numerator - y.numerator, contribution.0),
                (x.denominator - y.denominator, contribution.1),
            ] {
                if c == 0 {
                    continue; // A value the respondent is not in: nothing to learn from it.
                }
                values += 1;
                largest = largest.max(c.abs());
                exact_hits += usize::from(diff == c);
            }
        }
    }
    assert!(values > 50, "the respondent is in {values} published values");
    assert!(largest <= CLIP as i64 + 1, "one respondent adds at most the clip: {largest}");
    // Each difference carries the noise of two releases, sd·√2, against at most clip+1.
    let ratio = sd * 2f64.sqrt() / (CLIP + 1) as f64;
    assert!(ratio > 10.0, "noise sd {sd:.0} against a contribution of at most {}", CLIP + 1);
    // Without noise every difference is exactly the contribution; with it, about none is
    // (the chance of one is below 1 in 10 000 per value).
    assert!(exact_hits <= 2, "{exact_hits} of {values} differences gave the respondent away");
    // The ledger allows no third release to average with.
    let err = node.ingest("survey", "2025", false, with).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    report(
        ATTACKS[1],
        &format!(
            "two releases of one period with and without one respondent (weight 500, clip \
             {CLIP}); the difference of each of the {values} published values that hold them"
        ),
        &format!(
            "{exact_hits} of {values} differences equal the respondent's contribution; the noise \
             on each difference (sd {:.0}) is {ratio:.0} times the most one respondent adds; rows \
             in scope and missing items are withheld (0) so they cannot be differenced; a third \
             release is refused by the ledger",
            sd * 2f64.sqrt()
        ),
        started,
    );
    node.stop().await.unwrap();
}

/// Three cities; Sofia's youngest age band is small and suppressed. The attacker takes the
/// metropolitan figures and the other cities' published cells and tries to recover it.
#[tokio::test]
async fn margins_across_cities_recover_no_suppressed_cell() {
    let started = Instant::now();
    let ids = ["BEBRU", "IEDUB", "BGSOF"];
    let cluster = TestCluster::cities(&ids, 2).await;
    let mut files = Vec::new();
    for (i, city) in [synth::BRUSSELS, synth::DUBLIN, synth::SOFIA].iter().enumerate() {
        let csv = survey(city, 1200, 30 + i as u64);
        let data = if city.id == "BGSOF" {
            // Keep only 8 respondents aged 16 to 24.
            let age = col(&csv, "age_band");
            let mut young = 0;
            let lines: Vec<&str> = csv
                .lines()
                .filter(|l| {
                    let is_young = l.split(',').nth(age) == Some("16_24");
                    young += usize::from(is_young);
                    !is_young || young <= 8
                })
                .collect();
            lines.join("\n") + "\n"
        } else {
            csv
        };
        files.push(data.into_bytes());
    }
    let mut replies = Vec::new();
    for (node, data) in cluster.nodes.iter().zip(&files) {
        replies.push(node.ingest("survey", "2025", false, data.clone()).await.unwrap());
    }
    cluster
        .wait_until("every city's releases everywhere", |c| {
            (0..3).all(|i| ids.iter().all(|o| c.held(i, o) == 10))
        })
        .await;
    let truths: Vec<Tables> = ids.iter().zip(&files).map(|(id, f)| truth(id, f, None)).collect();
    let attacker = &cluster.nodes[0];
    let use01 = |i: usize| replies[i].releases.iter().find(|r| r.indicator_id == "DRI-USE-01");
    let age = |v: &str| ("_T".to_owned(), "age_band".to_owned(), v.to_owned());
    let sofia_cells = cells(use01(2).unwrap());
    assert_eq!(sofia_cells[&age("16_24")].status, pb::CellStatus::SuppressedPrimary as i32);
    let (_, young_den) = exact(&truths[2], "DRI-USE-01", "_T", "age_band", "16_24");
    assert!(young_den > 0);

    let a = query(attacker, "/api/v1/query?indicator=DRI-USE-01&by=age_band&period=2025").await;
    let groups = a["groups"].as_array().unwrap();
    let group = groups.iter().find(|g| g["value"] == "16_24").unwrap();
    // The metropolitan group minus the other cities' published cells: Sofia is not in it.
    assert!(group["suppressed_in"].as_array().unwrap().contains(&"BGSOF".into()), "{group}");
    let others: f64 = (0..2)
        .map(|i| cells(use01(i).unwrap())[&age("16_24")])
        .filter(|c| published(c))
        .map(|c| c.denominator as f64)
        .sum();
    if group["estimate"]["published"].as_bool().unwrap() {
        assert_eq!(f(&group["estimate"]["denominator"]) - others, 0.0, "nothing of Sofia's cell");
    } else {
        // Withheld in the other cities too (linked suppression may take their young as well).
        assert!(group["estimate"]["denominator"].is_null(), "withheld is null: {group}");
        assert_eq!(others, 0.0, "{group}");
    }
    // The metropolitan total minus the published metropolitan groups: the withheld cells of
    // every city together, never Sofia's one.
    let published_groups: f64 = groups
        .iter()
        .filter(|g| g["estimate"]["published"].as_bool().unwrap())
        .map(|g| f(&g["estimate"]["denominator"]))
        .sum();
    let residual = (f(&a["metro"]["denominator"]) - published_groups) as i64;
    let mut withheld = Vec::new();
    for (i, t) in truths.iter().enumerate() {
        for c in use01(i).unwrap().cells.iter() {
            if c.dimension == "age_band" && !published(c) {
                withheld.push(exact(t, "DRI-USE-01", "_T", "age_band", &c.value).1);
            }
        }
    }
    assert!(withheld.len() >= 2, "{withheld:?}");
    assert_eq!(residual, withheld.iter().sum::<i64>(), "the residual is the withheld cells' sum");
    assert_ne!(residual, young_den, "and not the suppressed cell");

    // Every breakdown of every survey indicator the cities share: the cells left out of the
    // metropolitan groups are never a single city cell.
    let catalogue = Catalogue::builtin();
    let mut breakdowns = 0;
    for ind in catalogue.indicators.iter().filter(|i| i.dataset == "survey") {
        for by in ind.disaggregations.iter().filter(|d| *d != "district_code") {
            let path = format!("/api/v1/query?indicator={}&by={by}&period=2025", ind.id);
            let a = query(attacker, &path).await;
            breakdowns += 1;
            let groups = a["groups"].as_array().unwrap();
            let excluded: usize =
                groups.iter().map(|g| g["suppressed_in"].as_array().unwrap().len()).sum();
            let shown = groups.iter().any(|g| g["estimate"]["published"].as_bool().unwrap());
            assert!(excluded != 1 || !shown, "{path}: one city cell left out: {a}");
        }
    }

    // A member whose release withholds one lone cell (no secondary suppression, as an older or
    // misconfigured node might sign): the metropolitan breakdown is withheld for everyone.
    let mut lone = use01(2).unwrap().clone();
    let by_sex: Vec<&pb::Cell> = lone.cells.iter().filter(|c| c.dimension == "sex").collect();
    assert!(by_sex.iter().all(|c| published(c)), "{by_sex:?}");
    let female = lone.cells.iter_mut().find(|c| c.dimension == "sex" && c.value == "F").unwrap();
    female.status = pb::CellStatus::SuppressedPrimary as i32;
    (female.numerator, female.denominator) = (0, 0);
    let payload = pb::record_body::Payload::IndicatorRelease(lone);
    cluster.nodes[2].node.log.append(payload, clock::now_unix_ms()).unwrap();
    cluster.wait_until("the lone-cell release everywhere", |c| c.held(0, "BGSOF") == 11).await;
    let a = query(attacker, "/api/v1/query?indicator=DRI-USE-01&by=sex&period=2025").await;
    assert_eq!(a["groups"].as_array().unwrap().len(), 2);
    for g in a["groups"].as_array().unwrap() {
        assert!(!g["estimate"]["published"].as_bool().unwrap(), "{g}");
        assert!(g["estimate"]["note"].as_str().unwrap().contains("would reveal"), "{g}");
    }
    report(
        ATTACKS[2],
        &format!(
            "3 cities, Sofia's youngest age band suppressed (8 respondents): the metropolitan \
             group minus the other cities' cells, the metropolitan total minus the published \
             groups, {breakdowns} breakdowns checked for a single left-out city cell, and a \
             member's release withholding a lone cell"
        ),
        "0 of the suppressed cell from the group (Sofia's cell is never summed in); from the \
         total, the sum of the cities' withheld age cells, never the one; no breakdown leaves \
         out a single city cell; against the lone-cell release every metropolitan sex group is \
         withheld",
        started,
    );
}

/// Releases of one period until the budget is spent, some at once: the ledger lets exactly
/// budget / per-release through, refuses the rest (also after a restart) and publishes nothing
/// for them; and queries do not draw fresh noise to average.
#[tokio::test]
async fn the_ledger_bounds_the_releases_an_attacker_can_average() {
    let started = Instant::now();
    let node = TestNode::start_with("ALTIA", &dp("0.25", "1")).await;
    let data = survey(&synth::TIRANA, 1000, 23).into_bytes();
    let go = || node.ingest("survey", "2025", false, data.clone());
    let (a, b, c, d, e, f6) = tokio::join!(go(), go(), go(), go(), go(), go());
    let results = [a, b, c, d, e, f6];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 4, "exactly budget / per-release releases: {results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code(), tonic::Code::FailedPrecondition);
        assert!(r.message().contains("privacy budget exceeded for survey 2025"), "{r:?}");
    }
    assert_eq!(node.log_size(), 4 * 9, "only the releases that fit are published");
    // Averaging what got through leaves the noise of one release spending the whole budget
    // (1 rho): sigma = (clip + 1)·sqrt(k / 2) on each value.
    let released = results.iter().find_map(|r| r.as_ref().ok()).unwrap();
    let noise = released.releases[0].method.as_ref().unwrap().noise.clone().unwrap();
    let averaged = noise.noise_sd / (ok as f64).sqrt();
    let whole_budget = (CLIP + 1) as f64 * (noise.measurements as f64 / 2.0).sqrt();
    assert!(averaged >= whole_budget * 0.99, "averaged sd {averaged} against {whole_budget}");
    let ledger = |node: &TestNode| {
        let node = node.url();
        async move {
            let mut c = pb::publisher_client::PublisherClient::connect(node).await.unwrap();
            let entries = c.get_budget(pb::GetBudgetRequest {}).await.unwrap().into_inner();
            entries
                .entries
                .into_iter()
                .map(|e| (e.period, e.spent, e.remaining))
                .collect::<Vec<_>>()
        }
    };
    let spent = vec![("2025".to_owned(), "1".to_owned(), "0".to_owned())];
    assert_eq!(ledger(&node).await, spent);
    let mut refused = results.len() - ok;
    let node = node.restart().await;
    for dry_run in [false, true] {
        let err = node.ingest("survey", "2025", dry_run, data.clone()).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{}", err.message());
        refused += 1;
    }
    assert_eq!(node.log_size(), 4 * 9, "nothing more after the restart");
    assert_eq!(ledger(&node).await, spent, "the ledger is unchanged");

    // The analyst cannot draw fresh noise either: answers come from the signed releases.
    let path = "/api/v1/query?indicator=DRI-USE-01&period=2025";
    let first = query(&node, path).await;
    for _ in 0..20 {
        assert_eq!(query(&node, path).await["metro"], first["metro"]);
    }
    report(
        ATTACKS[3],
        &format!(
            "6 releases of one period at once with 0.25 of a budget of 1 rho each, then {} more \
             (one after a restart, one dry run), and 21 identical queries",
            refused - (results.len() - ok)
        ),
        &format!(
            "4 releases: their average keeps noise sd {averaged:.0} on each value, that of one \
             release spending the whole budget; {refused} refused with nothing published and the \
             ledger unchanged; every query the same figures"
        ),
        started,
    );
}

/// Canary values planted in the files (identifiers, a weight, a value where an age band
/// belongs, a file without its header) never reach another node, a reply, a data directory or
/// a log line.
#[tokio::test]
async fn canaries_never_leave_the_node_that_read_them() {
    let started = Instant::now();
    let ids = ["BEBRU", "IEDUB", "BGSOF"];
    let cluster = TestCluster::cities(&ids, 2).await;
    let logs = metronode::test_util::capture_logs();
    let mut canaries = Vec::new();
    let mut seen = Vec::<u8>::new();
    for (node, city) in cluster.nodes.iter().zip([synth::BRUSSELS, synth::DUBLIN, synth::SOFIA]) {
        let csv = survey(&city, 800, 40);
        let id = format!("CANARYID{}x7f31", city.id);
        let hh = format!("CANARYHH{}x7f31", city.id);
        let planted =
            respondent(&csv, &[("ind_id", &id), ("hh_id", &hh), ("ind_weight", "271.828183")]);
        let good = with_row(&csv, &planted);
        let bad_value = format!("CANARYAGE{}x7f31", city.id);
        let bad = with_row(&csv, &respondent(&csv, &[("age_band", &bad_value)]));
        let headless = format!("{planted}\n").into_bytes();
        for (data, canary) in [(&good, &id), (&good, &hh), (&bad, &bad_value), (&headless, &id)] {
            assert!(contains(data, canary), "{canary} is planted");
        }
        assert!(contains(&good, "271.828183"));
        canaries.extend([id, hh, bad_value]);
        let reply = node.ingest("survey", "2025", false, good.clone()).await.unwrap();
        seen.extend(reply.encode_to_vec());
        for data in [bad, headless] {
            for dry_run in [false, true] {
                let err = node.ingest("survey", "2025", dry_run, data.clone()).await.unwrap_err();
                seen.extend(err.message().as_bytes());
            }
        }
    }
    canaries.push("271.828183".into());
    // A household file too, and a document, so that every kind of record and a body travel.
    let mut household = Vec::new();
    synth::generate(&synth::BRUSSELS, "household", 600, 41, &mut household).unwrap();
    let household = String::from_utf8(household).unwrap();
    let hh = "CANARYHOUSEHOLDx7f31".to_owned();
    let household = with_row(&household, &respondent(&household, &[("hh_id", &hh)]));
    cluster.nodes[0].ingest("household", "2025", false, household).await.unwrap();
    canaries.push(hh);
    let body = b"All data the city holds is open by default.\n".repeat(200);
    let meta = r#"
description = "Open data by default"
language = ["en"]
issued = "2024-01-01"
status = "adopted"
license = "CC-BY-4.0"
contact_email = "digital@bebru.example"
rights_areas = ["inclusion_equality_equity"]
cc4dr_principles = ["access_and_literacy"]
"#;
    cluster.nodes[0]
        .publish_artefact("policy", "Open data", meta, "policy.txt", &body)
        .await
        .unwrap();
    let sha: [u8; 32] = Sha256::digest(&body).into();
    cluster
        .wait_until("every log and the document everywhere", |c| {
            (0..3).all(|i| {
                ids.iter().all(|o| c.held(i, o) == if *o == "BEBRU" { 15 } else { 10 })
                    && c.nodes[i].node.blobs.has(&sha)
            })
        })
        .await;

    // The wire: every Federation call a peer makes, to every node, through a recording proxy
    // in front of its plaintext local port (the federation port carries the same bytes in TLS).
    let mut calls = 0;
    let mut wire = Vec::new();
    for node in &cluster.nodes {
        let (proxy, bytes) = recording_proxy(node.addr).await;
        calls += pull_everything(proxy, &sha).await;
        wire.extend(bytes.lock().unwrap().iter());
    }
    assert!(contains(&wire, "DRI-USE-01") && contains(&wire, "BGSOF-"), "the capture is plaintext");
    // The analyst's side: the API's answers.
    let mut answers = Vec::new();
    for path in [
        "/api/v1/query?indicator=DRI-USE-01&by=age_band",
        "/api/v1/query?indicator=DRI-USE-01&by=district_code&format=csv",
        "/api/v1/query?indicator=DRI-ACC-01&by=city&format=sdmx-csv",
        "/api/v1/members",
        "/api/v1/artefacts",
        "/",
    ] {
        let (status, _, body) = http_get(cluster.nodes[1].http_addr, path, None).await;
        assert_eq!(status, 200, "{path}");
        answers.extend(body.into_bytes());
    }
    // The data directories of every node: sled's files, keys, documents.
    let mut disk = Vec::new();
    let mut files = 0;
    for node in &cluster.nodes {
        files += read_tree(node.dir(), &mut disk);
    }
    assert!(contains(&disk, "DRI-USE-01"), "the store is searched as written");
    let lines = logs.bytes();
    assert!(contains(&lines, "published release"), "the nodes' log lines are captured");

    for (what, bytes) in
        [("wire", &wire), ("replies", &seen), ("API", &answers), ("disk", &disk), ("logs", &lines)]
    {
        for canary in &canaries {
            assert!(!contains(bytes, canary), "{canary} escaped into the {what}");
        }
        assert!(!contains(bytes, "BEBRU-P17,"), "a raw person id escaped into the {what}");
    }
    report(
        ATTACKS[4],
        &format!(
            "{} canaries (identifiers, a weight, a value where an age band belongs, a file \
             without its header) in 3 cities' survey files and a household file; {calls} \
             Federation calls to 3 nodes captured ({} KiB), {} KiB of API answers, {files} files \
             ({} MiB) of 3 data directories, {} KiB of log lines at trace level",
            canaries.len(),
            wire.len() / 1024,
            answers.len() / 1024,
            disk.len() >> 20,
            lines.len() / 1024
        ),
        "none of them, anywhere; the capture, the disk and the logs do hold the releases and \
         log lines searched (so the search could fail)",
        started,
    );
}

/// A TCP proxy to `target` that keeps every byte it relays, both ways.
async fn recording_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let kept = bytes.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(target).await.unwrap();
            let (cr, cw) = client.into_split();
            let (ur, uw) = upstream.into_split();
            tokio::spawn(relay(cr, uw, kept.clone()));
            tokio::spawn(relay(ur, cw, kept.clone()));
        }
    });
    (addr, bytes)
}

async fn relay(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, kept: Arc<Mutex<Vec<u8>>>) {
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        kept.lock().unwrap().extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// What a peer asks of a member, for every origin it holds: origins, records, tree heads,
/// witness statements, evidence and the document. Returns the number of calls.
async fn pull_everything(proxy: SocketAddr, sha: &[u8; 32]) -> usize {
    let mut fed =
        pb::federation_client::FederationClient::connect(format!("http://{proxy}")).await.unwrap();
    let mut calls = 1;
    let origins = fed.list_origins(pb::ListOriginsRequest {}).await.unwrap().into_inner().origins;
    assert_eq!(origins.len(), 3);
    for o in &origins {
        let mut stream = fed
            .get_records(pb::GetRecordsRequest { origin: o.origin.clone(), from_seq: 0, limit: 0 })
            .await
            .unwrap()
            .into_inner();
        let mut n = 0;
        while stream.message().await.unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, o.size, "{}", o.origin);
        fed.get_tree_head(pb::GetTreeHeadRequest { origin: o.origin.clone() }).await.unwrap();
        fed.get_evidence(pb::GetEvidenceRequest { origin: o.origin.clone() }).await.unwrap();
        calls += 3;
    }
    let req = pb::GetWitnessStatementsRequest { origin: String::new() };
    fed.get_witness_statements(req).await.unwrap();
    let mut blob = fed.get_blob(pb::GetBlobRequest { sha256: sha.to_vec() }).await.unwrap();
    let mut body = Vec::new();
    while let Some(chunk) = blob.get_mut().message().await.unwrap() {
        body.extend(chunk.data);
    }
    assert_eq!(<[u8; 32]>::from(Sha256::digest(&body)), *sha);
    calls + 2
}

/// Appends every file under `dir` to `out`; returns how many.
fn read_tree(dir: &Path, out: &mut Vec<u8>) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += read_tree(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
            n += 1;
        }
    }
    n
}

/// A member whose clock is wrong: its first record dated before 1970, the next in 1999, then
/// ten years ahead; a real-clock record after that and after a restart. Every record is kept
/// by the other member, the ones dated ahead are counted and none changes what is fresh; the
/// member's own dates never go backwards.
#[tokio::test]
async fn records_dated_far_from_now_are_kept_flagged_and_never_trusted() {
    const DAY: i64 = 86_400_000;
    let started = Instant::now();
    let a = TestNode::start("BEBRU").await;
    // Brussels counts what it receives; it runs throughout (Dublin restarts).
    let brussels = a.node.log.metrics().clone();
    let skewed = |kind| {
        count(
            &brussels,
            "metronode_clock_skew_records_total",
            &[("origin", "IEDUB"), ("kind", kind)],
        )
    };
    let ahead = || skewed("ahead");
    let b = TestNode::start("IEDUB").await;
    let cards = vec![a.node.card.clone(), b.node.card.clone()];
    let manifest = metronode::federation::founding("test-federation", 2, cards).unwrap();
    let req = pb::ProposeManifestRequest { manifest: manifest.bytes.clone() };
    a.publisher().await.propose_manifest(req).await.unwrap();
    // Dublin's clock says 31 December 1969 when it proposes.
    let proposal = pb::record_body::Payload::ManifestProposal(pb::ManifestProposal {
        manifest: manifest.bytes,
    });
    let appended = b.node.log.append(proposal, -DAY).unwrap();
    b.node.observe(b.node.log.own(), appended.record.seq).unwrap();
    let mut cluster = TestCluster { nodes: vec![a, b] };
    let before = ahead();
    cluster
        .wait_until("version 1 on both", |c| {
            c.nodes
                .iter()
                .all(|n| n.node.membership().active().is_some_and(|m| m.body.version == 1))
        })
        .await;
    let notice = |t: &str| {
        pb::record_body::Payload::Notice(pb::Notice { title: t.into(), text: String::new() })
    };
    let dublin = &cluster.nodes[1].node;
    let y2k = 946_684_799_000; // 1999-12-31T23:59:59Z.
    dublin.log.append(notice("dated 1999"), y2k).unwrap();
    let jump = clock::now_unix_ms() + 3653 * DAY;
    dublin.log.append(notice("dated ten years ahead"), jump).unwrap();
    let back = dublin.log.append(notice("the clock is right again"), clock::now_unix_ms()).unwrap();
    assert_eq!(back.record.issued_at_unix_ms, jump, "the own log's dates never go backwards");
    let b = cluster.nodes.pop().unwrap().restart().await;
    let seq = b.notice("after a restart").await;
    let a_record = |n: &TestNode, origin: &str, seq: u64| {
        let origin = origin.parse().unwrap();
        let env = n.node.log.envelopes(&origin, seq, 1).unwrap().remove(0);
        record::open_any(&env, &origin, &n.node.keys_of(&origin)).unwrap()
    };
    assert_eq!(a_record(&b, "IEDUB", seq).issued_at_unix_ms, jump, "nor after a restart");
    // Releases signed with the clock ten years ahead, and Brussels's with the real one.
    b.ingest("survey", "2025", false, survey(&synth::DUBLIN, 1000, 50).into_bytes()).await.unwrap();
    cluster.nodes.push(b);
    let a = &cluster.nodes[0];
    a.ingest("survey", "2025", false, survey(&synth::BRUSSELS, 1000, 51).into_bytes())
        .await
        .unwrap();
    let dublin_size = cluster.nodes[1].log_size();
    assert_eq!(dublin_size, 14);
    cluster.wait_until("Brussels holds Dublin's log", |c| c.held(0, "IEDUB") == dublin_size).await;

    // Brussels kept every record, as signed, and its copy verifies.
    let a = &cluster.nodes[0];
    let iedub = "IEDUB".parse().unwrap();
    let keys = a.node.keys_of(&iedub);
    let stored = a.node.log.store().records(&iedub, 0).map(|r| r.map_err(log::Error::from));
    assert_eq!(log::verify_chain_any(stored, &iedub, &keys).unwrap().size(), dublin_size);
    let dates: Vec<i64> =
        (0..dublin_size).map(|s| a_record(a, "IEDUB", s).issued_at_unix_ms).collect();
    assert_eq!(&dates[..3], &[-DAY, y2k, jump]);
    assert!(dates[2..].iter().all(|d| *d == jump), "{dates:?}");
    // Counted: the records dated more than ten minutes ahead of Brussels's clock (the syncer
    // counts a batch once it is stored), once each, also after further syncs.
    let expected = dublin_size - 2;
    cluster.wait_until("the records dated ahead counted", |_| ahead() - before >= expected).await;
    let backwards = skewed("backwards");
    assert_eq!(backwards, 0);
    let (status, _, text) = http_get(a.http_addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(text.contains("metronode_clock_skew_records_total{"), "served on /metrics");
    // Dates decide nothing: Dublin is fresh (by Brussels's own clock at its last sync), and its
    // release dated ten years ahead counts like any other.
    cluster
        .wait_until("a fresh sync with Dublin", |c| {
            c.nodes[0].node.peers.get(&"IEDUB".parse().unwrap()).last_sync_unix_ms
                > clock::now_unix_ms() - 1000
        })
        .await;
    let flagged = ahead() - before;
    assert_eq!(flagged, expected, "records dated ahead counted once each");
    let answer = query(a, "/api/v1/query?indicator=DRI-USE-01&period=2025").await;
    assert_eq!(answer["coverage"]["included"], serde_json::json!(["BEBRU", "IEDUB"]), "{answer}");
    assert_eq!(answer["coverage"]["stale"], serde_json::json!([]), "{answer}");
    let lines = vec![
        format!(
            "Rule (ARCHITECTURE.md, Invariants): a record's date is its origin's claim. A node \
             keeps a peer's validly signed record whatever its date, and counts in \
             `metronode_clock_skew_records_total{{origin,kind}}` (with a warning) those dated more \
             than {} minutes ahead of its own clock (`ahead`) or before the record they follow \
             (`backwards`); a date in the past is not judged, since records replicate late by \
             design. Dates order nothing and decide no freshness: order is the log position, and \
             a member is fresh by the receiver's own clock at its last successful sync. A node's \
             own dates never go backwards: a record or tree head takes the later of the clock and \
             the last date it signed, also after a restart.",
            clock::MAX_SKEW_MS / 60_000
        ),
        String::new(),
        format!(
            "Tried (`tests/it/privacy_attacks.rs`, \
             `records_dated_far_from_now_are_kept_flagged_and_never_trusted`, {:.1} s): a member \
             (Dublin) signed its founding proposal dated 31 December 1969, a notice dated 1999, \
             one dated ten years ahead, then {} records with its clock right again (one after a \
             restart, 9 releases). Brussels kept all {dublin_size} and its copy verifies; it \
             counted {flagged} as dated ahead and none as backwards; Dublin stayed fresh and its \
             release dated ten years ahead was in the metropolitan answer like Brussels's. \
             Dublin's own records after the jump all carry the jump's date. A peer's record dated \
             backwards is counted in `log/tests.rs`.",
            started.elapsed().as_secs_f64(),
            dublin_size - 3,
        ),
    ];
    reliability_note("Clock skew", &lines);
}

/// A counter as one node's registry has it now.
fn count(metrics: &metrics::Metrics, name: &str, labels: &[(&str, &str)]) -> u64 {
    metrics
        .render()
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}
