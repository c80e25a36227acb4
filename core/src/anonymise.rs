//! Statistical disclosure control and differential privacy: turns computed cells into what may
//! be published, and says exactly what was done.
//!
//! Pure: takes the cells and a random source, does no IO and knows nothing of the store.
//!
//! Disclosure control (survey datasets): a cell whose unweighted base is below `min_base`, or
//! with 1..`min_count`-1 respondents inside or outside its numerator, is suppressed (primary).
//! Cells are linked: a dimension's cells add up to the total, series add up (categorical levels,
//! a headline that is a sum of levels), numerators sit inside denominators, and one indicator's
//! scope may be another's numerator. Secondary suppression (`linked`) solves one system per
//! dataset release over all of them, so that no suppressed cell can be recomputed from anything
//! the release publishes; `linked::audit` re-checks the final set before it is published.
//! Suppressed cells carry no values, never zeros.
//!
//! Noise (when configured): every published weighted numerator and denominator gets discrete
//! Gaussian (rho-zCDP) or discrete Laplace (epsilon-DP) noise. One respondent's weight is
//! clipped to `weight_clip`, and touches at most `k` published values in the dataset's release
//! (one cell per dimension plus the total, per series, numerator and denominator), so the L2
//! sensitivity is (clip+1)·sqrt(k) and the L1 sensitivity (clip+1)·k (the +1 covers rounding to
//! whole units). Gaussian: sigma² = L2² / (2 rho). Laplace: b = L1 / epsilon.
//! With noise, the exact counts of rows in scope and rows missing an item are withheld (0):
//! they depend on what respondents answered, so the difference between two releases of one
//! period would give a respondent's answer away past the noise. Rows read (the sample size) is
//! published exactly.

pub mod linked;
pub mod noise;

use std::collections::BTreeMap;

use rand_core::RngCore;

pub use crate::budget::{MILLI, Milli};
use crate::ingest::{MICRO, Tables};

/// The rules a release is anonymised under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Smallest unweighted base published.
    pub min_base: u64,
    /// Below this base, cells are flagged `u` (low reliability).
    pub flag_base: u64,
    /// 1..min_count-1 respondents inside or outside the numerator suppress a cell.
    pub min_count: u64,
    /// Noise, if the dataset is configured for differential privacy.
    pub noise: Option<NoiseParams>,
}

impl Default for Policy {
    fn default() -> Self {
        Self { min_base: 30, flag_base: 50, min_count: 5, noise: None }
    }
}

/// The identifier of the disclosure-control rules above, stamped on every release.
pub const SDC_METHOD: &str = "sdc-v3: primary threshold on unweighted base and 1..min_count-1 respondents; \
     linked secondary suppression over every indicator, series, dimension, numerator and denominator of \
     the dataset release, audited exactly (no protected quantity in the span of the published cells) and \
     by intervals (by linear programming, every protected quantity's range admits 0 and min_count \
     respondents' worth) before publishing, on the true counts, with or without noise";

/// Appended to `SDC_METHOD` when the interval audit knew every combination of answers the file
/// shows (one non-negative weight per combination and cell).
pub const AUDIT_ATOM_LEVEL: &str =
    "interval audit at atom level: every combination of answers the file shows";

/// Appended to `SDC_METHOD` when the file showed too many combinations of answers for that
/// (`linked` interval module, `ATOM_UNKNOWNS`): the interval audit used non-negative counts,
/// numerators inside denominators and the pairwise inclusions the rows show.
pub const AUDIT_PREDICATE_LEVEL: &str = "interval audit at predicate level: non-negative counts, numerators inside denominators and the inclusions the rows show (too many combinations of answers for the atom level)";

/// Which noise mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Discrete Gaussian, budget in rho (zero-concentrated DP).
    DiscreteGaussian,
    /// Discrete Laplace, budget in epsilon (pure DP).
    DiscreteLaplace,
}

impl Mechanism {
    /// The published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::DiscreteGaussian => "discrete_gaussian",
            Mechanism::DiscreteLaplace => "discrete_laplace",
        }
    }

    /// The unit its budget is counted in.
    pub fn budget_unit(self) -> &'static str {
        match self {
            Mechanism::DiscreteGaussian => "rho",
            Mechanism::DiscreteLaplace => "epsilon",
        }
    }
}

