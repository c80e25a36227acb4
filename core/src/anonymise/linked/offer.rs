//! The exact stage's steps: offering one cell for publication against the span of what is
//! known and published (`offer`, with the singleton attack), accepting what is safe (`accept`),
//! and the order cells are offered in (`by_information`).

use super::{Model, Quantity, Target};
use crate::{
    anonymise::Status,
    linalg::{self, Echelon},
};

/// Whether `a` is a multiple of the non-zero `b`.
fn parallel(a: &[u64], b: &[u64]) -> bool {
    let Some(p) = b.iter().position(|&x| x != 0) else { return false };
    let f = linalg::mul(a[p], linalg::inv(b[p]));
    a.iter().zip(b).all(|(&x, &y)| x == linalg::mul(f, y))
}

/// A pair `(i, j)` where target `i` follows from what is published together with singleton
/// target `j` (its one respondent knows it), given each target's residual: the singleton
/// attack of GaussSuppression. Only pairs with a target of `changed` are looked at.
pub(super) fn singleton_clash(
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
pub(super) enum Offer {
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
pub(super) fn offer(
    model: &Model<'_>,
    basis: &Echelon,
    targets: &[Target],
    t: usize,
    c: usize,
) -> Offer {
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
pub(super) fn accept(
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
pub(super) fn by_information(model: &Model<'_>, statuses: &[Vec<Status>]) -> Vec<(usize, usize)> {
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
