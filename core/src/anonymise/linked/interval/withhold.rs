//! The protection loop: withholds published cells until every target's range admits 0 and its
//! need, first the cheapest set an elastic LP finds (`cheapest`), else one cell at a time
//! (`candidate`).

use std::collections::{BTreeMap, BTreeSet};

use microlp::{ComparisonOp, OptimizationDirection::Minimize};

use super::{Intervals, Need, Range, SCALE, Seen};
use crate::anonymise::{
    Policy, Status,
    linked::{Quantity, Target},
};

impl Intervals<'_, '_> {
    /// Withholds published cells until every target's range meets the rule; returns the cells
    /// withheld. Withholding only ever widens a range, so a side once shown stays shown and
    /// earlier targets stay protected.
    pub(in crate::anonymise::linked) fn protect(
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
