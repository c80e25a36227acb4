//! A ratio estimate and its arithmetic: summing published parts into a ratio kept in its unit's
//! valid range, the 95% margin and interval from the published noise, and how values, units and
//! differences read in words.

use serde::Serialize;

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

    pub(super) fn withheld(note: &str) -> Self {
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
    pub(super) fn of(parts: &[(f64, f64, Option<f64>)], range: Range) -> Self {
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
