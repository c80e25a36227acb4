//! Linked disclosure control: secondary suppression and its audit over one system per dataset
//! release, so that no primary-suppressed cell follows from everything the release publishes
//! (every indicator, series, dimension, numerator and denominator at once).
//!
//! The model. Rows fall into positions: the value of a dimension (`age_band = 16_24`, shared by
//! every indicator broken down by age) or the total. A published quantity is a weighted sum over
//! the rows of one position of one predicate ("in the denominator of DRI-USE-01", "in the
//! numerator of DRI-SKL-01 series basic"). Ingest finds the span of the rows' predicate
//! signatures (`ingest::Relations`), so every predicate is a fixed combination of `r` pivot
//! predicates on every row, and every quantity a combination of the unknowns
//! `Y[position][i]` = the weighted rows of that position satisfying pivot predicate `i`. The
//! attacker is assumed to know, besides what is published:
//! - the relations themselves (the catalogue, and those that hold in this file only);
//! - that the positions of each dimension partition the rows: `sum_v Y[(d, v)] = Y[total]`;
//! - every quantity with no respondent: a cell absent from a release, and a numerator of 0
//!   respondents, count as known zeros (as tau-ARGUS treats empty cells).
//!
//! Protected (the targets), for each primary-suppressed cell: a base below `min_base` protects
//! its denominator, numerator and the rest (denominator minus numerator), each when it has a
//! respondent; 1 to `min_count` - 1 respondents inside (or outside) the numerator protect the
//! numerator (or the rest). A target is disclosed when it lies in the span of the known and
//! published quantities.
//!
//! Secondary suppression (in the manner of GaussSuppression): cells are offered for publication
//! in order of the information their loss would cost (totals first, then by weighted base,
//! largest first); each is published unless it would put a target in the span, and withheld
//! otherwise, naming the cell it protects. Interval protection (`interval`) then withholds what
//! keeps every protected range wide enough. `audit` then re-checks the final release set from
//! scratch, and publishing refuses a set that fails it.
//!
//! Not linked: the unweighted counts published beside the weighted ones (base bands of
//! published cells, rows in scope and missing an item) are a separate family of quantities,
//! only ever published as bands or as whole-dataset totals.

mod interval;

use std::collections::BTreeMap;

use super::{Policy, Status};
use crate::{
    ingest::{Acc, Relations, Tables},
    linalg::{self, Echelon, RowSpace},
};

/// A primary-suppressed cell that the release set would disclose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "linked disclosure audit failed: {cell} would be recomputable from the published cells \
     ({what}); nothing was published. This is a bug in disclosure control: please report it"
)]
pub struct Leak {
    /// The cell, as indicator, series and position.
    pub cell: String,
    /// Which of its quantities, and how.
    pub what: String,
}

/// The size of one linked system, for the release's method and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Cells in the release set.
    pub cells: usize,
    /// Predicates (a numerator and a denominator per indicator and series).
    pub predicates: usize,
    /// Independent linear relations among them that hold on every row.
    pub relations: usize,
    /// Unknowns of the attacker's system (positions times independent predicates).
    pub unknowns: usize,
    /// Protected quantities of primary-suppressed cells.
    pub targets: usize,
    /// Cells withheld to protect them (both stages).
    pub secondary: usize,
    /// Of those, the cells withheld by interval protection (ranges too narrow).
    pub interval_secondary: usize,
    /// Linear programs solved for interval protection.
    pub lps: usize,
    /// Whether the interval attacker was the atom-level one (every combination of answers the
    /// file shows), else the predicate-level one.
    pub atom_level: bool,
}

/// One quantity of a primary cell to protect.
struct Target {
    table: usize,
    cell: usize,
    q: Quantity,
    /// One respondent only: a singleton, who knows the quantity (their own weight).
    single: bool,
    residual: Vec<u64>,
}

/// The attacker's system for one release set.
struct Model<'a> {
    tables: &'a Tables,
    /// Independent predicates.
    r: usize,
    /// Per predicate: its coefficients over the pivot predicates.
    coef: Vec<Vec<u64>>,
    relations: &'a Relations,
    /// Dimension positions `(dimension, value)`; the total is position `positions.len()`.
    positions: Vec<(String, String)>,
    /// Per table, per cell: (series index, position).
    place: Vec<Vec<(usize, usize)>>,
    /// Per dimension, its positions.
    dims: BTreeMap<String, Vec<usize>>,
}

