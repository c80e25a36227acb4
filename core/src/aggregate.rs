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

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalogue::Polarity;

/// A short string that many cells share (a series, a dimension, one of its values, a flag):
/// held once per process, whatever the number of releases that name it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(std::sync::Arc<str>);

impl Sym {
    /// The shared copy of `s`.
    pub fn new(s: &str) -> Self {
        use std::{
            collections::HashSet,
            sync::{Arc, Mutex, OnceLock},
        };
        static HELD: OnceLock<Mutex<HashSet<Arc<str>>>> = OnceLock::new();
        let mut held = HELD.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = held.get(s) {
            return Self(a.clone());
        }
        if held.len() >= 1 << 16 {
            held.clear(); // far more than a catalogue names: start over rather than grow
        }
        let a: Arc<str> = Arc::from(s);
        held.insert(a.clone());
        Self(a)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Self {
        Self::new(s)
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl Serialize for Sym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One published cell of a city's release.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Series (`_T` headline).
    pub series: Sym,
    /// Dimension, empty for the total.
    pub dimension: Sym,
    /// Value of the dimension.
    pub value: Sym,
    /// Published (else suppressed).
    pub published: bool,
    /// Weighted numerator.
    pub numerator: f64,
    /// Weighted denominator.
    pub denominator: f64,
    /// Reliability flag.
    pub flag: Sym,
}

/// Where a city's figure came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The city whose log holds the release.
    pub origin: String,
    /// Position in that log.
    pub seq: u64,
    /// Record hash (hex).
    pub record_hash: String,
    /// The origin's signing key (hex).
    pub signer: String,
    /// Catalogue version of the release.
    pub catalogue_version: String,
    /// Disclosure control and noise, for people.
    pub method: String,
}

/// One city's release of one indicator and period.
#[derive(Debug, Clone, PartialEq)]
pub struct CityRelease {
    /// Member id.
    pub city: String,
    /// Indicator.
    pub indicator: String,
    /// Period.
    pub period: String,
    /// Display unit.
    pub unit: String,
    /// Noise standard deviation on every published value, if any.
    pub noise_sd: Option<f64>,
    /// Cells.
    pub cells: Vec<Cell>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// A member as coverage sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Member id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unix ms of the last sync with it, `None` for this node itself or never.
    pub last_sync_unix_ms: Option<i64>,
    /// This node.
    pub is_self: bool,
    /// Kinds of evidence of misbehaviour its log holds at this node (`equivocation`, `fork`,
    /// an inconsistent tree head); empty for a member in good standing.
    pub evidence: Vec<String>,
}

/// What the analyst asked.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Indicator id.
    pub indicator: String,
    /// Period; the latest with any release when empty.
    pub period: String,
    /// Dimension to break down by: a column name, `city` (the default view), or empty.
    pub by: String,
    /// Series; `_T` when empty (or the first series when the indicator has no headline).
    pub series: String,
}

/// What an answer is broken down by, read from a query's or an answer's `by` in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown<'a> {
    /// The cities side by side (`by` empty or `city`): the default view.
    Cities,
    /// The values of a catalogue dimension (`age_band`, `district_code`, ...).
    Dimension(&'a str),
}

impl<'a> Breakdown<'a> {
    /// The breakdown `by` names.
    pub fn of(by: &'a str) -> Self {
        match by {
            "" | "city" => Breakdown::Cities,
            dimension => Breakdown::Dimension(dimension),
        }
    }

    /// Its name in queries, exports and file names: `city` or the dimension.
    pub fn name(self) -> &'a str {
        match self {
            Breakdown::Cities => "city",
            Breakdown::Dimension(d) => d,
        }
    }
}

/// A ratio estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Published (else withheld, with a reason).
    pub published: bool,
    /// Summed weighted numerator, as published (noise included).
    pub numerator: f64,
    /// Summed weighted denominator, as published (noise included).
    pub denominator: f64,
    /// numerator / denominator (a fraction; the unit scales it for display), post-processed
    /// into the unit's valid range (0 to 1 for a share, non-negative for a rate).
    pub value: f64,
    /// 95% margin of error of `value` from the published noise; `None` when no noise was
    /// published (sampling error is not in the releases).
    pub margin_of_error: Option<f64>,
    /// The 95% interval, `value` ± the margin clipped to the valid range; with the margin.
    pub interval: Option<(f64, f64)>,
    /// Whether the ratio of the published sums fell outside the valid range and was clipped.
    pub clipped: bool,
    /// Why it is withheld, or a reliability flag.
    pub note: String,
}

/// The confidence level of every margin of error and interval.
pub const CONFIDENCE: f64 = 0.95;

