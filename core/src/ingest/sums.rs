//! The sums of one pass: per indicator, the plan of its cells and the running weighted sums and
//! counts of every cell, in integers that cannot overflow unnoticed.

use super::*;

pub(super) struct Plan {
    pub(super) id: String,
    pub(super) scope: Compiled,
    pub(super) den: Compiled,
    pub(super) series: Vec<(String, Compiled)>,
    pub(super) weight: Option<usize>,
    /// Dimension columns with the value slot of `unknown` (see `Accs`).
    pub(super) dims: Vec<(usize, usize)>,
}

/// Accumulators of one indicator, series innermost so that one row's contributions land in
/// adjacent cells: `dims[dimension][value slot * series count + series]`, and `total[series]`
/// only for an indicator without dimensions (otherwise the total is the first dimension's sum).
/// For an enum dimension, value slot k is the k-th value and the last slot is `unknown`; for a
/// district dimension, slot 0 is `unknown` and slot d+1 the d-th district seen.
pub(super) struct Accs {
    pub(super) total: Sums,
    pub(super) dims: Vec<Sums>,
    pub(super) rows_in_scope: u64,
    pub(super) rows_missing: u64,
    /// This row's contribution per series, zero where the series has none (scratch).
    pub(super) contrib: Vec<Cell>,
    /// The same in 128 bits, used for a row whose products do not fit 64 bits (scratch).
    pub(super) wide: Vec<(bool, Acc)>,
}

impl Acc {
    pub(super) fn absorb(&mut self, other: &Acc) {
        self.n_den += other.n_den;
        self.n_num += other.n_num;
        self.den += other.den;
        self.num += other.num;
    }
}

/// A cell's sums while reading, in 64 bits: 32 bytes, so an indicator's cells stay in the
/// first-level cache. Before any sum could overflow, the cells are moved into the 128-bit spill.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Cell {
    pub(super) n_den: u64,
    pub(super) n_num: u64,
    pub(super) den: i64,
    pub(super) num: i64,
}

impl From<Cell> for Acc {
    fn from(c: Cell) -> Self {
        Acc { n_den: c.n_den, n_num: c.n_num, den: c.den.into(), num: c.num.into() }
    }
}

/// One array of cells: 64-bit sums, and their 128-bit spill (empty until a sum could overflow).
///
/// `room` is how much more any one 64-bit sum may grow for certain: each row takes its largest
/// contribution off it, and when a row's would not fit, every cell moves into the spill first.
/// So the additions themselves need no overflow checks (and the compiler vectorises them).
#[derive(Debug, Clone)]
pub(super) struct Sums {
    pub(super) fast: Vec<Cell>,
    pub(super) spill: Vec<Acc>,
    pub(super) room: u64,
}

/// The growth every 64-bit sum has room for from zero.
pub(super) const ROOM: u64 = i64::MAX as u64;

impl Sums {
    pub(super) fn new(len: usize) -> Self {
        Self { fast: vec![Cell::default(); len], spill: Vec::new(), room: ROOM }
    }

    pub(super) fn len(&self) -> usize {
        self.fast.len()
    }

    pub(super) fn grow(&mut self, len: usize) {
        if self.fast.len() < len {
            self.fast.resize(len, Cell::default());
        }
    }

    pub(super) fn spilled(&mut self, i: usize) -> &mut Acc {
        if self.spill.len() <= i {
            self.spill.resize(self.fast.len().max(i + 1), Acc::default());
        }
        &mut self.spill[i]
    }

    /// Adds one row's contributions to the cells from `at` on; `bound` is at least the magnitude
    /// of each of its sums (at most `ROOM`).
    pub(super) fn add(&mut self, at: usize, contrib: &[Cell], bound: u64) {
        if bound > self.room {
            self.spill_all();
        }
        self.room -= bound;
        for (cell, c) in self.fast[at..at + contrib.len()].iter_mut().zip(contrib) {
            cell.n_den += c.n_den;
            cell.n_num += c.n_num;
            cell.den += c.den;
            cell.num += c.num;
        }
    }

