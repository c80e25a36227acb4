//! Metropolitan aggregation over the verified releases a node holds: the metropolitan value as a
//! ratio of summed numerators and denominators (never a mean of city percentages), each city's
//! value, values by group or district with the gap read by the indicator's polarity, trends
//! over comparable coverage, coverage (missing, not yet published, stale, members left out for
//! evidence against their logs) and provenance, and 95% margins and intervals from the
//! published noise, ratios kept in their valid range.
//!
//! Pure: no IO, no prost, no tonic. Only published cells are ever summed, so no metropolitan
//! figure contains a suppressed value; a further check withholds a metropolitan group figure
//! whenever the excluded cells of a dimension would reduce to a single city cell.

mod estimate;
mod gap;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use estimate::{CONFIDENCE, Estimate, Range, difference_in_words, unit_scale};
use gap::gap;
pub use gap::{Gap, Reading};
pub use types::{Breakdown, Cell, CellLabel, CityRelease, Label, Member, Provenance, Query, Sym};

/// One city's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityFigure {
    /// Member id.
    pub city: String,
    /// Name.
    pub name: String,
    /// The estimate.
    pub estimate: Estimate,
    /// Where it came from.
    pub provenance: Provenance,
}

/// One group (or district) figure across the cities publishing it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigure {
    /// The dimension value.
    pub value: String,
    /// The estimate.
    pub estimate: Estimate,
    /// Cities whose cell is included.
    pub cities: Vec<String>,
    /// Cities where the cell is suppressed (not included).
    pub suppressed_in: Vec<String>,
}

/// One point of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Period.
    pub period: String,
    /// Metropolitan estimate.
    pub estimate: Estimate,
    /// Cities included.
    pub cities: usize,
    /// Which cities.
    pub coverage: Vec<String>,
    /// Whether they are the cities of the period answered: a point over other cities is not
    /// comparable (a change of members is not a change of the indicator).
    pub same_coverage: bool,
}

/// Who published one period of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodCoverage {
    /// Period.
    pub period: String,
    /// Cities with a release for it.
    pub cities: Vec<String>,
    /// Whether every current member that published the last comparable period before it has
    /// published it too (the first period is comparable). The default period is the latest
    /// comparable one; a newer, partial one is offered with its cities named.
    pub comparable: bool,
}

/// A member whose log holds evidence of misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flagged {
    /// Member id.
    pub city: String,
    /// Kinds of evidence.
    pub evidence: Vec<String>,
    /// Whether its releases are in the values anyway (`federation.include_members_with_evidence`).
    pub included: bool,
}

/// A member that has not published the period answered, though it published an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotYet {
    /// Member id.
    pub city: String,
    /// Its latest period with a release.
    pub latest: String,
}

/// A member not (fully) in the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stale {
    /// Member id.
    pub city: String,
    /// Why.
    pub reason: String,
    /// Since when (Unix ms), if known.
    pub since_unix_ms: Option<i64>,
}

/// Which cities an answer covers.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Coverage {
    /// Cities in the metropolitan value.
    pub included: Vec<String>,
    /// Members with no release for the indicator and period.
    pub missing: Vec<String>,
    /// Of those, the ones that have published an earlier period and not this one yet: not
    /// stale, simply not published yet.
    pub not_yet_published: Vec<NotYet>,
    /// Members not heard from recently: their data may be out of date.
    pub stale: Vec<Stale>,
    /// Members whose logs hold evidence of misbehaviour: excluded from every value, unless
    /// the node's setting includes them (and then each says so).
    pub flagged: Vec<Flagged>,
    /// Suppressed cells across the releases used.
    pub suppressed_cells: usize,
}

/// An answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// Indicator.
    pub indicator: String,
    /// Period answered.
    pub period: String,
    /// Periods with any release.
    pub periods: Vec<String>,
    /// Who published each period, and whether its coverage is comparable.
    pub period_coverage: Vec<PeriodCoverage>,
    /// Display unit.
    pub unit: String,
    /// Series.
    pub series: String,
    /// Breakdown.
    pub by: String,
    /// The metropolitan value.
    pub metro: Estimate,
    /// Each city.
    pub cities: Vec<CityFigure>,
    /// Each group of the breakdown.
    pub groups: Vec<GroupFigure>,
    /// Best and worst group.
    pub gap: Option<Gap>,
    /// The metropolitan value per period.
    pub trend: Vec<TrendPoint>,
    /// Which cities are covered.
    pub coverage: Coverage,
}

/// Per group value: the published parts (numerator, denominator, noise sd), the cities included
/// and the cities where the cell is suppressed.
type GroupParts = (Vec<(f64, f64, Option<f64>)>, Vec<String>, Vec<String>);