/// A withheld estimate has no numbers: its numerator, denominator and value are `null`, never
/// `0.0`, beside the reason. A margin comes with its confidence level and interval.
impl Serialize for Estimate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let shown = |v: f64| self.published.then_some(v);
        let margin = self.margin_of_error.filter(|_| self.published);
        let mut st = s.serialize_struct("Estimate", 9)?;
        st.serialize_field("published", &self.published)?;
        st.serialize_field("numerator", &shown(self.numerator))?;
        st.serialize_field("denominator", &shown(self.denominator))?;
        st.serialize_field("value", &shown(self.value))?;
        st.serialize_field("margin_of_error", &margin)?;
        st.serialize_field("confidence_level", &margin.map(|_| CONFIDENCE))?;
        st.serialize_field("interval", &self.interval.filter(|_| self.published))?;
        st.serialize_field("clipped", &self.clipped)?;
        st.serialize_field("note", &self.note)?;
        st.end()
    }
}

/// The valid range of a unit's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// A share: 0 to 1 (0 to 100%).
    Share,
    /// A rate or a count: non-negative.
    NonNegative,
}

impl Range {
    /// The range of a catalogue unit.
    pub fn of_unit(unit: &str) -> Self {
        if unit == "percent" { Range::Share } else { Range::NonNegative }
    }

    fn clip(self, v: f64) -> f64 {
        match self {
            Range::Share => v.clamp(0.0, 1.0),
            Range::NonNegative => v.max(0.0),
        }
    }
}

/// The display scale and suffix of a catalogue unit: percent as %, rates per 100 or 10,000.
pub fn unit_scale(unit: &str) -> (f64, &'static str) {
    match unit {
        "percent" => (100.0, "%"),
        "per_100" => (100.0, " per 100"),
        "per_10000" => (10_000.0, " per 10,000"),
        _ => (1.0, ""),
    }
}

/// A difference of two values of a unit, in words: percentage points for percentages, the
/// unit otherwise.
pub fn difference_in_words(d: f64, unit: &str) -> String {
    let (scale, suffix) = unit_scale(unit);
    if unit == "percent" {
        format!("{:.1} percentage points", d * scale)
    } else {
        format!("{:.1}{suffix}", d * scale)
    }
}

impl Estimate {
    /// The value as people read it: with its 95% interval when it carries noise, and saying
    /// so when it was clipped into the valid range. (A withheld estimate has no value.)
    pub fn in_words(&self, unit: &str) -> String {
        let (scale, suffix) = unit_scale(unit);
        let value = format!("{:.1}{suffix}", self.value * scale);
        match self.interval {
            Some((lo, hi)) => format!(
                "{value} (95% interval {:.1}–{:.1}{suffix}{})",
                lo * scale,
                hi * scale,
                if self.clipped { "; clipped to the valid range" } else { "" }
            ),
            None if self.clipped => format!("{value} (clipped to the valid range)"),
            None => value,
        }
    }

    fn withheld(note: &str) -> Self {
        Self {
            published: false,
            numerator: 0.0,
            denominator: 0.0,
            value: 0.0,
            margin_of_error: None,
            interval: None,
            clipped: false,
            note: note.into(),
        }
    }

    /// Sums published cells into a ratio in `range`; the third of each part is the noise
    /// standard deviation of its numerator and denominator.
    fn of(parts: &[(f64, f64, Option<f64>)], range: Range) -> Self {
        let n: f64 = parts.iter().map(|p| p.0).sum();
        let d: f64 = parts.iter().map(|p| p.1).sum();
        if d <= 0.0 {
            return Self::withheld("no denominator");
        }
        let raw = n / d;
        // Var(N/D) ≈ (Var N + R² Var D) / D², with the noise on each of the sums independent.
        let margin = if parts.iter().all(|p| p.2.is_some()) {
            let var: f64 = parts.iter().map(|p| p.2.unwrap_or(0.0).powi(2)).sum();
            Some(1.96 * ((var + raw * raw * var) / (d * d)).sqrt())
        } else {
            None
        };
        // Post-processing only: the published sums stay as they are, the ratio and its
        // interval are moved into the valid range.
        let value = range.clip(raw);
        Self {
            published: true,
            numerator: n,
            denominator: d,
            value,
            margin_of_error: margin,
            interval: margin.map(|m| (range.clip(raw - m), range.clip(raw + m))),
            clipped: value != raw,
            note: String::new(),
        }
    }
}

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

/// The gap between the highest and the lowest group (or city), read by the indicator's
/// polarity: which is best and worst, if any can be called so.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// Which direction is better.
    pub polarity: Polarity,
    /// The best group(s), several when tied; empty for a neutral indicator, or when the
    /// difference is within its margin of error.
    pub best: Vec<String>,
    /// The worst group(s), likewise.
    pub worst: Vec<String>,
    /// The group(s) at the highest value (tied as shown, to a tenth of the display unit).
    pub highest: Vec<String>,
    /// The group(s) at the lowest value.
    pub lowest: Vec<String>,
    /// Highest value (fraction).
    pub highest_value: f64,
    /// Lowest value (fraction).
    pub lowest_value: f64,
    /// highest − lowest (fraction; ×100 for percentage points).
    pub absolute: f64,
    /// lowest / highest.
    pub ratio: f64,
    /// The 95% margin of error of the difference, when the values carry noise.
    pub margin_of_difference: Option<f64>,
    /// Whether the difference is larger than its margin of error (always, without noise).
    pub distinguishable: bool,
    /// The gap in words, the same on every surface.
    pub statement: String,
}

