//! Linked disclosure control attacked: an attacker written here, independently of the node's
//! model, reads every cell a city publishes for a dataset and period at once and tries to
//! recompute a suppressed one; and the two recoveries reported against per-series suppression
//! (DRI-SKL-01's levels, the nested scopes of DRI-ACC-01/02/03), replayed over HTTP on a real
//! federation.
//!
//! The attacker's model is at the level of atoms: the weighted rows of one position (a dimension
//! value, or the total) sharing one signature (which numerators and denominators a row counts
//! in). Signatures are found by ingesting every row of the file alone, the relations among
//! predicates are whatever those signatures imply, and every published numerator and
//! denominator is a sum of atoms. Linear algebra is exact modulo 2^31 - 1, a prime other than the
//! node's, in a sparse elimination of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use metronode::{
    anonymise::{self, Policy, PublishedCell, Status},
    catalogue::Catalogue,
    ingest::{self, Tables},
    pb, synth,
};
use metronode_tests::{TestCluster, http_get};
use proptest::prelude::*;

const Q: u64 = 2_147_483_647;

/// Protected quantities per release whose range the LP attacker computes (two LPs each over
/// every atom of the release).
const LP_TARGETS: usize = 8;

/// The seed of the property test's random cases.
const PROPERTY_SEED: u64 = 20_261_206;

fn neg(x: u64) -> u64 {
    (Q - x % Q) % Q
}

/// A sparse vector over the atoms.
type Vector = BTreeMap<usize, u64>;

/// Echelon basis keyed by each vector's smallest coordinate, pivot scaled to 1.
#[derive(Default)]
struct Span {
    rows: HashMap<usize, Vector>,
}

fn pow(mut b: u64, mut e: u64) -> u64 {
    let mut acc = 1;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * b % Q;
        }
        b = b * b % Q;
        e >>= 1;
    }
    acc
}

impl Span {
    fn reduce(&self, mut v: Vector) -> Vector {
        let mut from = 0;
        loop {
            let Some((&k, &x)) = v.range(from..).find(|(k, _)| self.rows.contains_key(k)) else {
                return v;
            };
            for (&j, &y) in &self.rows[&k] {
                let e = v.entry(j).or_insert(0);
                *e = (*e + neg(x * y % Q)) % Q;
                if *e == 0 {
                    v.remove(&j);
                }
            }
            from = k + 1;
        }
    }

    fn add(&mut self, v: Vector) {
        let v = self.reduce(v);
        if let Some((&p, &x)) = v.iter().next() {
            let s = pow(x, Q - 2);
            self.rows.insert(p, v.into_iter().map(|(k, y)| (k, y * s % Q)).collect());
        }
    }

    fn contains(&self, v: Vector) -> bool {
        self.reduce(v).is_empty()
    }
}

/// Which numerators and denominators one row counts in: per table, per series (in the order
/// of the table's cells), (denominator, numerator).
type Signature = Vec<bool>;

fn signatures(cat: &Catalogue, dataset: &str, city: &str, csv: &[u8]) -> Vec<Signature> {
    let text = std::str::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let member = city.parse().unwrap();
    let mut out = BTreeSet::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let one = format!("{header}\n{line}\n");
        let t = ingest::run(cat, dataset, &member, "row.csv", None, one.as_bytes()).unwrap();
        let mut sig = Vec::new();
        for table in &t.tables {
            for c in table.cells.iter().filter(|c| c.dimension.is_none()) {
                sig.push(c.acc.n_den > 0);
                sig.push(c.acc.n_num > 0);
            }
        }
        out.insert(sig);
    }
    out.into_iter().collect()
}

/// What a protected cell is, by the rule the README documents.
fn protected(a: &ingest::Acc, p: &Policy) -> Vec<(bool, bool)> {
    // (denominator part, numerator part): den = (true, false), num = (false, true), rest = both.
    let rest = a.n_den.saturating_sub(a.n_num);
    let small = |n: u64| n >= 1 && n < p.min_count;
    let base = a.n_den < p.min_base;
    let mut out = Vec::new();
    if base && a.n_den > 0 {
        out.push((true, false));
    }
    if a.n_num > 0 && (base || small(a.n_num)) {
        out.push((false, true));
    }
    if rest > 0 && (base || small(rest)) {
        out.push((true, true));
    }
    out
}