    /// Moves every 64-bit sum into the spill, leaving full room.
    pub(super) fn spill_all(&mut self) {
        for i in 0..self.fast.len() {
            let full = std::mem::take(&mut self.fast[i]);
            self.spilled(i).absorb(&full.into());
        }
        self.room = ROOM;
    }

    /// Adds one row's 128-bit contributions to the spill from `at` on.
    pub(super) fn add_wide(&mut self, at: usize, wide: &[(bool, Acc)]) {
        for (k, (has, a)) in wide.iter().enumerate() {
            if *has {
                self.spilled(at + k).absorb(a);
            }
        }
    }

    /// Cell `i`'s sums, or zero beyond the cells.
    pub(super) fn get(&self, i: usize) -> Acc {
        let mut acc = self.fast.get(i).copied().map(Acc::from).unwrap_or_default();
        if let Some(s) = self.spill.get(i) {
            acc.absorb(s);
        }
        acc
    }

    /// Adds another worker's cells.
    pub(super) fn merge(&mut self, other: Sums) {
        self.grow(other.len());
        for i in 0..other.len() {
            let theirs = other.get(i);
            self.spilled(i).absorb(&theirs);
        }
    }
}

impl Accs {
    pub(super) fn new(plan: &Plan) -> Self {
        let series = plan.series.len();
        // Enum dimensions get all their slots now; district dimensions grow as codes appear.
        Self {
            total: Sums::new(series),
            dims: plan.dims.iter().map(|(_, unknown)| Sums::new((unknown + 1) * series)).collect(),
            rows_in_scope: 0,
            rows_missing: 0,
            contrib: vec![Cell::default(); series],
            wide: vec![(false, Acc::default()); series],
        }
    }

    /// Adds one row; sets the row's predicate bits from `at` on in `sig` (denominator, numerator
    /// per series).
    pub(super) fn add(
        &mut self,
        plan: &Plan,
        row: &[Value],
        clip: Option<i64>,
        sig: &mut [u64],
        at: usize,
    ) {
        match plan.scope.test(row) {
            Some(true) => {}
            Some(false) => return,
            None => {
                // Cannot tell whether the row is in scope: it counts as missing an item.
                self.rows_missing += 1;
                return;
            }
        }
        self.rows_in_scope += 1;
        let mut w = plan.weight.map_or(MICRO, |i| match row[i] {
            Value::Num(w) => w,
            _ => 0,
        });
        if let Some(c) = clip {
            w = w.min(c);
        }
        let Some(den) = plan.den.measure(row) else {
            self.rows_missing += 1;
            return;
        };
        let mut all = true;
        let mut fits = true;
        let mut bound = 0u64;
        for (s, (one, (_, num))) in self.contrib.iter_mut().zip(&plan.series).enumerate() {
            *one = match num.measure(row) {
                Some(num) => {
                    let bit = at + 2 * s;
                    sig[bit / 64] |= u64::from(den > 0) << (bit % 64);
                    sig[(bit + 1) / 64] |= u64::from(num > 0) << ((bit + 1) % 64);
                    match (w.checked_mul(den), w.checked_mul(num)) {
                        (Some(d), Some(n)) => {
                            bound = bound.max(d.unsigned_abs()).max(n.unsigned_abs());
                            Cell {
                                n_den: u64::from(den > 0),
                                n_num: u64::from(num > 0),
                                den: d,
                                num: n,
                            }
                        }
                        _ => {
                            fits = false;
                            Cell::default()
                        }
                    }
                }
                None => {
                    all = false;
                    Cell::default()
                }
            };
        }
        // A product of i64::MIN's magnitude has no room anywhere: the 128-bit path takes it.
        fits &= bound <= ROOM;
        if !fits {
            // A weight times a count beyond 64 bits: this row's products in 128 bits.
            for ((has, wide), (_, num)) in self.wide.iter_mut().zip(&plan.series) {
                let num = num.measure(row);
                *has = num.is_some();
                let num = num.unwrap_or_default();
                *wide = Acc {
                    n_den: u64::from(den > 0),
                    n_num: u64::from(num > 0),
                    den: i128::from(w) * i128::from(den),
                    num: i128::from(w) * i128::from(num),
                };
            }
        }
        self.rows_missing += u64::from(!all);
        let series = self.contrib.len();
        let slots = plan.dims.iter().map(|(col, unknown)| match row[*col] {
            Value::Cat(k) => k as usize,
            Value::District(i) => i as usize + 1,
            _ => *unknown,
        });
        // With a dimension, the total is the sum of its cells (every row has a slot, `unknown`
        // included): derived in `finish` instead of summed per row.
        let summed_total = self.dims.is_empty();
        if fits {
            if summed_total {
                self.total.add(0, &self.contrib, bound);
            }
            for (cells, slot) in self.dims.iter_mut().zip(slots) {
                cells.grow((slot + 1) * series); // a district seen first
                cells.add(slot * series, &self.contrib, bound);
            }
        } else {
            if summed_total {
                self.total.add_wide(0, &self.wide);
            }
            for (cells, slot) in self.dims.iter_mut().zip(slots) {
                cells.grow((slot + 1) * series);
                cells.add_wide(slot * series, &self.wide);
            }
        }
    }

