//! The linear relations among a file's predicates, found from the rows' signatures: what
//! linked disclosure control assumes an attacker knows.

use super::*;

/// Which predicates the rows of a file satisfy, as a span: predicate `offsets[t] + 2 s` is
/// "counts in the denominator of table `t`, series `s`", `offsets[t] + 2 s + 1` "counts in its
/// numerator". Every row's 0/1 signature over these predicates lies in `space`, so a relation
/// among the predicates that holds on the span holds on every row, and so on every weighted sum
/// of rows: the series that add up, the numerators inside denominators, one indicator's scope
/// inside another's numerator, and the relations that hold in this data only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relations {
    /// First predicate of each table.
    pub offsets: Vec<usize>,
    /// The span of the rows' signatures.
    pub space: RowSpace,
    /// Per predicate `j`, a bitset (`words()` words) of the predicates `k` that some row
    /// satisfies `j` without: where `k`'s bit is clear, `j` implies `k` on every row read (a
    /// numerator inside its denominator, one scope inside another indicator's numerator).
    pub escapes: Vec<u64>,
    /// Every distinct signature the rows showed (`words()` words each, sorted), when there were
    /// at most `SIGNATURES_KEPT`: the atoms of the interval attacker, who may know which
    /// combinations of answers occur. `None` when there were more.
    pub signatures: Option<Vec<Box<[u64]>>>,
}

impl Relations {
    /// Relations over `space` with no implication known between different predicates.
    pub fn without_implications(offsets: Vec<usize>, space: RowSpace) -> Self {
        let m = space.width();
        let words = m.div_ceil(64).max(1);
        Self { offsets, space, escapes: vec![u64::MAX; m * words], signatures: None }
    }

    /// Words per predicate in `escapes`.
    pub fn words(&self) -> usize {
        self.space.width().div_ceil(64).max(1)
    }

    /// Whether every row read that satisfies predicate `j` satisfies predicate `k`.
    pub fn implies(&self, j: usize, k: usize) -> bool {
        j == k || (self.escapes[j * self.words() + k / 64] >> (k % 64)) & 1 == 0
    }

    /// The predicate of table `t`, series `s`: the denominator, or the numerator.
    pub fn predicate(&self, t: usize, s: usize, numerator: bool) -> usize {
        self.offsets[t] + 2 * s + usize::from(numerator)
    }
}

/// Distinct signatures remembered per worker before the set starts afresh (a signature seen
/// again is only reduced against the span once more), and the most `Relations::signatures`
/// lists.
pub const SIGNATURES_KEPT: usize = 4096;

/// One worker's view of the signatures: those seen lately, their span and the implications
/// among predicates that no row has broken yet.
pub(super) struct Signatures {
    pub(super) seen: HashSet<Box<[u64]>>,
    /// Whether `seen` holds every signature observed (it never started afresh).
    pub(super) listed: bool,
    pub(super) space: RowSpace,
    /// As `Relations::escapes`.
    pub(super) escapes: Vec<u64>,
    /// The current row's signature (scratch).
    pub(super) row: Vec<u64>,
}

impl Signatures {
    pub(super) fn new(predicates: usize) -> Self {
        let words = predicates.div_ceil(64).max(1);
        Self {
            seen: HashSet::new(),
            listed: true,
            space: RowSpace::new(predicates),
            escapes: vec![0; predicates * words],
            row: vec![0; words],
        }
    }

    /// Takes the current row's signature into the span and the implications.
    pub(super) fn observe(&mut self) {
        if self.seen.contains(&self.row[..]) {
            return;
        }
        if self.seen.len() >= SIGNATURES_KEPT {
            self.seen.clear();
            self.listed = false;
        }
        self.seen.insert(self.row.clone().into_boxed_slice());
        if !self.space.full() {
            self.space.insert_bits(&self.row);
        }
        let words = self.row.len();
        for j in (0..self.space.width()).filter(|j| (self.row[j / 64] >> (j % 64)) & 1 == 1) {
            for (e, &r) in self.escapes[j * words..(j + 1) * words].iter_mut().zip(&self.row) {
                *e |= !r;
            }
        }
    }

    /// Takes in another worker's signatures.
    pub(super) fn merge(&mut self, other: &Signatures) {
        self.space.merge(&other.space);
        self.escapes.iter_mut().zip(&other.escapes).for_each(|(a, b)| *a |= b);
        self.listed &= other.listed;
        if self.listed {
            self.seen.extend(other.seen.iter().cloned());
            self.listed = self.seen.len() <= SIGNATURES_KEPT;
        }
        if !self.listed {
            self.seen.clear();
        }
    }

    /// Every signature observed, sorted, if they were few enough to list.
    pub(super) fn listed(&self) -> Option<Vec<Box<[u64]>>> {
        self.listed.then(|| {
            let mut all: Vec<Box<[u64]>> = self.seen.iter().cloned().collect();
            all.sort_unstable();
            all
        })
    }
}
