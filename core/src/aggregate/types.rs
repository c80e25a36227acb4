//! The vocabulary aggregation reads: shared short strings (`Sym`), a city's published cells and
//! their provenance, the members as coverage sees them, and the query with its breakdown.

use serde::Serialize;

/// A short string that many cells share (a series, a dimension, one of its values, a flag):
/// held once per process, whatever the number of releases that name it, behind one pointer
/// (8 bytes, not a `str`'s 16: a cell holds four, and a node holds every member's cells).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(std::sync::Arc<Box<str>>);

/// The interner's key: a held `Sym`, looked up by its text.
#[derive(PartialEq, Eq, Hash)]
struct Held(Sym);

impl std::borrow::Borrow<str> for Held {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl Sym {
    /// The shared copy of `s`.
    pub fn new(s: &str) -> Self {
        use std::{
            collections::HashSet,
            sync::{Mutex, OnceLock},
        };
        static HELD: OnceLock<Mutex<HashSet<Held>>> = OnceLock::new();
        let mut held = HELD.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = held.get(s) {
            return a.0.clone();
        }
        if held.len() >= 1 << 16 {
            held.clear(); // far more than a catalogue names: start over rather than grow
        }
        let sym = Self(std::sync::Arc::new(Box::from(s)));
        held.insert(Held(sym.clone()));
        sym
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
        std::fmt::Debug::fmt(self.as_str(), f)
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
        self.as_str() == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Sym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One cell of a city's release: its label, shared by every release with the same cell, and its
/// two sums (24 bytes: a node holds every member's cells, tens of them per release). A cell
/// reads as its label: `cell.series`, `cell.published`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// What the cell is: series, breakdown, status and flag.
    pub label: Label,
    /// Weighted numerator.
    pub numerator: f64,
    /// Weighted denominator.
    pub denominator: f64,
}

/// What a cell is, apart from its sums.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CellLabel {
    /// Series (`_T` headline).
    pub series: Sym,
    /// Dimension, empty for the total.
    pub dimension: Sym,
    /// Value of the dimension.
    pub value: Sym,
    /// Published (else suppressed).
    pub published: bool,
    /// Reliability flag.
    pub flag: Sym,
}

/// A cell label held once per process, behind one pointer (`Sym`'s way, for the label as a
/// whole: the labels of a catalogue's cells are few, the cells holding them many).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label(std::sync::Arc<CellLabel>);

impl Label {
    /// The shared copy of `label`.
    pub fn new(label: CellLabel) -> Self {
        use std::{
            collections::HashSet,
            sync::{Mutex, OnceLock},
        };
        static HELD: OnceLock<Mutex<HashSet<Label>>> = OnceLock::new();
        let mut held = HELD.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = held.get(&label) {
            return l.clone();
        }
        if held.len() >= 1 << 16 {
            held.clear(); // far more than a catalogue names: start over rather than grow
        }
        let label = Self(std::sync::Arc::new(label));
        held.insert(label.clone());
        label
    }
}

impl std::borrow::Borrow<CellLabel> for Label {
    fn borrow(&self) -> &CellLabel {
        &self.0
    }
}

impl Cell {
    /// A cell of `series`, broken down by `dimension` = `value` (empty: the total).
    pub fn new(
        series: &str,
        dimension: &str,
        value: &str,
        published: bool,
        flag: &str,
        numerator: f64,
        denominator: f64,
    ) -> Self {
        let label = CellLabel {
            series: Sym::new(series),
            dimension: Sym::new(dimension),
            value: Sym::new(value),
            published,
            flag: Sym::new(flag),
        };
        Self { label: Label::new(label), numerator, denominator }
    }
}

impl std::ops::Deref for Cell {
    type Target = CellLabel;
    fn deref(&self) -> &CellLabel {
        &self.label.0
    }
}

/// Where a city's figure came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The city whose log holds the release.
    pub origin: Sym,
    /// Position in that log.
    pub seq: u64,
    /// Record hash (hex).
    pub record_hash: String,
    /// The origin's signing key (hex).
    pub signer: Sym,
    /// Catalogue version of the release.
    pub catalogue_version: Sym,
    /// Disclosure control and noise, for people.
    pub method: Sym,
}

/// One city's release of one indicator and period.
#[derive(Debug, Clone, PartialEq)]
pub struct CityRelease {
    /// Member id.
    pub city: Sym,
    /// Indicator.
    pub indicator: Sym,
    /// Period.
    pub period: Sym,
    /// Display unit.
    pub unit: Sym,
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