/// How to read an indicator's values, from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Which direction is better, for the series asked.
    pub polarity: Polarity,
    /// Whether the groups are people or households ("best served") rather than things.
    pub people: bool,
}

impl Default for Reading {
    fn default() -> Self {
        Self { polarity: Polarity::Neutral, people: false }
    }
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
                included.push(r.city.clone());
                let mut e = Estimate::of(&[(c.numerator, c.denominator, var(r))], range);
                e.note = c.flag.to_string();
                e
            }
            Some(_) => Estimate::withheld("suppressed by the city"),
            None => Estimate::withheld("no such series"),
        };
        cities.push(CityFigure {
            city: r.city.clone(),
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
        let included: std::collections::BTreeSet<&String> = included.iter().collect();
        for r in in_period.iter().filter(|r| included.contains(&r.city)) {
            for c in r.cells.iter().filter(|c| c.series == series && c.dimension == dimension) {
                let entry = per_value.entry(c.value.to_string()).or_default();
                if c.published {
                    entry.0.push((c.numerator, c.denominator, var(r)));
                    entry.1.push(r.city.clone());
                } else {
                    entry.2.push(r.city.clone());
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
                    coverage.push(r.city.clone());
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
                of_indicator.iter().filter(|r| r.city == m.id).map(|r| r.period.clone()).max()
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
        unit: first.unit.clone(),
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

/// The gap over published values: highest and lowest (with ties as shown), whether their
/// difference exceeds its 95% margin of error, and the best and worst by polarity.
fn gap(values: &[(String, &Estimate)], reading: Reading, unit: &str) -> Option<Gap> {
    if values.len() < 2 {
        return None;
    }
    let (scale, _) = unit_scale(unit);
    // Ties as people see them: equal to a tenth of the display unit.
    let shown = |v: f64| (v * scale * 10.0).round() as i64;
    let hi = values.iter().map(|v| v.1.value).fold(f64::NEG_INFINITY, f64::max);
    let lo = values.iter().map(|v| v.1.value).fold(f64::INFINITY, f64::min);
    let at = |x: f64| -> Vec<&(String, &Estimate)> {
        values.iter().filter(|v| shown(v.1.value) == shown(x)).collect()
    };
    let (top, bottom) = (at(hi), at(lo));
    let names = |v: &[&(String, &Estimate)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    let margin_of_difference = match (top[0].1.margin_of_error, bottom[0].1.margin_of_error) {
        (Some(a), Some(b)) => Some((a * a + b * b).sqrt()),
        _ => None,
    };
    let absolute = hi - lo;
    let tied_all = shown(hi) == shown(lo);
    let distinguishable = !tied_all && margin_of_difference.is_none_or(|m| absolute > m);
    let ranked = distinguishable && reading.polarity != Polarity::Neutral;
    let (best, worst) = match reading.polarity {
        _ if !ranked => (Vec::new(), Vec::new()),
        Polarity::LowerIsBetter => (names(&bottom), names(&top)),
        _ => (names(&top), names(&bottom)),
    };
    let ratio = if hi > 0.0 { lo / hi } else { 0.0 };

    let list = |v: &[String]| match v {
        [one] => one.clone(),
        many => format!("{} (tied)", many.join(" and ")),
    };
    let value = |x: f64| format!("{:.1}{}", x * scale, unit_scale(unit).1);
    let diff = difference_in_words(absolute, unit);
    let served = if reading.people { " served" } else { "" };
    let margin_words = margin_of_difference
        .map(|m| format!("its 95% margin of error (± {})", difference_in_words(m, unit)));
    let range_words = format!(
        "Highest: {} ({}); lowest: {} ({})",
        list(&names(&top)),
        value(hi),
        list(&names(&bottom)),
        value(lo)
    );
    let statement = if tied_all {
        format!("All {} at {}: no gap.", values.len(), value(hi))
    } else if !distinguishable {
        format!(
            "{range_words}. The difference of {diff} is within {}: not distinguishable at 95%, so none is called best or worst{served}.",
            margin_words.clone().unwrap_or_default()
        )
    } else if reading.polarity == Polarity::Neutral {
        format!(
            "{range_words}; a difference of {diff}. Neither direction is better for this indicator, so none is called best or worst{served}."
        )
    } else {
        let (b, w) = if reading.polarity == Polarity::LowerIsBetter { (lo, hi) } else { (hi, lo) };
        let beyond = margin_words.map(|m| format!(", beyond {m}")).unwrap_or_default();
        format!(
            "Best{served}: {} ({}); worst{served}: {} ({}). Gap {diff}{beyond}; the lowest is {ratio:.2} times the highest.",
            list(&best),
            value(b),
            list(&worst),
            value(w),
        )
    };
    Some(Gap {
        polarity: reading.polarity,
        best,
        worst,
        highest: names(&top),
        lowest: names(&bottom),
        highest_value: hi,
        lowest_value: lo,
        absolute,
        ratio,
        margin_of_difference,
        distinguishable,
        statement,
    })
}

#[cfg(test)]
mod tests;