/// One dataset release as linear equations over atoms: the weighted rows of one position (a
/// dimension value, or the total) sharing one signature, for the signatures given.
struct System<'s> {
    sigs: Vec<&'s Signature>,
    positions: BTreeMap<(String, String), usize>,
    /// The total's position (one past the dimension values).
    total: usize,
    /// Per table, its first bit in a signature and its series.
    bit: Vec<(usize, Vec<String>)>,
    /// The span of everything the attacker knows.
    span: Span,
    /// Every equality the attacker knows, with its value (weight units), for the LP attacker.
    eqs: Vec<(Vector, f64)>,
}

impl<'s> System<'s> {
    fn new(truth: &Tables, release: &[Vec<PublishedCell>], sigs: Vec<&'s Signature>) -> Self {
        // Positions: every dimension value the release lists (published or not), and the total.
        let mut positions: BTreeMap<(String, String), usize> = BTreeMap::new();
        for c in release.iter().flatten() {
            if let Some(d) = &c.dimension {
                let n = positions.len();
                positions.entry((d.clone(), c.value.clone())).or_insert(n);
            }
        }
        let total = positions.len();
        // Bit of the signature for (table, series, numerator).
        let mut bit = Vec::new();
        let mut at = 0;
        for cells in release {
            let mut series: Vec<String> = Vec::new();
            for c in cells {
                if !series.contains(&c.series) {
                    series.push(c.series.clone());
                }
            }
            at += 2 * series.len();
            bit.push((at - 2 * series.len(), series));
        }
        let mut sys = Self { sigs, positions, total, bit, span: Span::default(), eqs: Vec::new() };
        let s = sys.sigs.len();
        // Every dimension partitions the rows, signature by signature.
        let mut dims: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for ((d, _), &p) in &sys.positions {
            dims.entry(d.clone()).or_default().push(p);
        }
        for ps in dims.values() {
            for i in 0..s {
                let mut v: Vector = ps.iter().map(|&p| (p * s + i, 1)).collect();
                v.insert(total * s + i, Q - 1);
                sys.know(v, 0.0);
            }
        }
        // Zeros: a cell not listed has nobody; a numerator of nobody is nothing.
        for (t, cells) in release.iter().enumerate() {
            let listed: BTreeSet<(String, usize)> =
                cells.iter().map(|c| (c.series.clone(), sys.pos_of(c))).collect();
            let my_dims: BTreeSet<&str> =
                cells.iter().filter_map(|c| c.dimension.as_deref()).collect();
            let mut mine = vec![total];
            for d in my_dims {
                mine.extend(&dims[d]);
            }
            for series in sys.bit[t].1.clone() {
                for &p in &mine {
                    if !listed.contains(&(series.clone(), p)) {
                        for (den, num) in [(true, false), (false, true)] {
                            sys.know(sys.quantity(t, &series, p, den, num), 0.0);
                        }
                    }
                }
            }
            for (c, truth) in cells.iter().zip(&truth.tables[t].cells) {
                if truth.acc.n_num == 0 && truth.acc.num == 0 {
                    sys.know(sys.quantity(t, &c.series, sys.pos_of(c), false, true), 0.0);
                }
            }
        }
        // Everything published.
        for (t, cells) in release.iter().enumerate() {
            for (c, truth) in cells.iter().zip(&truth.tables[t].cells) {
                if c.status == Status::Published {
                    let units = |v: i128| v as f64 / 1e6;
                    let p = sys.pos_of(c);
                    sys.know(sys.quantity(t, &c.series, p, true, false), units(truth.acc.den));
                    sys.know(sys.quantity(t, &c.series, p, false, true), units(truth.acc.num));
                }
            }
        }
        sys
    }

    fn know(&mut self, v: Vector, value: f64) {
        self.eqs.push((v.clone(), value));
        self.span.add(v);
    }

    fn atoms(&self) -> usize {
        (self.total + 1) * self.sigs.len()
    }

    fn pos_of(&self, c: &PublishedCell) -> usize {
        match &c.dimension {
            Some(d) => self.positions[&(d.clone(), c.value.clone())],
            None => self.total,
        }
    }

