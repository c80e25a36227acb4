//! Interval protection, as tau-ARGUS audits it: the range a linear-programming attacker derives
//! for each protected quantity from everything a release publishes, and the extra suppression
//! that keeps every range wide enough. The LP solver is `microlp`.
//!
//! The attacker's system is the exact model's (`super::Model`: unknowns `Y[position][i]`, the
//! partition of the rows by every dimension, the known zeros, every published numerator and
//! denominator), over the reals, with the inequalities every weighted count obeys, at every
//! position: each predicate's count is non-negative, and a predicate that implies another on
//! every row read counts no more than it (every numerator inside its denominator, and the
//! inclusions the data shows besides, such as "never used the internet" inside "not used in the
//! last three months": `ingest::Relations::escapes`).
//!
//! The rule: the range `[lo, hi]` of a protected quantity must admit both 0 and `min_count`
//! respondents' worth of weight (`min_count` times the quantity's own mean weight per
//! respondent). The published cells then tell the cell neither from an empty one nor from one at
//! the publication threshold.
//!
//! A second, stronger attacker (`Intervals::atoms`) knows which combinations of answers occur
//! in the file: its unknowns are atoms, the weight at one position of the rows sharing one
//! signature, each non-negative, so every inequality that holds on every row holds for it
//! (not only the pairwise inclusions). Suppression runs the first attacker, then this one on
//! what is left; the audit asks this one whenever ingest could list the signatures
//! (`ingest::SIGNATURES_KEPT`).
//!
//! Protection, for a target whose range falls short on one side: first the cheapest set of
//! published cells whose withholding lets the range reach its need, found at once by an elastic
//! LP (every published equality may be missed, at a cost per unit of weight that is higher for
//! totals and larger cells; the target must reach 0, or its need; the cells missed at the
//! optimum are withheld, and the optimum is then a point of the attacker's system where the
//! target meets its need). Where that finds nothing, one cell at a time (`candidate`). Every
//! optimum an LP returns is a point of the attacker's system, which stays one when more is
//! withheld: the targets still open are checked against it before they get an LP of their own.
//!
//! The size of one LP: when the total position's quantities are fixed by its own published cells
//! (the usual case: totals are offered for publication first), the dimensions only meet at the
//! total, so a target's range depends on its own dimension alone and the LP holds that
//! dimension's positions and the total. Otherwise it holds every position.

use std::collections::{BTreeMap, BTreeSet};

use microlp::{
    ComparisonOp, Error as LpError, OptimizationDirection,
    OptimizationDirection::{Maximize, Minimize},
    Problem, Variable,
};

use super::{Model, Quantity, Target};

/// The most unknowns (distinct signatures times positions) of the atom-level attacker's LP: a
/// survey file whose rows show hundreds of combinations of answers over fifty positions would
/// make LPs of tens of thousands of unknowns, each taking seconds, so such a file is audited at
/// the level of predicates alone (a known limit, ARCHITECTURE.md).
pub(super) const ATOM_UNKNOWNS: usize = 8192;
use crate::{
    anonymise::{Policy, Status},
    linalg::{self, Echelon},
};

/// Millionths per unit of weight.
const SCALE: f64 = 1e6;

/// Rounds of witness points before the targets left get an LP each.
const WITNESS_ROUNDS: usize = 6;

/// Weight by which an elastic LP may miss a cell and still count it as kept.
const MISSED: f64 = 1e-6;

/// An LP's optimum, its point, and the cells an elastic LP missed.
type Solved = (f64, Vec<f64>, Vec<(usize, usize)>);

/// A target with the sides of its range (`lo`, `hi`) still to show.
pub(super) type Open<'t> = (&'t Target, (bool, bool));

