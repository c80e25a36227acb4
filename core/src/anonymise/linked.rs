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
//!
//! The parts: `model` builds the attacker's system of unknowns (`Model`), `offer` the exact
//! stage's offer of each cell against the span and its order, `interval` interval protection,
//! and `audit` the check of a final release set from scratch.

mod audit;
mod interval;
mod model;
mod offer;

pub use audit::audit;
use model::{Model, relations_of};
use offer::{Offer, accept, by_information, offer};

use super::{Policy, Status};
use crate::ingest::Tables;

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