impl<'a> Model<'a> {
    fn new(tables: &'a Tables, relations: &'a Relations) -> Self {
        let m = relations.space.width();
        let coef: Vec<Vec<u64>> = (0..m).map(|j| relations.space.coefficients(j)).collect();
        let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut positions = Vec::new();
        for t in &tables.tables {
            for c in &t.cells {
                if let Some(d) = &c.dimension {
                    index.entry((d.clone(), c.value.clone())).or_insert_with(|| {
                        positions.push((d.clone(), c.value.clone()));
                        positions.len() - 1
                    });
                }
            }
        }
        let total = positions.len();
        let place = tables
            .tables
            .iter()
            .map(|t| {
                let mut series: Vec<&str> = Vec::new();
                t.cells
                    .iter()
                    .map(|c| {
                        let s = series.iter().position(|s| *s == c.series).unwrap_or_else(|| {
                            series.push(&c.series);
                            series.len() - 1
                        });
                        let pos = match &c.dimension {
                            Some(d) => index[&(d.clone(), c.value.clone())],
                            None => total,
                        };
                        (s, pos)
                    })
                    .collect()
            })
            .collect();
        let mut dims: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (d, _)) in positions.iter().enumerate() {
            dims.entry(d.clone()).or_default().push(i);
        }
        Self { tables, r: relations.space.rank(), coef, relations, positions, place, dims }
    }

    fn total(&self) -> usize {
        self.positions.len()
    }

    fn unknowns(&self) -> usize {
        (self.positions.len() + 1) * self.r
    }

    /// The system's size, with the targets and secondary cells of a run over it.
    fn report(&self, targets: usize, secondary: usize) -> Report {
        let space = &self.relations.space;
        Report {
            cells: self.tables.tables.iter().map(|t| t.cells.len()).sum(),
            predicates: space.width(),
            relations: space.width() - space.rank(),
            unknowns: self.unknowns(),
            targets,
            secondary,
            interval_secondary: 0,
            lps: 0,
            atom_level: false,
        }
    }

    /// `sign` times predicate `pred` at `pos`, added into `v`.
    fn put(&self, v: &mut [u64], pos: usize, pred: usize, negate: bool) {
        for (i, &c) in self.coef[pred].iter().enumerate() {
            if c != 0 {
                let k = pos * self.r + i;
                v[k] = if negate { linalg::sub(v[k], c) } else { linalg::add(v[k], c) };
            }
        }
    }

    /// A quantity of cell `cell` of table `t`: its denominator, numerator or rest.
    fn quantity(&self, t: usize, cell: usize, what: Quantity) -> Vec<u64> {
        let (s, pos) = self.place[t][cell];
        let mut v = vec![0; self.unknowns()];
        let den = self.relations.predicate(t, s, false);
        let num = self.relations.predicate(t, s, true);
        match what {
            Quantity::Denominator => self.put(&mut v, pos, den, false),
            Quantity::Numerator => self.put(&mut v, pos, num, false),
            Quantity::Rest => {
                self.put(&mut v, pos, den, false);
                self.put(&mut v, pos, num, true);
            }
        }
        v
    }

    /// What the attacker knows without a published cell: the partition of the rows by every
    /// dimension, and every quantity with no respondent.
    fn known(&self) -> Echelon {
        let n = self.unknowns();
        let mut basis = Echelon::new(n);
        let total = self.total();
        for positions in self.dims.values() {
            for i in 0..self.r {
                let mut v = vec![0; n];
                for &p in positions {
                    v[p * self.r + i] = 1;
                }
                v[total * self.r + i] = linalg::P - 1;
                basis.insert(&mut v);
            }
        }
        for (pos, pred) in self.zeros() {
            let mut v = vec![0; n];
            self.put(&mut v, pos, pred, false);
            basis.insert(&mut v);
        }
        basis
    }

    /// Every quantity with no respondent, as (position, predicate): the cells absent from a
    /// release, and numerators of no respondent.
    fn zeros(&self) -> Vec<(usize, usize)> {
        let total = self.total();
        let mut out = Vec::new();
        for (t, table) in self.tables.tables.iter().enumerate() {
            let series = self.place[t].iter().map(|(s, _)| s + 1).max().unwrap_or(0);
            let mut held: BTreeMap<(usize, usize), &Acc> = BTreeMap::new();
            for (c, cell) in table.cells.iter().enumerate() {
                held.insert(self.place[t][c], &cell.acc);
            }
            let mut mine: Vec<usize> = vec![total];
            for d in table.cells.iter().filter_map(|c| c.dimension.as_ref()) {
                for &p in &self.dims[d] {
                    if !mine.contains(&p) {
                        mine.push(p);
                    }
                }
            }
            for s in 0..series {
                for &pos in &mine {
                    let (den_zero, num_zero) = match held.get(&(s, pos)) {
                        None => (true, true),
                        Some(a) => (false, a.n_num == 0 && a.num == 0),
                    };
                    for (zero, numerator) in [(den_zero, false), (num_zero, true)] {
                        if zero {
                            out.push((pos, self.relations.predicate(t, s, numerator)));
                        }
                    }
                }
            }
        }
        out
    }

    /// The protected quantities of every primary-suppressed cell.
    fn targets(&self, statuses: &[Vec<Status>], policy: &Policy) -> Vec<Target> {
        let mut out = Vec::new();
        for (t, table) in self.tables.tables.iter().enumerate() {
            for (c, cell) in table.cells.iter().enumerate() {
                if !matches!(statuses[t][c], Status::Primary(_)) {
                    continue;
                }
                let a = cell.acc;
                let rest = a.n_den.saturating_sub(a.n_num);
                let small = |n: u64| (1..policy.min_count).contains(&n);
                let base = a.n_den < policy.min_base;
                let wanted = [
                    (Quantity::Denominator, base && a.n_den > 0),
                    (Quantity::Numerator, a.n_num > 0 && (base || small(a.n_num))),
                    (Quantity::Rest, rest > 0 && (base || small(rest))),
                ];
                for (q, want) in wanted {
                    if want {
                        let n = match q {
                            Quantity::Denominator => a.n_den,
                            Quantity::Numerator => a.n_num,
                            Quantity::Rest => rest,
                        };
                        out.push(Target {
                            table: t,
                            cell: c,
                            q,
                            single: n == 1,
                            residual: self.quantity(t, c, q),
                        });
                    }
                }
            }
        }
        out
    }

    /// "DRI-USE-01 _T age_band=16_24" or "DRI-USE-01 _T total".
    fn name(&self, t: usize, c: usize) -> String {
        let table = &self.tables.tables[t];
        let cell = &table.cells[c];
        match &cell.dimension {
            Some(d) => format!("{} {} {d}={}", table.indicator_id, cell.series, cell.value),
            None => format!("{} {} total", table.indicator_id, cell.series),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Quantity {
    Denominator,
    Numerator,
    Rest,
}

impl Quantity {
    fn name(self) -> &'static str {
        match self {
            Quantity::Denominator => "its denominator",
            Quantity::Numerator => "its numerator",
            Quantity::Rest => "its denominator minus numerator",
        }
    }
}

/// Every predicate independent: the model of a table built by hand, without ingest's relations.
fn unrelated(tables: &Tables) -> Relations {
    let mut offsets = Vec::new();
    let mut m = 0;
    for t in &tables.tables {
        offsets.push(m);
        let mut series: Vec<&str> = Vec::new();
        for c in &t.cells {
            if !series.contains(&c.series.as_str()) {
                series.push(&c.series);
            }
        }
        m += 2 * series.len();
    }
    let mut space = RowSpace::new(m);
    for j in 0..m {
        let mut v = vec![0; m];
        v[j] = 1;
        space.insert(v);
    }
    Relations::without_implications(offsets, space)
}

fn relations_of(tables: &Tables) -> std::borrow::Cow<'_, Relations> {
    match &tables.relations {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(unrelated(tables)),
    }
}

