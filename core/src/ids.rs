//! Member ids: a city's UN/LOCODE, the one identifier every layer shares (pure).

use std::{fmt, str::FromStr};

/// A member id: the city's UN/LOCODE, two letters of country and three of place (`BEBRU`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(String);

/// Why a string is not a member id.
#[derive(Debug, thiserror::Error)]
#[error(
    "member id `{0}` is not a UN/LOCODE: expected 2 capital letters of country and 3 capital \
     letters or digits 2-9 of place, for example BEBRU"
)]
pub struct BadMemberId(String);

// === impl MemberId ===

impl MemberId {
    /// The ISO 3166-1 alpha-2 country code the id starts with.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MemberId {
    type Err = BadMemberId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let ok = b.len() == 5
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..].iter().all(|c| c.is_ascii_uppercase() || (b'2'..=b'9').contains(c));
        if ok { Ok(Self(s.to_owned())) } else { Err(BadMemberId(s.chars().take(40).collect())) }
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
