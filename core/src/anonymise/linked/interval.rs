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
//!
//! The parts: `attackers` builds the two attackers' systems (`Intervals::new` over the
//! predicates, `Intervals::atoms` over the signatures), `lp` sets one LP over them and solves it
//! (`solve`, elastic or not), `witness` derives ranges and certifies targets by witness points,
//! and `withhold` is the protection loop that withholds cells until every range meets its need.

mod attackers;
mod lp;
mod withhold;
mod witness;

use std::collections::BTreeMap;

use super::{Model, Quantity, Target};

/// The most unknowns (distinct signatures times positions) of the atom-level attacker's LP: a
/// survey file whose rows show hundreds of combinations of answers over fifty positions would
/// make LPs of tens of thousands of unknowns, each taking seconds, so such a file is audited at
/// the level of predicates alone (a known limit, ARCHITECTURE.md).
pub(super) const ATOM_UNKNOWNS: usize = 8192;
use crate::{
    anonymise::{Policy, Status},
    linalg::Echelon,
};

/// Millionths per unit of weight.
const SCALE: f64 = 1e6;

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

    /// Adds predicate `pred` at local position `l`, times `f`, into `terms`.
    fn put(&self, terms: &mut BTreeMap<usize, f64>, l: usize, pred: usize, f: f64) {
        for &(i, c) in &self.coef[pred] {
            *terms.entry(l * self.width + i).or_default() += f * c;
        }
    }
}
