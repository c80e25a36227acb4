//! One LP of the attacker: its variables over a set of positions, the partition of the rows by
//! every dimension, the inequalities, the known zeros and the published cells (elastic, at a
//! `cost` per unit of weight missed, when looking for the cells to withhold), solved by
//! `microlp`.

use std::collections::BTreeMap;

use microlp::{ComparisonOp, Error as LpError, OptimizationDirection, Problem, Variable};

use super::{Intervals, SCALE};
use crate::anonymise::Status;

/// Weight by which an elastic LP may miss a cell and still count it as kept.
const MISSED: f64 = 1e-6;

/// An LP's optimum, its point, and the cells an elastic LP missed.
type Solved = (f64, Vec<f64>, Vec<(usize, usize)>);

impl Intervals<'_, '_> {
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
    pub(super) fn solve(
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

    /// What withholding a cell costs per unit of weight an elastic LP misses it by: more for a
    /// total than for a dimension's value, and more for a larger cell.
    fn cost(&self, t: usize, c: usize) -> f64 {
        let model = self.model;
        let den = model.tables.tables[t].cells[c].acc.den as f64;
        let total = if model.place[t][c].1 == model.total() { 4.0 } else { 1.0 };
        total * (1.0 + den / self.largest)
    }
}