/// Whether `a` is a multiple of the non-zero `b`.
fn parallel(a: &[u64], b: &[u64]) -> bool {
    let Some(p) = b.iter().position(|&x| x != 0) else { return false };
    let f = linalg::mul(a[p], linalg::inv(b[p]));
    a.iter().zip(b).all(|(&x, &y)| x == linalg::mul(f, y))
}

/// A pair `(i, j)` where target `i` follows from what is published together with singleton
/// target `j` (its one respondent knows it), given each target's residual: the singleton
/// attack of GaussSuppression. Only pairs with a target of `changed` are looked at.
fn singleton_clash(
    targets: &[Target],
    residual: impl Fn(usize) -> Vec<u64>,
    changed: &[usize],
) -> Option<(usize, usize)> {
    let singles: Vec<usize> = (0..targets.len()).filter(|&j| targets[j].single).collect();
    if singles.is_empty() {
        return None;
    }
    let distinct = |i: usize, j: usize| {
        let (a, b) = (&targets[i], &targets[j]);
        (a.table, a.cell, a.q as u8) != (b.table, b.cell, b.q as u8)
    };
    // Target `i` told by singleton `j`: a multiple of it, up to what is published; except the
    // singleton's own quantity plus published cells (`ri == rj`: a headline equal to its one
    // level with a respondent, a total whose other values are published), where what the
    // singleton learns beyond their own weight is public already.
    let told =
        |i: usize, ri: &[u64], j: usize, rj: &[u64]| distinct(i, j) && parallel(ri, rj) && ri != rj;
    for &i in changed {
        let ri = residual(i);
        for &j in &singles {
            if told(i, &ri, j, &residual(j)) {
                return Some((i, j));
            }
        }
        if targets[i].single {
            for j in 0..targets.len() {
                if told(j, &residual(j), i, &ri) {
                    return Some((j, i));
                }
            }
        }
    }
    None
}