/// The LP attacker over one release set's model.
pub(super) struct Intervals<'m, 'a> {
    model: &'m Model<'a>,
    /// Per predicate, its coefficients over the pivot predicates, over the reals.
    coef: Vec<Vec<(usize, f64)>>,
    /// The inequalities at every position: `Z[a] >= Z[b]` for `(a, Some(b))` (predicate `b`
    /// implies `a`), `Z[a] >= 0` for `(a, None)`.
    order: Vec<(usize, Option<usize>)>,
    /// Known zeros: (position, predicate).
    zeros: Vec<(usize, usize)>,
    /// Variables per position: the pivot predicates' counts, or one atom per signature.
    width: usize,
    /// Whether the variables are atoms: then the dimensions meet at the total's atoms, which
    /// its published cells do not fix, so every LP holds every position.
    atoms: bool,
    /// Per position and variable (`position * width + i`): held at 0 by a known zero that sums
    /// it with positive coefficients (every variable is non-negative), so left out of every LP.
    dead: Vec<bool>,
    /// The largest weighted base of a cell (at least 1), to scale `cost`.
    largest: f64,
    /// LPs solved so far.
    pub(super) solved: usize,
}

/// The range of a protected quantity, in units of weight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Range {
    pub(super) lo: f64,
    pub(super) hi: f64,
}

/// A range with the positions of its LPs and their optimal points.
pub(super) struct Seen {
    pub(super) range: Range,
    pub(super) positions: Vec<usize>,
    pub(super) points: Vec<Vec<f64>>,
}

/// What a range must admit: 0 and `upper`, each within `slack`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Need {
    pub(super) upper: f64,
    pub(super) slack: f64,
}

impl Need {
    pub(super) fn met(self, r: Range) -> bool {
        r.lo <= self.slack && r.hi >= self.upper - self.slack
    }
}

impl<'m, 'a> Intervals<'m, 'a> {
    /// The attacker over `model`; fails if a relation among the predicates has no small
    /// rational form (never seen: the relations of 0/1 signatures have small coefficients).
    pub(super) fn new(model: &'m Model<'a>) -> Result<Self, String> {
        let m = model.coef.len();
        let mut coef = Vec::with_capacity(m);
        for (j, c) in model.coef.iter().enumerate() {
            let mut row = Vec::new();
            for (i, &a) in c.iter().enumerate().filter(|(_, a)| **a != 0) {
                let (n, d) = linalg::rational(a).ok_or_else(|| {
                    format!("predicate {j} has no small rational coefficient on pivot {i}")
                })?;
                row.push((i, n as f64 / d as f64));
            }
            coef.push(row);
        }
        let zero = |j: usize| coef[j].is_empty();
        // `(j, k)`: predicate `j` implies `k` on every row (and they differ on some): every
        // numerator inside its denominator, and what the rows read show besides.
        let mut inside: BTreeSet<(usize, usize)> = BTreeSet::new();
        for j in (0..m).filter(|&j| !zero(j)) {
            for k in (0..m).filter(|&k| k != j && !zero(k) && coef[k] != coef[j]) {
                if model.relations.implies(j, k) {
                    inside.insert((j, k));
                }
            }
        }
        for (t, places) in model.place.iter().enumerate() {
            for &(s, _) in places {
                let (num, den) =
                    (model.relations.predicate(t, s, true), model.relations.predicate(t, s, false));
                if !zero(num) && coef[num] != coef[den] {
                    inside.insert((num, den));
                }
            }
        }
        // Transitive reduction: `j` inside `l` inside `k` makes `j` inside `k` redundant.
        let mut order: Vec<(usize, Option<usize>)> = inside
            .iter()
            .filter(|&&(j, k)| {
                !(0..m).any(|l| {
                    l != j && l != k && inside.contains(&(j, l)) && inside.contains(&(l, k))
                })
            })
            .map(|&(j, k)| (k, Some(j)))
            .collect();
        // Non-negativity, for the predicates with none inside (theirs follows) and that are not
        // a pivot (a pivot's count is a variable bounded below by 0).
        for j in (0..m).filter(|&j| !zero(j)) {
            let pivot = coef[j].len() == 1 && coef[j][0].1 == 1.0;
            if !pivot && !inside.iter().any(|&(_, k)| k == j) {
                order.push((j, None));
            }
        }
        Ok(Self::with(model, coef, order, model.r, false))
    }

