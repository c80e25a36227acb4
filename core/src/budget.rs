//! Privacy-budget amounts (rho for zero-concentrated DP, epsilon for pure DP) in exact
//! thousandths: read from and shown as decimals, added and compared as integers, so that no
//! rounding ever spends or frees budget.

use std::{fmt, str::FromStr};

/// Thousandths in one unit of budget.
pub const MILLI: u64 = 1000;

/// An amount of privacy budget in thousandths: `Milli(500)` is 0.5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milli(pub u64);

/// Why a string is not a budget amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a budget amount: a non-negative decimal with at most three decimals")]
pub struct BadMilli(String);

// === impl Milli ===

impl Milli {
    /// No budget.
    pub const ZERO: Self = Self(0);

    /// The sum, at most `u64::MAX` thousandths.
    pub fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// The difference, at least zero.
    pub fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// Thousandths, for integer arithmetic (the noise scale) and the store.
    pub fn thousandths(self) -> u64 {
        self.0
    }

    /// In units, as a float: for gauges only, never for arithmetic on budget.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MILLI as f64
    }
}

/// As a decimal: 1500 is "1.5", 125 is "0.125", 0 is "0".
impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{}.{:03}", self.0 / MILLI, self.0 % MILLI);
        f.write_str(s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// From a decimal with at most three decimals ("0.5", "2", "0.125"); no sign, exponent or
/// leading dot.
impl FromStr for Milli {
    type Err = BadMilli;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadMilli(text.chars().take(40).collect());
        let (int, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        if int.is_empty()
            || frac.len() > 3
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let frac: u64 =
            if frac.is_empty() { 0 } else { format!("{frac:0<3}").parse().map_err(|_| bad())? };
        let int: u64 = int.parse().map_err(|_| bad())?;
        int.checked_mul(MILLI).and_then(|v| v.checked_add(frac)).map(Self).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::Milli;

    #[test]
    fn budget_decimals_round_trip_exactly() {
        for (text, milli) in [("0.5", 500), ("2", 2000), ("0.125", 125), ("10.05", 10050)] {
            assert_eq!(text.parse::<Milli>(), Ok(Milli(milli)));
            assert_eq!(Milli(milli).to_string().parse::<Milli>(), Ok(Milli(milli)));
        }
        assert_eq!(Milli(1500).to_string(), "1.5");
        assert_eq!(Milli(0).to_string(), "0");
        for bad in ["", "-1", "0.0001", "1e-3", "x", ".5", "99999999999999999999"] {
            let refused = bad.parse::<Milli>().unwrap_err();
            assert!(refused.to_string().contains("not a budget amount"), "{bad}: {refused}");
        }
        assert_eq!(Milli(700).saturating_sub(Milli(900)), Milli::ZERO);
        assert_eq!(Milli(u64::MAX).saturating_add(Milli(1)), Milli(u64::MAX));
    }
}