/// Clears `v` at each pivot `p` of `added` (vectors scaled to 1 there, zero before it).
fn eliminate(v: &mut [u64], added: &[(usize, Vec<u64>)]) {
    for (p, y) in added {
        let f = v[*p];
        if f != 0 {
            for (k, &yk) in y.iter().enumerate().skip(*p) {
                if yk != 0 {
                    v[k] = linalg::sub(v[k], linalg::mul(f, yk));
                }
            }
        }
    }
}

/// What offering one cell for publication does to the exact system.
enum Offer {
    /// Its quantities are in the span already: publishing it tells nothing new.
    Known,
    /// Publishing it would put target `.0` in the span (with singleton target `.1`'s help).
    Discloses(usize, Option<usize>),
    /// Publishing it is safe: the vectors it adds (reduced, scaled at their pivots) and the
    /// residuals of the targets they change.
    Safe(Vec<(usize, Vec<u64>)>, Vec<(usize, Vec<u64>)>),
}

/// Whether publishing cell `c` of table `t` on top of `basis` would disclose a target, whose
/// residuals are reduced against `basis`.
fn offer(model: &Model<'_>, basis: &Echelon, targets: &[Target], t: usize, c: usize) -> Offer {
    let mut added: Vec<(usize, Vec<u64>)> = Vec::new();
    for q in [Quantity::Numerator, Quantity::Denominator] {
        let mut x = model.quantity(t, c, q);
        if !basis.reduce(&mut x) {
            continue;
        }
        eliminate(&mut x, &added);
        let Some(p) = x.iter().position(|&v| v != 0) else { continue };
        let s = linalg::inv(x[p]);
        x.iter_mut().for_each(|v| *v = linalg::mul(*v, s));
        added.push((p, x));
    }
    if added.is_empty() {
        return Offer::Known;
    }
    let mut updates: Vec<(usize, Vec<u64>)> = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        if added.iter().all(|(p, _)| target.residual[*p] == 0) {
            continue;
        }
        let mut r = target.residual.clone();
        eliminate(&mut r, &added);
        if r.iter().all(|&v| v == 0) {
            return Offer::Discloses(i, None);
        }
        updates.push((i, r));
    }
    let changed: Vec<usize> = updates.iter().map(|(i, _)| *i).collect();
    let residual = |k: usize| match updates.iter().find(|(i, _)| *i == k) {
        Some((_, r)) => r.clone(),
        None => targets[k].residual.clone(),
    };
    match singleton_clash(targets, residual, &changed) {
        Some((i, j)) => Offer::Discloses(i, Some(j)),
        None => Offer::Safe(added, updates),
    }
}

