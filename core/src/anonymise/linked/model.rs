//! The attacker's system of unknowns for one release set (`Model`): the positions, each cell's
//! place among them, what is known without a published cell (the partition by every dimension,
//! the known zeros), each cell's quantities as vectors over the unknowns, and the targets.

use std::collections::BTreeMap;

use super::{Quantity, Report, Target};
use crate::{
    anonymise::{Policy, Status},
    ingest::{Acc, Relations, Tables},
    linalg::{self, Echelon, RowSpace},
};

/// The attacker's system for one release set.
pub(super) struct Model<'a> {
    pub(super) tables: &'a Tables,
    /// Independent predicates.
    pub(super) r: usize,
    /// Per predicate: its coefficients over the pivot predicates.
    pub(super) coef: Vec<Vec<u64>>,
    pub(super) relations: &'a Relations,
    /// Dimension positions `(dimension, value)`; the total is position `positions.len()`.
    pub(super) positions: Vec<(String, String)>,
    /// Per table, per cell: (series index, position).
    pub(super) place: Vec<Vec<(usize, usize)>>,
    /// Per dimension, its positions.
    pub(super) dims: BTreeMap<String, Vec<usize>>,
}

impl<'a> Model<'a> {
    pub(super) fn new(tables: &'a Tables, relations: &'a Relations) -> Self {
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

    pub(super) fn total(&self) -> usize {
        self.positions.len()
    }

    fn unknowns(&self) -> usize {
        (self.positions.len() + 1) * self.r
    }

    /// The system's size, with the targets and secondary cells of a run over it.
    pub(super) fn report(&self, targets: usize, secondary: usize) -> Report {
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
    pub(super) fn quantity(&self, t: usize, cell: usize, what: Quantity) -> Vec<u64> {
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
    pub(super) fn known(&self) -> Echelon {
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
    pub(super) fn zeros(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn targets(&self, statuses: &[Vec<Status>], policy: &Policy) -> Vec<Target> {
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
    pub(super) fn name(&self, t: usize, c: usize) -> String {
        let table = &self.tables.tables[t];
        let cell = &table.cells[c];
        match &cell.dimension {
            Some(d) => format!("{} {} {d}={}", table.indicator_id, cell.series, cell.value),
            None => format!("{} {} total", table.indicator_id, cell.series),
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

pub(super) fn relations_of(tables: &Tables) -> std::borrow::Cow<'_, Relations> {
    match &tables.relations {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(unrelated(tables)),
    }
}
