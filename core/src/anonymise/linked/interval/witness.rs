//! Ranges and witness points: the least and greatest value of a protected quantity, and the
//! points of the attacker's system that show most targets' ranges wide enough without an LP
//! of their own (`certify`, `uncertified`, `shows`).

use std::collections::BTreeMap;

use microlp::OptimizationDirection::{Maximize, Minimize};

use super::{Intervals, Need, Open, Range, Seen};
use crate::anonymise::{Policy, Status, linked::Target};

/// Rounds of witness points before the targets left get an LP each.
const WITNESS_ROUNDS: usize = 6;

impl Intervals<'_, '_> {
    /// The range the attacker derives for `target` from the cells `statuses` publishes: its
    /// least value if `lo`, its greatest if `hi` (a side not asked for is left at 0 for `lo`,
    /// infinite for `hi`, which meets any need); with the LP's positions and its optimal points,
    /// which are points of the attacker's system and stay so when more is withheld (`shows`).
    pub(in crate::anonymise::linked) fn range(
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
    pub(in crate::anonymise::linked) fn shows(
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

    /// The targets whose ranges still need an LP, with the sides (`lo`, `hi`) still to show:
    /// all but what `certify` shows.
    pub(in crate::anonymise::linked) fn uncertified<'t>(
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
}