/// Adds what `Offer::Safe` found to the basis and the targets' residuals.
fn accept(
    basis: &mut Echelon,
    targets: &mut [Target],
    added: &[(usize, Vec<u64>)],
    updates: Vec<(usize, Vec<u64>)>,
) {
    for (p, y) in added {
        // Unwrap safety: `y` is reduced and scaled at its pivot `p`.
        let (q, _) = basis.push_reduced(y).expect("a non-zero reduced vector");
        debug_assert_eq!(q, *p);
    }
    for (i, r) in updates {
        targets[i].residual = r;
    }
}

/// The published cells of `statuses` in the order they are offered for publication, from the
/// one whose loss would cost most information: totals first, then by weighted base, largest
/// first.
fn by_information(model: &Model<'_>, statuses: &[Vec<Status>]) -> Vec<(usize, usize)> {
    let mut cells = Vec::new();
    for (t, row) in statuses.iter().enumerate() {
        cells.extend(
            row.iter().enumerate().filter(|(_, s)| **s == Status::Published).map(|(c, _)| (t, c)),
        );
    }
    let total = model.total();
    cells.sort_by_key(|&(t, c)| {
        let den = model.tables.tables[t].cells[c].acc.den;
        (model.place[t][c].1 != total, std::cmp::Reverse(den), t, c)
    });
    cells
}

/// Secondary suppression over the linked system: marks `Status::Secondary` on the cells that
/// must be withheld so that no target of a primary cell is in the span of what is published.
pub fn suppress(tables: &Tables, statuses: &mut [Vec<Status>], policy: &Policy) -> Report {
    let relations = relations_of(tables);
    let model = Model::new(tables, &relations);
    let mut basis = model.known();
    let mut targets = model.targets(statuses, policy);
    for t in &mut targets {
        // Known quantities alone cannot disclose a respondent (they are zeros, or sums of rows
        // every dimension holds); the audit would name it if they did.
        basis.reduce(&mut t.residual);
    }
    let order = by_information(&model, statuses);
    let mut secondary = 0;
    for (t, c) in order {
        match offer(&model, &basis, &targets, t, c) {
            Offer::Known => {}
            Offer::Safe(added, updates) => accept(&mut basis, &mut targets, &added, updates),
            Offer::Discloses(i, by) => {
                let target = &targets[i];
                let (tt, tc) = (target.table, target.cell);
                let kind = if tt == t
                    && tables.tables[t].cells[c].series == tables.tables[tt].cells[tc].series
                {
                    "within its series"
                } else if tt == t {
                    "across the series of its indicator"
                } else {
                    "across indicators"
                };
                let by = match by {
                    Some(j) => format!(
                        " by the one respondent of {} (suppressed)",
                        model.name(targets[j].table, targets[j].cell)
                    ),
                    None => String::new(),
                };
                statuses[t][c] = Status::Secondary(format!(
                    "secondary, {kind}: publishing it would let {} (suppressed) be recomputed{by}",
                    model.name(tt, tc)
                ));
                secondary += 1;
            }
        }
    }
    // Interval protection over what the exact stage left published. A failure here (no LP
    // answer) leaves the set as it is: the audit then refuses it, naming the failure.
    let mut report = model.report(targets.len(), secondary);
    if let Ok(mut lp) = interval::Intervals::new(&model) {
        if let Ok(n) = lp.protect(statuses, &targets, policy) {
            report.secondary += n;
            report.interval_secondary = n;
        }
        report.lps = lp.solved;
    }
    // The attacker who knows which combinations of answers occur, on what is left.
    let atoms = relations.signatures.as_deref().filter(|_| !targets.is_empty());
    if let Some(mut lp) = atoms.and_then(|s| interval::Intervals::atoms(&model, s)) {
        if let Ok(n) = lp.protect(statuses, &targets, policy) {
            report.secondary += n;
            report.interval_secondary += n;
        }
        report.lps += lp.solved;
        report.atom_level = true;
    }
    report
}

/// The interval attacker publishing runs: the atom-level one where ingest listed the
/// signatures and the LP fits, else the predicate-level one; with whether it is atom-level.
fn attacker<'m, 'a>(model: &'m Model<'a>) -> Result<(interval::Intervals<'m, 'a>, bool), Leak> {
    let atoms =
        model.relations.signatures.as_deref().and_then(|s| interval::Intervals::atoms(model, s));
    match atoms {
        Some(lp) => Ok((lp, true)),
        None => interval::Intervals::new(model).map(|lp| (lp, false)).map_err(|e| Leak {
            cell: "the release set".into(),
            what: format!("the interval audit could not be built: {e}"),
        }),
    }
}