/// Noise parameters for one dataset release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoiseParams {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// Budget one release spends, of rho or epsilon.
    pub per_release: Milli,
    /// Largest weight one respondent carries (whole units).
    pub weight_clip: u64,
}

/// Why anonymisation refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The noise needed is more than the sampler handles exactly (or than is useful).
    #[error("{0}; raise the budget per release or lower the weight clip")]
    Scale(#[from] noise::ScaleError),
    /// Differential privacy was configured for a dataset that is not about people.
    #[error("noise is only applied to survey datasets")]
    NotSurvey,
}

/// Whether a cell is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Published.
    Published,
    /// Suppressed for its own small counts.
    Primary(String),
    /// Suppressed to protect another cell.
    Secondary(String),
}

impl Status {
    fn suppressed(&self) -> bool {
        !matches!(self, Status::Published)
    }
}

/// One cell as it may be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCell {
    /// Series code (`_T` headline).
    pub series: String,
    /// Dimension, `None` for the total.
    pub dimension: Option<String>,
    /// Dimension value.
    pub value: String,
    /// Published or why not.
    pub status: Status,
    /// Weighted numerator in whole units (noisy with noise); 0 when suppressed.
    pub numerator: i64,
    /// Weighted denominator in whole units (noisy with noise); 0 when suppressed.
    pub denominator: i64,
    /// Unweighted base as a band.
    pub base_band: &'static str,
    /// `u` for low reliability, otherwise empty.
    pub flag: &'static str,
}

/// One indicator, anonymised.
#[derive(Debug, Clone)]
pub struct AnonymisedIndicator {
    /// The indicator.
    pub indicator_id: String,
    /// Rows in scope; 0 (withheld) with noise.
    pub rows_in_scope: u64,
    /// Rows in scope missing an item; 0 (withheld) with noise.
    pub rows_missing_item: u64,
    /// Its cells, in the order computed.
    pub cells: Vec<PublishedCell>,
}

/// What noise was added, for the release's method and the analyst's margin of error.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseReport {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// Budget spent by the release.
    pub spent: Milli,
    /// Weight clip.
    pub weight_clip: u64,
    /// Published values one respondent can affect.
    pub measurements: u64,
    /// Standard deviation of the noise on each value.
    pub sd: f64,
    /// Exact scale: sigma² (Gaussian) or b (Laplace), as numerator and denominator.
    pub scale: (u128, u128),
}

/// A dataset release, anonymised.
#[derive(Debug, Clone)]
pub struct Anonymised {
    /// One per indicator.
    pub indicators: Vec<AnonymisedIndicator>,
    /// Noise added, if any.
    pub noise: Option<NoiseReport>,
    /// The linked system secondary suppression solved (survey datasets).
    pub linked: Option<linked::Report>,
}

/// Applies disclosure control and, if configured, noise to every table of a dataset release.
pub fn apply<R: RngCore + ?Sized>(
    tables: &Tables,
    policy: &Policy,
    rng: &mut R,
) -> Result<Anonymised, Error> {
    let survey = tables.kind.disclosure_controlled();
    if policy.noise.is_some() && !survey {
        return Err(Error::NotSurvey);
    }
    let mut statuses: Vec<Vec<Status>> = tables
        .tables
        .iter()
        .map(|t| {
            t.cells
                .iter()
                .map(|c| {
                    if survey {
                        primary(c.acc.n_den, c.acc.n_num, policy)
                    } else {
                        Status::Published
                    }
                })
                .collect()
        })
        .collect();
    let linked = survey.then(|| linked::suppress(tables, &mut statuses, policy));
    let mut out: Vec<AnonymisedIndicator> = tables
        .tables
        .iter()
        .zip(statuses)
        .map(|(t, statuses)| {
            let cells: Vec<PublishedCell> = t
                .cells
                .iter()
                .zip(statuses)
                .map(|(c, status)| {
                    let a = c.acc;
                    let withheld = status.suppressed();
                    PublishedCell {
                        series: c.series.clone(),
                        dimension: c.dimension.clone(),
                        value: c.value.clone(),
                        numerator: if withheld { 0 } else { round_units(a.num) },
                        denominator: if withheld { 0 } else { round_units(a.den) },
                        base_band: if survey { band(a.n_den) } else { "n/a" },
                        flag: if survey
                            && !withheld
                            && a.n_den < policy.flag_base
                            && a.n_den >= policy.min_base
                        {
                            "u"
                        } else {
                            ""
                        },
                        status,
                    }
                })
                .collect();
            AnonymisedIndicator {
                indicator_id: t.indicator_id.clone(),
                rows_in_scope: t.rows_in_scope,
                rows_missing_item: t.rows_missing_item,
                cells,
            }
        })
        .collect();

    let noise = match &policy.noise {
        None => None,
        Some(params) => Some(add_noise(&mut out, params, rng)?),
    };
    Ok(Anonymised { indicators: out, noise, linked })
}