    /// A cell's denominator `(true, false)`, numerator `(false, true)` or the rest (both).
    fn quantity(&self, t: usize, series: &str, pos: usize, den: bool, num: bool) -> Vector {
        let (base, names) = &self.bit[t];
        let k = base + 2 * names.iter().position(|n| n == series).unwrap();
        let mut v = Vector::new();
        for (i, sig) in self.sigs.iter().enumerate() {
            let x = match (den, num) {
                (true, false) => u64::from(sig[k]),
                (false, true) => u64::from(sig[k + 1]),
                _ => (u64::from(sig[k]) + neg(u64::from(sig[k + 1]))) % Q,
            };
            if x != 0 {
                v.insert(pos * self.sigs.len() + i, x);
            }
        }
        v
    }
}

/// The attack on one dataset release: the primary cells the attacker recomputes, by name.
///
/// The exact attack runs over the atoms of a basis of the signatures (every linear fact about
/// the predicates holds on their span). The LP attacker runs over the atoms of every signature
/// the file holds, each at least 0: it knows which combinations of answers occur, which is more
/// than the node's inequalities on predicate counts say, so it checks the node's claim that the
/// ranges stay wide under the strongest linear model of the data.
fn attack(
    truth: &Tables,
    release: &[Vec<PublishedCell>],
    sigs: &[Signature],
    policy: &Policy,
    lp_targets: usize,
) -> Found {
    let mut independent = Span::default();
    let basis: Vec<&Signature> = sigs
        .iter()
        .filter(|g| {
            let v: Vector =
                g.iter().enumerate().filter(|(_, b)| **b).map(|(k, _)| (k, 1)).collect();
            !independent.contains(v.clone()) && {
                independent.add(v);
                true
            }
        })
        .collect();
    let exact = System::new(truth, release, basis);
    let atoms = if lp_targets > 0 {
        Some(System::new(truth, release, sigs.iter().collect()))
    } else {
        None
    };
    let mut found = Found::default();
    for (t, cells) in release.iter().enumerate() {
        let id = &truth.tables[t].indicator_id;
        for (c, truth) in cells.iter().zip(&truth.tables[t].cells) {
            if !matches!(c.status, Status::Primary(_)) {
                continue;
            }
            for (den, num) in protected(&truth.acc, policy) {
                let name =
                    format!("{} {} {:?}={} ({den},{num})", id, c.series, c.dimension, c.value);
                let q = exact.quantity(t, &c.series, exact.pos_of(c), den, num);
                if exact.span.contains(q) {
                    found.recovered.push(name);
                } else if let Some(sys) = atoms.as_ref().filter(|_| found.ranges < lp_targets) {
                    // The range by linear programming.
                    found.ranges += 1;
                    let (x, n) = match (den, num) {
                        (true, false) => (truth.acc.den, truth.acc.n_den),
                        (false, true) => (truth.acc.num, truth.acc.n_num),
                        _ => (truth.acc.den - truth.acc.num, truth.acc.n_den - truth.acc.n_num),
                    };
                    let mean = x as f64 / 1e6 / n as f64;
                    let need = policy.min_count as f64 * mean;
                    let q = sys.quantity(t, &c.series, sys.pos_of(c), den, num);
                    let (lo, hi) =
                        (lp(&sys.eqs, &q, sys.atoms(), false), lp(&sys.eqs, &q, sys.atoms(), true));
                    if lo > 1e-3 * mean || hi < need - 1e-3 * mean {
                        found.narrow.push(format!("{name} in [{lo}, {hi}], need [0, {need}]"));
                    }
                }
            }
        }
    }
    found
}

/// What the attacker finds in one release.
#[derive(Default, Debug)]
struct Found {
    /// Protected quantities recomputed exactly.
    recovered: Vec<String>,
    /// Protected quantities whose range is narrower than the rule allows.
    narrow: Vec<String>,
    /// Ranges computed.
    ranges: usize,
}

/// The least (or greatest) value of `q` over the non-negative atoms meeting every equality.
fn lp(eqs: &[(Vector, f64)], q: &Vector, atoms: usize, max: bool) -> f64 {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let signed = |x: u64| if x > Q / 2 { x as f64 - Q as f64 } else { x as f64 };
    let dir = if max { OptimizationDirection::Maximize } else { OptimizationDirection::Minimize };
    let mut p = Problem::new(dir);
    let vars: Vec<_> = (0..atoms)
        .map(|k| p.add_var(q.get(&k).map_or(0.0, |&x| signed(x)), (0.0, f64::INFINITY)))
        .collect();
    for (v, rhs) in eqs {
        let terms: Vec<_> = v.iter().map(|(&k, &x)| (vars[k], signed(x))).collect();
        p.add_constraint(terms, ComparisonOp::Eq, *rhs);
    }
    match p.solve() {
        Ok(o) => o.into_solution().expect("an LP answer").objective(),
        Err(microlp::Error::Unbounded) => {
            if max {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }
        }
        Err(e) => panic!("LP attacker: {e}"),
    }
}