/// Every target's range against its need, under `lp`'s attacker.
fn ranges_meet(
    lp: &mut interval::Intervals<'_, '_>,
    model: &Model<'_>,
    statuses: &[Vec<Status>],
    targets: &[Target],
    policy: &Policy,
) -> Result<(), Leak> {
    let failed = |what: String| Leak { cell: "the release set".into(), what };
    let decomposable = lp.decomposable(statuses);
    let mut open = lp
        .uncertified(statuses, targets, policy)
        .map_err(|e| failed(format!("the interval audit could not run: {e}")))?;
    for i in 0..open.len() {
        let (target, sides) = open[i];
        if sides == (false, false) {
            continue; // shown by a point of an earlier target's LP
        }
        let need = lp.need(target, policy);
        let interval::Seen { range, positions, points } = lp
            .range(statuses, target, decomposable, sides)
            .map_err(|e| failed(format!("the interval audit could not run: {e}")))?;
        for (later, sides) in &mut open[i + 1..] {
            for x in &points {
                *sides = lp.shows(later, lp.need(later, policy), &positions, x, *sides);
            }
        }
        if !need.met(range) {
            return Err(Leak {
                cell: model.name(target.table, target.cell),
                what: format!(
                    "{} lies in [{:.3}, {:.3}], which does not admit both 0 and {:.3}",
                    target.q.name(),
                    range.lo,
                    range.hi,
                    need.upper
                ),
            });
        }
    }
    Ok(())
}

/// The exact audit of a final release set, built from scratch: `published[t][c]` says whether
/// cell `c` of table `t` is published. Fails naming the first primary cell whose protected
/// quantity is in the span of the known and published quantities.
pub fn audit(tables: &Tables, published: &[Vec<bool>], policy: &Policy) -> Result<Report, Leak> {
    let relations = relations_of(tables);
    let model = Model::new(tables, &relations);
    let mut statuses: Vec<Vec<Status>> = Vec::with_capacity(tables.tables.len());
    for (t, (table, p)) in tables.tables.iter().zip(published).enumerate() {
        let mut row = Vec::with_capacity(table.cells.len());
        for (c, (cell, &p)) in table.cells.iter().zip(p).enumerate() {
            row.push(match super::primary(cell.acc.n_den, cell.acc.n_num, policy) {
                Status::Published if p => Status::Published,
                Status::Published => Status::Secondary(String::new()),
                _ if p => {
                    return Err(Leak { cell: model.name(t, c), what: "published itself".into() });
                }
                primary => primary,
            });
        }
        statuses.push(row);
    }
    let mut basis = model.known();
    for (t, p) in published.iter().enumerate() {
        for (c, _) in p.iter().enumerate().filter(|(_, p)| **p) {
            for q in [Quantity::Numerator, Quantity::Denominator] {
                basis.insert(&mut model.quantity(t, c, q));
            }
        }
    }
    let mut targets = model.targets(&statuses, policy);
    for target in &mut targets {
        if !basis.reduce(&mut target.residual) {
            return Err(Leak {
                cell: model.name(target.table, target.cell),
                what: target.q.name().into(),
            });
        }
    }
    let all: Vec<usize> = (0..targets.len()).collect();
    if let Some((i, j)) = singleton_clash(&targets, |k| targets[k].residual.clone(), &all) {
        return Err(Leak {
            cell: model.name(targets[i].table, targets[i].cell),
            what: format!(
                "{}, by the one respondent of {}",
                targets[i].q.name(),
                model.name(targets[j].table, targets[j].cell)
            ),
        });
    }
    // The interval audit, from scratch over the same set.
    let (mut lp, atom_level) = attacker(&model)?;
    ranges_meet(&mut lp, &model, &statuses, &targets, policy)?;
    let secondary = statuses.iter().flatten().filter(|s| matches!(s, Status::Secondary(_))).count();
    let mut report = model.report(targets.len(), secondary);
    report.lps = lp.solved;
    report.atom_level = atom_level;
    Ok(report)
}
