//! The gap between the highest and the lowest group (or city): whether their difference exceeds
//! its margin of error, and which is best and worst by the indicator's polarity, in words.

use serde::Serialize;

use super::{Estimate, difference_in_words, unit_scale};
use crate::catalogue::Polarity;

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

/// The gap over published values: highest and lowest (with ties as shown), whether their
/// difference exceeds its 95% margin of error, and the best and worst by polarity.
pub(super) fn gap(values: &[(String, &Estimate)], reading: Reading, unit: &str) -> Option<Gap> {
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