fn round_units(micro: i128) -> i64 {
    let m = i128::from(MICRO);
    let q = (micro + m / 2).div_euclid(m);
    i64::try_from(q).unwrap_or(i64::MAX)
}

fn band(n: u64) -> &'static str {
    match n {
        0..=29 => "<30",
        30..=49 => "30-49",
        50..=99 => "50-99",
        _ => "100+",
    }
}

/// The primary rule: a base below `min_base`, or 1..`min_count`-1 respondents inside or outside
/// the numerator.
pub fn primary(n_den: u64, n_num: u64, p: &Policy) -> Status {
    if n_den < p.min_base {
        return Status::Primary(format!("fewer than {} respondents in the base", p.min_base));
    }
    let outside = n_den.saturating_sub(n_num);
    if (1..p.min_count).contains(&n_num) || (1..p.min_count).contains(&outside) {
        return Status::Primary(format!(
            "fewer than {} respondents inside or outside the numerator would disclose them",
            p.min_count
        ));
    }
    Status::Published
}

fn add_noise<R: RngCore + ?Sized>(
    out: &mut [AnonymisedIndicator],
    params: &NoiseParams,
    rng: &mut R,
) -> Result<NoiseReport, Error> {
    // Values one respondent touches: per indicator and series, the total and one cell per
    // dimension, each a numerator and a denominator.
    let mut k: u64 = 0;
    for ind in out.iter() {
        let mut per_series: BTreeMap<&str, std::collections::BTreeSet<Option<&str>>> =
            BTreeMap::new();
        for c in &ind.cells {
            per_series.entry(c.series.as_str()).or_default().insert(c.dimension.as_deref());
        }
        k += per_series.values().map(|dims| dims.len() as u64 * 2).sum::<u64>();
    }
    let k = k.max(1);
    let delta = u128::from(params.weight_clip) + 1;
    let budget = u128::from(params.per_release.thousandths().max(1));
    let (scale, sd): ((u128, u128), f64) = match params.mechanism {
        Mechanism::DiscreteGaussian => {
            // sigma² = delta² k / (2 rho) = delta² k MILLI / (2 rho_milli).
            let s = noise::gaussian_scale(
                delta * delta * u128::from(k) * u128::from(MILLI),
                2 * budget,
            )?;
            (s, (s.0 as f64 / s.1 as f64).sqrt())
        }
        Mechanism::DiscreteLaplace => {
            // b = delta k / epsilon = delta k MILLI / epsilon_milli.
            let t = delta * u128::from(k) * u128::from(MILLI);
            let b = t as f64 / budget as f64;
            let q = (-1.0 / b).exp();
            ((t, budget), (2.0 * q).sqrt() / (1.0 - q))
        }
    };
    for ind in out.iter_mut() {
        ind.rows_in_scope = 0;
        ind.rows_missing_item = 0;
        for c in ind.cells.iter_mut().filter(|c| !c.status.suppressed()) {
            let mut sample = || -> i64 {
                let x = match params.mechanism {
                    Mechanism::DiscreteGaussian => noise::discrete_gaussian(rng, scale.0, scale.1),
                    Mechanism::DiscreteLaplace => noise::discrete_laplace(rng, scale.0, scale.1),
                };
                i64::try_from(x).unwrap_or(0)
            };
            c.numerator = c.numerator.saturating_add(sample());
            c.denominator = c.denominator.saturating_add(sample());
        }
    }
    Ok(NoiseReport {
        mechanism: params.mechanism,
        spent: params.per_release,
        weight_clip: params.weight_clip,
        measurements: k,
        sd,
        scale,
    })
}

#[cfg(test)]
mod tests;