fn generate(city: &synth::City, dataset: &str, rows: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    synth::generate(city, dataset, rows, seed, &mut out).unwrap();
    out
}

fn cells_of(a: &anonymise::Anonymised) -> Vec<Vec<PublishedCell>> {
    a.indicators.iter().map(|i| i.cells.clone()).collect()
}

proptest! {
    // A fixed seed: the cases are the same on every run, so CI time is the time measured here
    // (some random draws give the attacker's LPs minutes of work); new draws come from changing
    // the seed on purpose, and the regression file replays the cases that once failed.
    #![proptest_config(ProptestConfig {
        cases: 12,
        rng_seed: proptest::test_runner::RngSeed::Fixed(PROPERTY_SEED),
        ..ProptestConfig::default()
    })]

    /// Random survey files, random subsets of the catalogue: the independent attacker recomputes
    /// no suppressed cell from the release; and every secondary cell, published after all, hands
    /// it the cell it was withheld for (so the attacker can find what it looks for), which the
    /// node's own audit refuses too.
    #[test]
    fn no_suppressed_cell_follows_from_the_whole_release(
        seed in 0u64..1_000_000,
        rows in 60u64..260,
        city in 0usize..4,
        household in any::<bool>(),
        pick in proptest::collection::vec(any::<bool>(), 13),
    ) {
        let dataset = if household { "household" } else { "survey" };
        let mut cat = Catalogue::builtin();
        let all: Vec<String> = cat.indicators_of(dataset).map(|i| i.id.clone()).collect();
        let mut keep: Vec<&String> =
            all.iter().zip(pick.iter().cycle()).filter(|(_, k)| **k).map(|(i, _)| i).collect();
        if keep.len() < 2 {
            keep = all.iter().take(2).collect();
        }
        let keep: BTreeSet<String> = keep.into_iter().cloned().collect();
        cat.indicators.retain(|i| i.dataset != dataset || keep.contains(&i.id));
        let city = synth::PILOTS[city];
        let data = generate(&city, dataset, rows, seed);
        let member = city.id.parse().unwrap();
        let truth = ingest::run(&cat, dataset, &member, "f.csv", None, &data[..]).unwrap();
        let policy = Policy::default();
        let released = anonymise::apply(&truth, &policy, &mut rand_core::OsRng).unwrap();
        let sigs = signatures(&cat, dataset, city.id, &data);
        let release = cells_of(&released);
        let found = attack(&truth, &release, &sigs, &policy, LP_TARGETS);
        prop_assert!(found.recovered.is_empty(), "recovered {:?} ({keep:?})", found.recovered);
        prop_assert!(found.narrow.is_empty(), "narrow ranges {:?} ({keep:?})", found.narrow);

        // A secondary cell of the exact stage, withheld against the linear attack, published
        // after all (with the cells withheld for singletons and intervals, which only widen
        // what was published when it was decided): the attacker gets in, the audit says no.
        let linear = |why: &str| !why.starts_with("secondary, interval") && !why.contains("by the one respondent");
        let secondary = |interval: bool| release.iter().enumerate().flat_map(move |(t, cells)| {
            cells.iter().enumerate().filter(move |(_, c)| matches!(&c.status,
                Status::Secondary(why) if if interval { why.starts_with("secondary, interval") } else { linear(why) }))
                .map(move |(c, _)| (t, c))
        }).next();
        let published = |cells: &[Vec<PublishedCell>]| -> Vec<Vec<bool>> {
            cells.iter().map(|cells| cells.iter().map(|c| c.status == Status::Published).collect()).collect()
        };
        if let Some((t, c)) = secondary(false) {
            let mut leaky = release.clone();
            for c in leaky.iter_mut().flatten() {
                if matches!(&c.status, Status::Secondary(why) if !linear(why)) {
                    c.status = Status::Published;
                }
            }
            leaky[t][c].status = Status::Published;
            let recovered = attack(&truth, &leaky, &sigs, &policy, 0).recovered;
            prop_assert!(!recovered.is_empty(), "{:?} was withheld for nothing", leaky[t][c]);
            prop_assert!(anonymise::linked::audit(&truth, &published(&leaky), &policy).is_err());
        }
        // The cells withheld for intervals, published after all: the interval audit says no.
        if secondary(true).is_some() {
            let mut leaky = release.clone();
            for c in leaky.iter_mut().flatten() {
                if matches!(&c.status, Status::Secondary(why) if why.starts_with("secondary, interval")) {
                    c.status = Status::Published;
                }
            }
            let refused = anonymise::linked::audit(&truth, &published(&leaky), &policy);
            prop_assert!(
                refused.as_ref().is_err_and(|e| e.what.contains("does not admit")),
                "{refused:?}"
            );
        }
    }
}