    /// The attacker who knows which combinations of answers occur: at every position one
    /// non-negative variable per distinct signature of the rows (`signatures`, as
    /// `ingest::Relations::signatures`), each predicate the sum of the atoms whose signature
    /// holds it. Every inequality of `new`'s attacker follows from these, so its ranges are
    /// never wider.
    /// `None` when the LP would hold more than `ATOM_UNKNOWNS` unknowns.
    pub(super) fn atoms(model: &'m Model<'a>, signatures: &[Box<[u64]>]) -> Option<Self> {
        if signatures.len() * (model.total() + 1) > ATOM_UNKNOWNS {
            return None;
        }
        let bit = |g: &[u64], j: usize| (g[j / 64] >> (j % 64)) & 1 == 1;
        let coef = (0..model.coef.len())
            .map(|j| {
                signatures
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| bit(g, j))
                    .map(|(i, _)| (i, 1.0))
                    .collect()
            })
            .collect();
        Some(Self::with(model, coef, Vec::new(), signatures.len(), true))
    }

    fn with(
        model: &'m Model<'a>,
        coef: Vec<Vec<(usize, f64)>>,
        order: Vec<(usize, Option<usize>)>,
        width: usize,
        atoms: bool,
    ) -> Self {
        let zeros = model.zeros();
        let mut dead = vec![false; (model.total() + 1) * width];
        for &(pos, pred) in &zeros {
            if coef[pred].iter().all(|&(_, c)| c > 0.0) {
                for &(i, _) in &coef[pred] {
                    dead[pos * width + i] = true;
                }
            }
        }
        let largest = model.tables.tables.iter().flat_map(|t| &t.cells).map(|c| c.acc.den).max();
        let largest = largest.unwrap_or(0).max(1) as f64;
        Self { model, coef, order, zeros, width, atoms, dead, largest, solved: 0 }
    }

    /// Whether the total position's unknowns are fixed by its own known and published
    /// quantities, so that each dimension can be solved alone.
    pub(super) fn decomposable(&self, statuses: &[Vec<Status>]) -> bool {
        !self.atoms && self.fixed(statuses, self.model.total())
    }

    /// Whether the unknowns of position `at` are fixed by its own known and published
    /// quantities (then its inequalities add nothing to an LP).
    fn fixed(&self, statuses: &[Vec<Status>], at: usize) -> bool {
        let model = self.model;
        let mut basis = Echelon::new(model.r);
        for &(pos, pred) in &self.zeros {
            if pos == at {
                basis.insert(&mut model.coef[pred].clone());
            }
        }
        for (t, places) in model.place.iter().enumerate() {
            for (c, &(s, pos)) in places.iter().enumerate() {
                if pos == at && statuses[t][c] == Status::Published {
                    for numerator in [false, true] {
                        let pred = model.relations.predicate(t, s, numerator);
                        basis.insert(&mut model.coef[pred].clone());
                    }
                }
            }
        }
        basis.rank() == model.r
    }

    /// The true value of a target's quantity and its respondents.
    fn truth(&self, target: &Target) -> (f64, u64) {
        let a = self.model.tables.tables[target.table].cells[target.cell].acc;
        let (x, n) = match target.q {
            Quantity::Denominator => (a.den, a.n_den),
            Quantity::Numerator => (a.num, a.n_num),
            Quantity::Rest => (a.den - a.num, a.n_den.saturating_sub(a.n_num)),
        };
        (x as f64 / SCALE, n)
    }

    /// What the range of `target` must admit.
    pub(super) fn need(&self, target: &Target, policy: &Policy) -> Need {
        let (x, n) = self.truth(target);
        let mean = x / n.max(1) as f64;
        Need { upper: policy.min_count as f64 * mean, slack: 1e-3 * mean.max(1e-3) }
    }

    /// The positions of `target`'s LP: its dimension and the total when the dimensions can be
    /// solved alone, else every position.
    fn positions(&self, target: &Target, decomposable: bool) -> Vec<usize> {
        let model = self.model;
        let total = model.total();
        let (_, pos) = model.place[target.table][target.cell];
        match model.positions.get(pos) {
            Some((d, _)) if decomposable => model.dims[d].iter().copied().chain([total]).collect(),
            _ => (0..=total).collect(),
        }
    }

    /// `target`'s quantity as terms over the variables of an LP over `positions`.
    fn terms(&self, target: &Target, positions: &[usize]) -> BTreeMap<usize, f64> {
        let model = self.model;
        let (s, pos) = model.place[target.table][target.cell];
        let l =
            positions.iter().position(|&p| p == pos).expect("the target's position is in its LP");
        let den = model.relations.predicate(target.table, s, false);
        let num = model.relations.predicate(target.table, s, true);
        let mut terms = BTreeMap::new();
        match target.q {
            Quantity::Denominator => self.put(&mut terms, l, den, 1.0),
            Quantity::Numerator => self.put(&mut terms, l, num, 1.0),
            Quantity::Rest => {
                self.put(&mut terms, l, den, 1.0);
                self.put(&mut terms, l, num, -1.0);
            }
        }
        terms
    }

    /// The range the attacker derives for `target` from the cells `statuses` publishes: its
    /// least value if `lo`, its greatest if `hi` (a side not asked for is left at 0 for `lo`,
    /// infinite for `hi`, which meets any need); with the LP's positions and its optimal points,
    /// which are points of the attacker's system and stay so when more is withheld (`shows`).
    pub(super) fn range(
        &mut self,
        statuses: &[Vec<Status>],
        target: &Target,
        decomposable: bool,
        (lo, hi): (bool, bool),
    ) -> Result<Seen, String> {
        let positions = self.positions(target, decomposable);
        let terms = self.terms(target, &positions);
        let mut range = Range { lo: 0.0, hi: f64::INFINITY };
        let mut points = Vec::new();
        if lo {
            let min = self.solve(statuses, &positions, &terms, &[], Minimize, None)?;
            range.lo = min.as_ref().map_or(f64::NEG_INFINITY, |(v, _, _)| *v);
            points.extend(min.map(|(_, x, _)| x));
        }
        if hi {
            let max = self.solve(statuses, &positions, &terms, &[], Maximize, None)?;
            range.hi = max.as_ref().map_or(f64::INFINITY, |(v, _, _)| *v);
            points.extend(max.map(|(_, x, _)| x));
        }
        Ok(Seen { range, positions, points })
    }

    /// The sides of `target`'s range still to show once the attacker's point `x` (over
    /// `positions`) is known: a target at 0 there admits 0, one at its need admits its need.
    pub(super) fn shows(
        &self,
        target: &Target,
        need: Need,
        positions: &[usize],
        x: &[f64],
        sides: (bool, bool),
    ) -> (bool, bool) {
        let (_, pos) = self.model.place[target.table][target.cell];
        if !positions.contains(&pos) {
            return sides;
        }
        let value: f64 = self.terms(target, positions).iter().map(|(&k, &c)| c * x[k]).sum();
        (sides.0 && value > need.slack, sides.1 && value < need.upper - need.slack)
    }

    /// Which targets of `group` (all over the same LP) are shown safe by witness points: a
    /// point where the weighted sum of those not yet shown to admit 0 is least (a target at 0
    /// there admits 0), and one where the sum of those not yet shown to admit their need, each
    /// capped at it, is largest (a target at its need there admits it); again on the targets
    /// left while a round shows some more. A witness is a point of the attacker's system, so it
    /// stays one when more is withheld.
    fn certify(
        &mut self,
        statuses: &[Vec<Status>],
        group: &[(&Target, Need)],
        positions: &[usize],
    ) -> Result<Vec<(bool, bool)>, String> {
        let terms: Vec<BTreeMap<usize, f64>> =
            group.iter().map(|(t, _)| self.terms(t, positions)).collect();
        let value =
            |x: &[f64], t: &BTreeMap<usize, f64>| t.iter().map(|(&k, &c)| c * x[k]).sum::<f64>();
        let (mut lo, mut hi) = (vec![false; group.len()], vec![false; group.len()]);
        for _ in 0..WITNESS_ROUNDS {
            let before = lo.iter().chain(&hi).filter(|&&b| b).count();
            if lo.contains(&false) {
                let mut sum = BTreeMap::new();
                for (i, (t, (_, need))) in terms.iter().zip(group).enumerate() {
                    if !lo[i] {
                        for (&k, &c) in t {
                            *sum.entry(k).or_default() += c / need.upper.max(1e-9);
                        }
                    }
                }
                let low = self.solve(statuses, positions, &sum, &[], Minimize, None)?;
                if let Some((_, x, _)) = low {
                    for (i, (t, (_, need))) in terms.iter().zip(group).enumerate() {
                        lo[i] |= value(&x, t) <= need.slack;
                    }
                }
            }
            if hi.contains(&false) {
                let caps: Vec<(BTreeMap<usize, f64>, f64)> = terms
                    .iter()
                    .zip(group)
                    .zip(&hi)
                    .filter(|(_, done)| !**done)
                    .map(|((t, (_, need)), _)| (t.clone(), need.upper))
                    .collect();
                let none = BTreeMap::new();
                let high = self.solve(statuses, positions, &none, &caps, Maximize, None)?;
                if let Some((_, x, _)) = high {
                    for (i, (t, (_, need))) in terms.iter().zip(group).enumerate() {
                        hi[i] |= value(&x, t) >= need.upper - need.slack;
                    }
                }
            }
            let after = lo.iter().chain(&hi).filter(|&&b| b).count();
            if after == before || after == 2 * group.len() {
                break;
            }
        }
        Ok(lo.into_iter().zip(hi).collect())
    }

    /// Adds predicate `pred` at local position `l`, times `f`, into `terms`.
    fn put(&self, terms: &mut BTreeMap<usize, f64>, l: usize, pred: usize, f: f64) {
        for &(i, c) in &self.coef[pred] {
            *terms.entry(l * self.width + i).or_default() += f * c;
        }
    }

    /// Optimises `objective` over the attacker's system on `positions`, plus for each of `caps`
    /// (a quantity and a cap) a variable below both, weighted by the inverse of the cap.
    /// Returns the optimum, the point and the cells missed (see `elastic`), or `None` when the
    /// objective is unbounded.
    ///
    /// With `elastic` (a target's terms, a comparison and a bound on them) every
    /// published cell's equalities may be missed, at a cost per unit missed (`cost`), while the
    /// target must meet the bound: the cheapest cells to withhold so that it can, as the cells
    /// missed at the optimum. Cells at the total stay exact when the LP holds one dimension
    /// only, so that the dimensions still meet there alone.
    fn solve(
        &mut self,
        statuses: &[Vec<Status>],
        positions: &[usize],
        objective: &BTreeMap<usize, f64>,
        caps: &[(BTreeMap<usize, f64>, f64)],
        direction: OptimizationDirection,
        elastic: Option<(&BTreeMap<usize, f64>, ComparisonOp, f64)>,
    ) -> Result<Option<Solved>, String> {
        self.solved += 1;
        let model = self.model;
        let r = self.width;
        let mut local = vec![None; model.total() + 1];
        for (l, &p) in positions.iter().enumerate() {
            local[p] = Some(l);
        }
        let mut problem = Problem::new(direction);
        let vars: Vec<Option<Variable>> = (0..positions.len() * r)
            .map(|k| {
                let dead = self.dead[positions[k / r] * r + k % r];
                let cost = objective.get(&k).copied().unwrap_or(0.0);
                (!dead).then(|| problem.add_var(cost, (0.0, f64::INFINITY)))
            })
            .collect();
        let expr = |terms: BTreeMap<usize, f64>| -> Vec<(Variable, f64)> {
            terms
                .into_iter()
                .filter(|(_, c)| c.abs() > 1e-12)
                .filter_map(|(k, c)| Some((vars[k]?, c)))
                .collect()
        };
        for (terms, cap) in caps {
            let cap = cap.max(1e-9);
            let u = problem.add_var(1.0 / cap, (0.0, cap));
            let mut below = expr(terms.clone());
            below.push((u, -1.0));
            problem.add_constraint(below, ComparisonOp::Ge, 0.0);
        }
        let total = local[model.total()].expect("the total is in every LP");
        for ps in model.dims.values() {
            if ps.iter().any(|&p| local[p].is_none()) {
                continue;
            }
            for i in 0..r {
                let mut terms: Vec<(Variable, f64)> = ps
                    .iter()
                    .filter_map(|&p| Some((vars[local[p].unwrap_or(0) * r + i]?, 1.0)))
                    .collect();
                terms.extend(vars[total * r + i].map(|v| (v, -1.0)));
                if !terms.is_empty() {
                    problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
                }
            }
        }
        if let Some((terms, op, bound)) = elastic {
            problem.add_constraint(expr(terms.clone()), op, bound);
        }
        let one_dimension = positions.len() <= model.total();
        for (l, &p) in positions.iter().enumerate() {
            if self.order.is_empty() || (elastic.is_none() && self.fixed(statuses, p)) {
                continue; // its equalities leave one point, the true one, which obeys them
            }
            for &(a, b) in &self.order {
                let mut terms = BTreeMap::new();
                self.put(&mut terms, l, a, 1.0);
                if let Some(b) = b {
                    self.put(&mut terms, l, b, -1.0);
                }
                let terms = expr(terms);
                if !terms.is_empty() {
                    problem.add_constraint(terms, ComparisonOp::Ge, 0.0);
                }
            }
        }
        for &(p, pred) in &self.zeros {
            if let Some(l) = local[p] {
                let mut terms = BTreeMap::new();
                self.put(&mut terms, l, pred, 1.0);
                let terms = expr(terms);
                if !terms.is_empty() {
                    problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
                }
            }
        }
        let mut missed: Vec<((usize, usize), [Variable; 2])> = Vec::new();
        for (t, places) in model.place.iter().enumerate() {
            for (c, &(s, p)) in places.iter().enumerate() {
                let Some(l) = local[p] else { continue };
                if statuses[t][c] != Status::Published {
                    continue;
                }
                let a = model.tables.tables[t].cells[c].acc;
                let soft = elastic.is_some() && !(one_dimension && p == model.total());
                for (numerator, value) in [(false, a.den), (true, a.num)] {
                    let mut terms = BTreeMap::new();
                    self.put(&mut terms, l, model.relations.predicate(t, s, numerator), 1.0);
                    let mut terms = expr(terms);
                    if terms.is_empty() {
                        continue;
                    }
                    if soft {
                        let cost = self.cost(t, c);
                        let over = problem.add_var(cost, (0.0, f64::INFINITY));
                        let under = problem.add_var(cost, (0.0, f64::INFINITY));
                        terms.extend([(over, -1.0), (under, 1.0)]);
                        missed.push(((t, c), [over, under]));
                    }
                    problem.add_constraint(terms, ComparisonOp::Eq, value as f64 / SCALE);
                }
            }
        }
        match problem.solve() {
            Ok(outcome) => match outcome.into_solution() {
                Ok(solution) => {
                    let point =
                        vars.iter().map(|&v| v.map_or(0.0, |v| solution.var_value(v))).collect();
                    let mut cells: Vec<(usize, usize)> = missed
                        .iter()
                        .filter(|(_, [o, u])| {
                            solution.var_value(*o) + solution.var_value(*u) > MISSED
                        })
                        .map(|(cell, _)| *cell)
                        .collect();
                    cells.dedup();
                    Ok(Some((solution.objective(), point, cells)))
                }
                Err(_) => Err("the LP solver stopped before an answer".into()),
            },
            Err(LpError::Unbounded) => Ok(None),
            Err(LpError::Infeasible) if elastic.is_some() => Ok(None),
            Err(e) => Err(format!("the LP solver failed: {e}")),
        }
    }

    /// The targets whose ranges still need an LP, with the sides (`lo`, `hi`) still to show:
    /// all but what `certify` shows.
    pub(super) fn uncertified<'t>(
        &mut self,
        statuses: &[Vec<Status>],
        targets: &'t [Target],
        policy: &Policy,
    ) -> Result<Vec<Open<'t>>, String> {
        let decomposable = self.decomposable(statuses);
        let mut groups: BTreeMap<Vec<usize>, Vec<(&Target, Need)>> = BTreeMap::new();
        for target in targets {
            let need = self.need(target, policy);
            groups.entry(self.positions(target, decomposable)).or_default().push((target, need));
        }
        let mut out = Vec::new();
        for (positions, group) in groups {
            let shown = self.certify(statuses, &group, &positions)?;
            for ((target, _), (lo, hi)) in group.iter().zip(shown) {
                if !(lo && hi) {
                    out.push((*target, (!lo, !hi)));
                }
            }
        }
        Ok(out)
    }

    /// Withholds published cells until every target's range meets the rule; returns the cells
    /// withheld. Withholding only ever widens a range, so a side once shown stays shown and
    /// earlier targets stay protected.
    pub(super) fn protect(
        &mut self,
        statuses: &mut [Vec<Status>],
        targets: &[Target],
        policy: &Policy,
    ) -> Result<usize, String> {
        let mut withheld = 0;
        let mut open = self.uncertified(statuses, targets, policy)?;
        for i in 0..open.len() {
            let (target, mut sides) = open[i];
            if sides == (false, false) {
                continue; // shown by a point of an earlier target's LP
            }
            let need = self.need(target, policy);
            let reason = Status::Secondary(format!(
                "secondary, interval: publishing it would narrow the range of {} (suppressed) to \
                 less than from 0 to {} respondents' worth",
                self.model.name(target.table, target.cell),
                policy.min_count
            ));
            let mut elastic = (true, true);
            loop {
                let decomposable = self.decomposable(statuses);
                let Seen { range, positions, points } =
                    self.range(statuses, target, decomposable, sides)?;
                for (later, sides) in &mut open[i + 1..] {
                    for x in &points {
                        *sides = self.shows(later, self.need(later, policy), &positions, x, *sides);
                    }
                }
                if need.met(range) {
                    break;
                }
                sides = (range.lo > need.slack, range.hi < need.upper - need.slack);
                // First the cheapest set of cells that lets the range reach its need on the
                // side short of it, at once; one cell at a time where that finds none.
                let side = if sides.0 { &mut elastic.0 } else { &mut elastic.1 };
                if std::mem::take(side) {
                    let cells = self.cheapest(statuses, target, need, sides.0, decomposable)?;
                    if !cells.is_empty() {
                        for (t, c) in cells {
                            statuses[t][c] = reason.clone();
                            withheld += 1;
                        }
                        continue;
                    }
                }
                let Some((t, c)) = self.candidate(statuses, target, need, range) else {
                    return Err(format!(
                        "no cell is left to withhold for {}",
                        self.model.name(target.table, target.cell)
                    ));
                };
                statuses[t][c] = reason.clone();
                withheld += 1;
            }
        }
        Ok(withheld)
    }

    /// The cheapest published cells to withhold so that `target`'s range admits 0 (`lo`) or its
    /// need: the cells an elastic LP misses (`solve_with`), each unit of weight missed costing
    /// `cost`. Empty when no such set is found (the LP is infeasible with the totals exact).
    fn cheapest(
        &mut self,
        statuses: &[Vec<Status>],
        target: &Target,
        need: Need,
        lo: bool,
        decomposable: bool,
    ) -> Result<Vec<(usize, usize)>, String> {
        let positions = self.positions(target, decomposable);
        let terms = self.terms(target, &positions);
        let bound = if lo { (ComparisonOp::Le, 0.0) } else { (ComparisonOp::Ge, need.upper) };
        let none = BTreeMap::new();
        let solved = self.solve(
            statuses,
            &positions,
            &none,
            &[],
            Minimize,
            Some((&terms, bound.0, bound.1)),
        )?;
        Ok(solved.map(|(_, _, cells)| cells).unwrap_or_default())
    }

    /// What withholding a cell costs per unit of weight an elastic LP misses it by: more for a
    /// total than for a dimension's value, and more for a larger cell.
    fn cost(&self, t: usize, c: usize) -> f64 {
        let model = self.model;
        let den = model.tables.tables[t].cells[c].acc.den as f64;
        let total = if model.place[t][c].1 == model.total() { 4.0 } else { 1.0 };
        total * (1.0 + den / self.largest)
    }

    /// The published cell to withhold next for `target`: first the cells of its own series and
    /// dimension, the smallest whose own quantity covers the shortfall (else the largest);
    /// then the other cells at its position, then at the positions where its indicator
    /// withholds a cell, then the rest of its dimension, then totals (which make the dimensions
    /// meet), then the other dimensions; within each, cells whose predicates imply or are implied
    /// by the target's first, then its own indicator, then the smallest base.
    fn candidate(
        &self,
        statuses: &[Vec<Status>],
        target: &Target,
        need: Need,
        range: Range,
    ) -> Option<(usize, usize)> {
        let model = self.model;
        let (s, pos) = model.place[target.table][target.cell];
        let dim: Vec<usize> = match model.positions.get(pos) {
            Some((d, _)) => model.dims[d].clone(),
            None => Vec::new(),
        };
        let open = |t: usize, c: usize| statuses[t][c] == Status::Published;
        let acc = |t: usize, c: usize| model.tables.tables[t].cells[c].acc;
        let shortfall =
            if range.lo > need.slack { range.lo } else { need.upper - range.hi } * SCALE;
        let t0 = target.table;
        let own: Vec<usize> = (0..model.place[t0].len())
            .filter(|&c| {
                open(t0, c) && model.place[t0][c].0 == s && dim.contains(&model.place[t0][c].1)
            })
            .collect();
        let kind = |c: usize| {
            let a = acc(t0, c);
            match target.q {
                Quantity::Denominator => a.den,
                Quantity::Numerator => a.num,
                Quantity::Rest => a.den - a.num,
            }
        };
        let covering =
            own.iter().filter(|&&c| kind(c) as f64 >= shortfall).min_by_key(|&&c| (kind(c), c));
        if let Some(&c) = covering.or_else(|| own.iter().max_by_key(|&&c| (kind(c), c))) {
            return Some((t0, c));
        }
        let withheld: BTreeSet<usize> = model.place[t0]
            .iter()
            .enumerate()
            .filter(|&(c, &(_, p))| !open(t0, c) && dim.contains(&p))
            .map(|(_, &(_, p))| p)
            .collect();
        // A cell whose numerator or denominator implies, or is implied by, the target's on
        // every row bounds it most directly (a nested scope at the same position).
        let rel = &model.relations;
        let mine = [rel.predicate(t0, s, false), rel.predicate(t0, s, true)];
        let related = |t: usize, cs: usize| {
            let theirs = [rel.predicate(t, cs, false), rel.predicate(t, cs, true)];
            mine.iter().any(|&a| {
                theirs.iter().any(|&b| a != b && (rel.implies(a, b) || rel.implies(b, a)))
            })
        };
        let mut best: Option<(u8, bool, bool, i128, usize, usize)> = None;
        for (t, places) in model.place.iter().enumerate() {
            for (c, &(cs, p)) in places.iter().enumerate() {
                if !open(t, c) {
                    continue;
                }
                let group = if p == pos {
                    0
                } else if withheld.contains(&p) {
                    1
                } else if dim.contains(&p) {
                    2
                } else if p == model.total() {
                    3
                } else {
                    4
                };
                let key = (group, !related(t, cs), t != t0, acc(t, c).den, t, c);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        best.map(|(_, _, _, _, t, c)| (t, c))
    }
}
