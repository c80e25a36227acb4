//! The audit of a final release set, from scratch: the exact questions (span and singleton
//! attack), then every protected range under the interval attacker publishing runs.

use super::{
    Leak, Model, Quantity, Report, Target, interval, offer::singleton_clash, relations_of,
};
use crate::{
    anonymise::{Policy, Status, primary},
    ingest::Tables,
};

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
            row.push(match primary(cell.acc.n_den, cell.acc.n_num, policy) {
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