/// Rewrites a survey file so that exactly `keep` respondents of `column = value` satisfy
/// `field in from`; the others get `field = to`.
fn keep_few(
    csv: &[u8],
    column: &str,
    value: &str,
    field: &str,
    from: &[&str],
    to: &str,
    keep: usize,
) -> Vec<u8> {
    let text = std::str::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let c = cols.iter().position(|h| *h == column).unwrap();
    let f = cols.iter().position(|h| *h == field).unwrap();
    let mut kept = 0;
    let mut out = format!("{header}\n");
    for line in lines {
        let mut row: Vec<String> = line.split(',').map(Into::into).collect();
        if row[c] == value && from.contains(&row[f].as_str()) {
            if kept < keep {
                kept += 1;
            } else {
                row[f] = to.into();
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    assert_eq!(kept, keep, "the file has fewer than {keep} such respondents");
    out.into_bytes()
}

async fn query(cluster: &TestCluster, path: &str) -> serde_json::Value {
    let (status, _, body) = http_get(cluster.nodes[0].http_addr, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn group<'a>(a: &'a serde_json::Value, value: &str) -> &'a serde_json::Value {
    a["groups"].as_array().unwrap().iter().find(|g| g["value"] == value).unwrap()
}

/// Tirana's quintile-1 respondents with above-basic skills are two: per series, the headline
/// minus `basic` minus `above_basic` gave them away. Read over HTTP at Brussels, which publishes
/// too: every metropolitan figure is then a sum of the cities' published cells, so it adds
/// nothing to what each city's release gives the attacker.
#[tokio::test]
async fn skill_levels_that_add_up_do_not_give_away_a_suppressed_level() {
    let cluster = TestCluster::cities(&["BEBRU", "ALTIA"], 2).await;
    let csv = generate(&synth::TIRANA, "survey", 1500, 16);
    let data = keep_few(&csv, "income_quintile", "1", "dsi_overall", &["above_basic"], "basic", 2);
    let brussels = generate(&synth::BRUSSELS, "survey", 1500, 15);
    let mut replies = Vec::new();
    for (node, data) in cluster.nodes.iter().zip([brussels, data]) {
        replies.push(node.ingest("survey", "2025", false, data).await.unwrap());
    }
    let skl =
        |i: usize| replies[i].releases.iter().find(|r| r.indicator_id == "DRI-SKL-01").unwrap();
    let cell = |i: usize, series: &str, value: &str| {
        skl(i)
            .cells
            .iter()
            .find(|c| c.series == series && c.dimension == "income_quintile" && c.value == value)
            .cloned()
    };
    let above = cell(1, "above_basic", "1").unwrap();
    assert_eq!(above.status, pb::CellStatus::SuppressedPrimary as i32);
    cluster
        .wait_until("both cities' releases at Brussels", |c| {
            c.held(0, "ALTIA") >= c.nodes[1].log_size()
                && c.held(1, "BEBRU") >= c.nodes[0].log_size()
        })
        .await;
    let path = |s: &str| {
        format!("/api/v1/query?indicator=DRI-SKL-01&by=income_quintile&period=2025&series={s}")
    };
    let shown = |g: &serde_json::Value| g["estimate"]["published"].as_bool().unwrap();
    let suppressed_in = |g: &serde_json::Value| -> Vec<String> {
        g["suppressed_in"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect()
    };
    let series = ["_T", "no_skills", "low", "narrow", "limited", "basic", "above_basic"];
    let mut answers = BTreeMap::new();
    for s in series {
        let a = query(&cluster, &path(s)).await;
        // The metropolitan level: each published group is the sum of the published cells of the
        // cities it includes, and the cities it leaves out withheld theirs.
        for g in a["groups"].as_array().unwrap() {
            let value = g["value"].as_str().unwrap();
            let out = suppressed_in(g);
            for (i, id) in ["BEBRU", "ALTIA"].iter().enumerate() {
                let c = cell(i, s, value);
                let withheld =
                    c.as_ref().is_some_and(|c| c.status != pb::CellStatus::Published as i32);
                assert_eq!(out.contains(&id.to_string()), withheld, "{s} {value} {id}: {g}");
            }
            if shown(g) {
                let sum: i64 = (0..2)
                    .filter_map(|i| cell(i, s, value))
                    .filter(|c| c.status == pb::CellStatus::Published as i32)
                    .map(|c| c.numerator)
                    .sum();
                assert_eq!(g["estimate"]["numerator"].as_f64().unwrap(), sum as f64, "{g}");
            } else {
                assert!(g["estimate"]["numerator"].is_null(), "withheld is null, not 0: {g}");
                assert!(!g["estimate"]["note"].as_str().unwrap().is_empty(), "and why: {g}");
            }
        }
        answers.insert(s, a);
    }
    // The reported attack: headline minus basic minus above-basic, city by city through the
    // cities each metropolitan group leaves out. Tirana must be left out of at least two of the
    // three wherever it is left out of one.
    let q1 = |s: &str| group(&answers[s], "1");
    let out: Vec<bool> = ["_T", "basic", "above_basic"]
        .iter()
        .map(|s| suppressed_in(q1(s)).contains(&"ALTIA".to_string()))
        .collect();
    assert!(out[2], "the suppressed cell is left out: {}", q1("above_basic"));
    assert!(
        out.iter().filter(|o| **o).count() >= 2,
        "headline and basic both include Tirana: their difference is its suppressed cell\n{}\n{}",
        q1("_T"),
        q1("basic")
    );
    // Its withheld partner says which cell it protects, and how they are linked.
    let reasons: Vec<&str> = skl(1)
        .cells
        .iter()
        .filter(|c| c.status == pb::CellStatus::SuppressedSecondary as i32)
        .map(|c| c.suppression_reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("income_quintile=1")
            && (r.contains("across the series") || r.contains("across indicators"))),
        "{reasons:?}"
    );
}

/// Dublin's single parents without internet are four: DRI-ACC-01 withholds them, and DRI-ACC-02
/// (all households) minus DRI-ACC-03 (households with internet) must not give them back.
#[tokio::test]
async fn nested_scopes_across_indicators_do_not_give_away_a_suppressed_cell() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    let csv = generate(&synth::DUBLIN, "household", 2500, 17);
    let data = keep_few(&csv, "hh_type", "single_parent", "hh_internet_access", &["0"], "1", 4);
    let reply = cluster.nodes[1].ingest("household", "2025", false, data).await.unwrap();
    let acc01 = reply.releases.iter().find(|r| r.indicator_id == "DRI-ACC-01").unwrap();
    let c = acc01
        .cells
        .iter()
        .find(|c| c.series == "_T" && c.dimension == "hh_type" && c.value == "single_parent")
        .unwrap();
    assert_eq!(c.status, pb::CellStatus::SuppressedPrimary as i32, "{c:?}");
    cluster
        .wait_until("Dublin's releases at Brussels", |c| {
            c.held(0, "IEDUB") >= c.nodes[1].log_size()
        })
        .await;
    let by = |id: &str| format!("/api/v1/query?indicator={id}&by=hh_type&period=2025");
    let a02 = query(&cluster, &by("DRI-ACC-02")).await;
    let a03 = query(&cluster, &by("DRI-ACC-03")).await;
    let a01 = query(&cluster, &by("DRI-ACC-01")).await;
    let shown = |a: &serde_json::Value| {
        group(a, "single_parent")["estimate"]["published"].as_bool().unwrap()
    };
    // Households (ACC-01 or ACC-02 denominators) minus households with internet (ACC-01's
    // numerator, ACC-03's denominator) is the suppressed cell: never both sides.
    assert!(!shown(&a01), "{a01}");
    assert!(!(shown(&a02) && shown(&a03)), "ACC-02 and ACC-03 both published:\n{a02}\n{a03}");
}