/// A member counts as stale when not synced for this long, unless configured otherwise
/// (`federation.stale_after_ms`).
pub const STALE_AFTER_MS: i64 = 5 * 60 * 1000;

/// Why a query has no answer: nothing to answer from, which is not suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanswered {
    /// No city has published the indicator yet.
    NoRelease,
    /// No city has published the indicator for the period asked; these periods have releases.
    NoPeriod(Vec<String>),
}

/// Answers a query from the releases held (latest per city, indicator and period) and the
/// membership. `now_unix_ms` dates staleness: a member not synced for more than
/// `stale_after_ms` is reported stale.
pub fn answer(
    query: &Query,
    reading: Reading,
    releases: &[CityRelease],
    members: &[Member],
    now_unix_ms: i64,
    stale_after_ms: i64,
    include_with_evidence: bool,
) -> Result<Answer, Unanswered> {
    // Members with evidence against their logs: out of every value unless the node says so.
    let flagged: Vec<Flagged> = members
        .iter()
        .filter(|m| !m.evidence.is_empty())
        .map(|m| Flagged {
            city: m.id.clone(),
            evidence: m.evidence.clone(),
            included: include_with_evidence,
        })
        .collect();
    let excluded: BTreeSet<&str> =
        flagged.iter().filter(|f| !f.included).map(|f| f.city.as_str()).collect();
    let of_indicator: Vec<&CityRelease> = releases
        .iter()
        .filter(|r| r.indicator == query.indicator && !excluded.contains(r.city.as_str()))
        .collect();
    let first = of_indicator.first().ok_or(Unanswered::NoRelease)?;
    let mut publishers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &of_indicator {
        publishers.entry(r.period.as_str()).or_default().insert(r.city.as_str());
    }
    let periods: BTreeSet<String> = publishers.keys().map(|p| (*p).to_owned()).collect();
    // Comparable coverage: every current member that published the last comparable period
    // has published this one.
    let current: BTreeSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let mut reference: Option<BTreeSet<&str>> = None;
    let mut period_coverage = Vec::new();
    for (period, cities) in &publishers {
        let comparable = reference.as_ref().is_none_or(|r| {
            r.iter()
                .filter(|c| current.is_empty() || current.contains(*c))
                .all(|c| cities.contains(c))
        });
        if comparable {
            reference = Some(cities.clone());
        }
        period_coverage.push(PeriodCoverage {
            period: (*period).to_owned(),
            cities: cities.iter().map(|c| (*c).to_owned()).collect(),
            comparable,
        });
    }
    let latest_comparable = period_coverage.iter().rev().find(|p| p.comparable);
    let period = match latest_comparable {
        _ if periods.contains(&query.period) => query.period.clone(),
        Some(latest) if query.period.is_empty() => latest.period.clone(),
        _ => return Err(Unanswered::NoPeriod(periods.into_iter().collect())),
    };
    let series = if !query.series.is_empty() {
        query.series.clone()
    } else if first.cells.iter().any(|c| c.series == "_T") {
        "_T".into()
    } else {
        first.cells.first().map(|c| c.series.to_string()).unwrap_or_default()
    };
    // Looked up per city: maps, so that an answer's cost grows with the members, not their square.
    let names: BTreeMap<&str, &str> =
        members.iter().map(|m| (m.id.as_str(), m.name.as_str())).collect();
    let name_of = |id: &str| names.get(id).map_or(id.to_owned(), |n| (*n).to_owned());
    let in_period: Vec<&CityRelease> =
        of_indicator.iter().copied().filter(|r| r.period == period).collect();

    let total_of = |r: &CityRelease| {
        r.cells.iter().find(|c| c.series == series && c.dimension.is_empty()).cloned()
    };
    let var = |r: &CityRelease| r.noise_sd;
    let range = Range::of_unit(&first.unit);
    let mut cities = Vec::new();
    let mut included = Vec::new();
    let mut metro_parts = Vec::new();
    let mut suppressed_cells = 0;
    for r in &in_period {
        suppressed_cells += r.cells.iter().filter(|c| !c.published).count();
        let estimate = match total_of(r) {
            Some(c) if c.published => {
                metro_parts.push((c.numerator, c.denominator, var(r)));
                included.push(r.city.to_string());
                let mut e = Estimate::of(&[(c.numerator, c.denominator, var(r))], range);
                e.note = c.flag.to_string();
                e
            }
            Some(_) => Estimate::withheld("suppressed by the city"),
            None => Estimate::withheld("no such series"),
        };
        cities.push(CityFigure {
            city: r.city.to_string(),
            name: name_of(&r.city),
            estimate,
            provenance: r.provenance.clone(),
        });
    }
    let metro = if metro_parts.is_empty() {
        Estimate::withheld("no city publishes this cell")
    } else {
        Estimate::of(&metro_parts, range)
    };

    // Groups: only cities in the metropolitan total, only published cells.
    let mut groups = Vec::new();
    let breakdown = Breakdown::of(&query.by);
    if let Breakdown::Dimension(dimension) = breakdown {
        let mut per_value: BTreeMap<String, GroupParts> = BTreeMap::new();
        let included: std::collections::BTreeSet<&str> =
            included.iter().map(|c| c.as_str()).collect();
        for r in in_period.iter().filter(|r| included.contains(r.city.as_str())) {
            for c in r.cells.iter().filter(|c| c.series == series && c.dimension == dimension) {
                let entry = per_value.entry(c.value.to_string()).or_default();
                if c.published {
                    entry.0.push((c.numerator, c.denominator, var(r)));
                    entry.1.push(r.city.to_string());
                } else {
                    entry.2.push(r.city.to_string());
                }
            }
        }
        // The margin check across cities: metro total minus the published groups is the sum of
        // the excluded cells; if that is one single city cell, withhold the dimension.
        let excluded: usize = per_value.values().map(|v| v.2.len()).sum();
        let lone = excluded == 1;
        for (value, (parts, cities_in, suppressed_in)) in per_value {
            let estimate = if lone {
                Estimate::withheld(
                    "withheld: with the metropolitan total it would reveal a suppressed city cell",
                )
            } else if parts.is_empty() {
                Estimate::withheld("suppressed in every city")
            } else {
                Estimate::of(&parts, range)
            };
            groups.push(GroupFigure { value, estimate, cities: cities_in, suppressed_in });
        }
    }
    let gap_source: Vec<(String, &Estimate)> = if breakdown == Breakdown::Cities {
        cities
            .iter()
            .filter(|c| c.estimate.published)
            .map(|c| (c.city.clone(), &c.estimate))
            .collect()
    } else {
        groups
            .iter()
            .filter(|g| g.estimate.published && g.value != "unknown")
            .map(|g| (g.value.clone(), &g.estimate))
            .collect()
    };
    let gap = gap(&gap_source, reading, &first.unit);

    let answered: BTreeSet<&str> = included.iter().map(String::as_str).collect();
    let trend = periods
        .iter()
        .map(|p| {
            let mut coverage = Vec::new();
            let parts: Vec<_> = of_indicator
                .iter()
                .filter(|r| &r.period == p)
                .filter_map(|r| {
                    let c = total_of(r).filter(|c| c.published)?;
                    coverage.push(r.city.to_string());
                    Some((c.numerator, c.denominator, var(r)))
                })
                .collect();
            let estimate = if parts.is_empty() {
                Estimate::withheld("no published total")
            } else {
                Estimate::of(&parts, range)
            };
            let same_coverage =
                coverage.iter().map(String::as_str).collect::<BTreeSet<_>>() == answered;
            TrendPoint { period: p.clone(), estimate, cities: parts.len(), coverage, same_coverage }
        })
        .collect();

    let mut missing = Vec::new();
    let mut not_yet_published = Vec::new();
    let mut stale = Vec::new();
    let reporting: std::collections::BTreeSet<&str> =
        in_period.iter().map(|r| r.city.as_str()).collect();
    for m in members {
        if !reporting.contains(m.id.as_str()) && !excluded.contains(m.id.as_str()) {
            missing.push(m.id.clone());
            if let Some(latest) =
                of_indicator.iter().filter(|r| r.city == m.id).map(|r| r.period.to_string()).max()
                && latest < period
            {
                not_yet_published.push(NotYet { city: m.id.clone(), latest });
            }
        }
        if !m.is_self {
            match m.last_sync_unix_ms {
                Some(t) if now_unix_ms - t > stale_after_ms => stale.push(Stale {
                    city: m.id.clone(),
                    reason: "not synced recently".into(),
                    since_unix_ms: Some(t),
                }),
                None => stale.push(Stale {
                    city: m.id.clone(),
                    reason: "never synced".into(),
                    since_unix_ms: None,
                }),
                _ => {}
            }
        }
    }
    Ok(Answer {
        indicator: query.indicator.clone(),
        period,
        periods: periods.into_iter().collect(),
        period_coverage,
        unit: first.unit.to_string(),
        series,
        by: query.by.clone(),
        metro,
        cities,
        groups,
        gap,
        trend,
        coverage: Coverage {
            included,
            missing,
            not_yet_published,
            stale,
            flagged,
            suppressed_cells,
        },
    })
}

#[cfg(test)]
mod tests;
