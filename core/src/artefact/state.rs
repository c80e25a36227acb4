//! The state of each published artefact version (current, superseded, withdrawn), from the
//! publications and withdrawals of one city's log.

use std::collections::BTreeMap;

/// A publication or withdrawal as read from one city's log.
#[derive(Debug, Clone)]
pub enum Event {
    /// A version published at a log position.
    Published {
        /// Log position.
        seq: u64,
        /// Artefact id.
        id: String,
        /// The version it replaces.
        supersedes: Option<u64>,
    },
    /// A withdrawal at a log position.
    Withdrawn {
        /// Artefact id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// The state of one published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The latest version of its artefact, not withdrawn.
    Current,
    /// A later version of the same artefact was published.
    Superseded,
    /// Withdrawn, with the city's reason.
    Withdrawn(String),
}

impl State {
    /// The word the API and the pages use: `current`, `superseded` or `withdrawn`.
    pub fn label(&self) -> &'static str {
        match self {
            State::Current => "current",
            State::Superseded => "superseded",
            State::Withdrawn(_) => "withdrawn",
        }
    }

    /// The reason of a withdrawal; empty otherwise.
    pub fn reason(&self) -> &str {
        match self {
            State::Withdrawn(reason) => reason,
            _ => "",
        }
    }
}

/// The state of every published version of one city, by log position.
pub fn states(events: &[Event]) -> BTreeMap<u64, State> {
    let mut latest: BTreeMap<String, u64> = BTreeMap::new();
    let mut out: BTreeMap<u64, State> = BTreeMap::new();
    for e in events {
        match e {
            Event::Published { seq, id, .. } => {
                if let Some(prev) = latest.insert(id.clone(), *seq) {
                    out.insert(prev, State::Superseded);
                }
                out.insert(*seq, State::Current);
            }
            Event::Withdrawn { id, reason } => {
                if let Some(seq) = latest.get(id) {
                    out.insert(*seq, State::Withdrawn(reason.clone()));
                }
            }
        }
    }
    out
}
