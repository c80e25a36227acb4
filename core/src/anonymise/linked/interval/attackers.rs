//! The two attackers' systems: the predicate-level one (`new`: each predicate over the pivot
//! predicates, over the reals, with non-negativity and the inclusions among the predicates,
//! transitively reduced) and the atom-level one (`atoms`: one non-negative weight per signature
//! of the rows at each position), and the known zeros and dead variables both share (`with`).

use std::collections::BTreeSet;

use super::{ATOM_UNKNOWNS, Intervals, Model};
use crate::linalg;

impl<'m, 'a> Intervals<'m, 'a> {
    /// The attacker over `model`; fails if a relation among the predicates has no small
    /// rational form (never seen: the relations of 0/1 signatures have small coefficients).
    pub(in crate::anonymise::linked) fn new(model: &'m Model<'a>) -> Result<Self, String> {
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
    pub(in crate::anonymise::linked) fn atoms(
        model: &'m Model<'a>,
        signatures: &[Box<[u64]>],
    ) -> Option<Self> {
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
}