    /// Adds another worker's sums for the same indicator.
    pub(super) fn merge(&mut self, other: Accs) {
        self.rows_in_scope += other.rows_in_scope;
        self.rows_missing += other.rows_missing;
        self.total.merge(other.total);
        for (mine, theirs) in self.dims.iter_mut().zip(other.dims) {
            mine.merge(theirs);
        }
    }

    pub(super) fn finish(self, plan: &Plan, ds: &Dataset, districts: &Districts) -> Table {
        let n = plan.series.len();
        let mut cells = Vec::new();
        for (s, (code, _)) in plan.series.iter().enumerate() {
            let total = match self.dims.first() {
                Some(first) => (0..first.len() / n).fold(Acc::default(), |mut acc, slot| {
                    acc.absorb(&first.get(slot * n + s));
                    acc
                }),
                None => self.total.get(s),
            };
            cells.push(CellTotals {
                series: code.clone(),
                dimension: None,
                value: String::new(),
                acc: total,
            });
            for ((col, _), accs) in plan.dims.iter().zip(&self.dims) {
                let column = &ds.columns[*col];
                let labels: Vec<String> = match &column.ty {
                    ColumnType::Enum(values) => {
                        values.iter().cloned().chain(["unknown".to_owned()]).collect()
                    }
                    _ => std::iter::once("unknown".to_owned())
                        .chain(districts.names.iter().map(|n| n.to_string()))
                        .collect(),
                };
                let mut dim_cells: Vec<CellTotals> = labels
                    .into_iter()
                    .enumerate()
                    .map(|(slot, label)| (label, accs.get(slot * n + s)))
                    // Values nobody in the file has are not cells; an empty `unknown` neither.
                    .filter(|(_, acc)| acc.n_den > 0 || acc.den != 0)
                    .map(|(value, acc)| CellTotals {
                        series: code.clone(),
                        dimension: Some(column.name.clone()),
                        value,
                        acc,
                    })
                    .collect();
                if matches!(column.ty, ColumnType::District) {
                    // Districts in code order, `unknown` last, whatever order the file had.
                    dim_cells.sort_by(|a, b| {
                        (a.value == "unknown", &a.value).cmp(&(b.value == "unknown", &b.value))
                    });
                }
                cells.extend(dim_cells);
            }
        }
        Table {
            indicator_id: plan.id.clone(),
            rows_in_scope: self.rows_in_scope,
            rows_missing_item: self.rows_missing,
            cells,
        }
    }
}
