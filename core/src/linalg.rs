//! Exact linear algebra over the prime field GF(2^61 - 1), for the linked disclosure-control
//! model: the row space of the predicate signatures ingest sees, and an incremental echelon
//! basis over the attacker's unknowns. Pure, no IO.
//!
//! Why modular arithmetic: every relation the model uses has small integer coefficients, so an
//! integer relation holds modulo p as well; the field can only show *more* dependencies than the
//! rationals (when p divides a minor), which makes disclosure control withhold more, never less,
//! of what a linear attacker over the rationals can derive (up to that same event, whose chance
//! with a 61-bit prime and the matrices of a release is far below 2^-40).

/// The modulus, the Mersenne prime 2^61 - 1.
pub const P: u64 = (1 << 61) - 1;

/// a + b mod P, for a, b < P.
#[inline]
pub fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P { s - P } else { s }
}

/// a - b mod P, for a, b < P.
#[inline]
pub fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + P - b }
}

/// a * b mod P, for a, b < P.
#[inline]
pub fn mul(a: u64, b: u64) -> u64 {
    let t = u128::from(a) * u128::from(b);
    let s = (t as u64 & P) + (t >> 61) as u64;
    if s >= P { s - P } else { s }
}

/// The inverse of a non-zero a.
pub fn inv(a: u64) -> u64 {
    debug_assert!(a != 0);
    // Fermat: a^(P-2).
    let (mut base, mut exp, mut acc) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// An integer as a field element.
pub fn from_i64(v: i64) -> u64 {
    let r = v.rem_euclid(P as i64);
    r as u64
}

/// The rational `n / d` (with `d > 0` and `|n|, d` below 2^24) that is `a` modulo P, if there
/// is one: rational reconstruction by the extended Euclidean algorithm. The relations among 0/1
/// predicate signatures have small rational coefficients, so this recovers them exactly for the
/// interval audit, which needs them over the reals.
pub fn rational(a: u64) -> Option<(i64, i64)> {
    // Far below sqrt(P / 2), so that a field element that is not a small fraction has little
    // chance (about 2^-12) of looking like one.
    const BOUND: i128 = 1 << 24;
    let (mut r0, mut r1) = (i128::from(P), i128::from(a));
    let (mut t0, mut t1) = (0i128, 1i128);
    while r1 >= BOUND {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (t0, t1) = (t1, t0 - q * t1);
    }
    if t1 == 0 || t1.abs() >= BOUND {
        return None;
    }
    let (n, d) = if t1 < 0 { (-r1, -t1) } else { (r1, t1) };
    // n = a d mod P by construction; checked, so a bound slip can never invent a coefficient.
    let n64 = i64::try_from(n).ok()?;
    let d64 = i64::try_from(d).ok()?;
    (mul(a, from_i64(d64)) == from_i64(n64)).then_some((n64, d64))
}

/// The reduced row echelon form of the span of 0/1 vectors of `m` coordinates, grown one vector
/// at a time. Ingest feeds it the distinct predicate signatures of the rows it reads; the
/// relations among predicates that hold on every row are then read off it (`coefficients`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSpace {
    m: usize,
    /// Rows of the RREF, each `m` long, with a 1 at its pivot and 0 at every other pivot.
    rows: Vec<Vec<u64>>,
    pivots: Vec<usize>,
}

impl RowSpace {
    /// The empty span in `m` coordinates.
    pub fn new(m: usize) -> Self {
        Self { m, rows: Vec::new(), pivots: Vec::new() }
    }

    /// Coordinates.
    pub fn width(&self) -> usize {
        self.m
    }

    /// Dimension of the span.
    pub fn rank(&self) -> usize {
        self.rows.len()
    }

    /// Whether every vector is in the span already.
    pub fn full(&self) -> bool {
        self.rows.len() == self.m
    }

    /// Adds a vector given by its set bits (a bitset of `m` bits in 64-bit words).
    pub fn insert_bits(&mut self, bits: &[u64]) {
        let v: Vec<u64> = (0..self.m).map(|j| (bits[j / 64] >> (j % 64)) & 1).collect();
        self.insert(v);
    }

    /// Adds a vector (entries < P).
    pub fn insert(&mut self, mut v: Vec<u64>) {
        debug_assert_eq!(v.len(), self.m);
        for (row, &p) in self.rows.iter().zip(&self.pivots) {
            let f = v[p];
            if f != 0 {
                for (x, &r) in v.iter_mut().zip(row) {
                    *x = sub(*x, mul(f, r));
                }
            }
        }
        let Some(p) = v.iter().position(|&x| x != 0) else { return };
        let s = inv(v[p]);
        v.iter_mut().for_each(|x| *x = mul(*x, s));
        for row in &mut self.rows {
            let f = row[p];
            if f != 0 {
                for (x, &r) in row.iter_mut().zip(&v) {
                    *x = sub(*x, mul(f, r));
                }
            }
        }
        // Keep rows ordered by pivot, so the form is canonical.
        let at = self.pivots.partition_point(|&q| q < p);
        self.pivots.insert(at, p);
        self.rows.insert(at, v);
    }

    /// Adds every vector of another span.
    pub fn merge(&mut self, other: &RowSpace) {
        for row in &other.rows {
            self.insert(row.clone());
        }
    }

    /// Predicate `j` as a combination of the pivot predicates: column `j` of the form. Every
    /// vector of the span `x` satisfies `x[j] = sum_i coefficients(j)[i] * x[pivot i]`.
    pub fn coefficients(&self, j: usize) -> Vec<u64> {
        self.rows.iter().map(|r| r[j]).collect()
    }
}

/// A sparse vector: (coordinate, non-zero value), coordinates ascending.
pub type Sparse = Vec<(u32, u64)>;

/// An echelon basis over `n` coordinates, grown one vector at a time. Each basis vector is kept
/// with its pivot (its lowest non-zero coordinate) scaled to 1, so that reducing a vector is one
/// ascending pass over its coordinates.
#[derive(Debug, Clone)]
pub struct Echelon {
    /// Basis vector by pivot coordinate.
    by_pivot: Vec<Option<Sparse>>,
    rank: usize,
}

impl Echelon {
    /// The empty basis of `n` coordinates.
    pub fn new(n: usize) -> Self {
        Self { by_pivot: vec![None; n], rank: 0 }
    }

    /// Coordinates.
    pub fn width(&self) -> usize {
        self.by_pivot.len()
    }

    /// Dimension of the span.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Reduces a dense vector in place: afterwards it is zero at every pivot. Returns whether
    /// anything is left (the vector was not in the span).
    pub fn reduce(&self, v: &mut [u64]) -> bool {
        let mut left = false;
        for c in 0..v.len() {
            let f = v[c];
            if f == 0 {
                continue;
            }
            match &self.by_pivot[c] {
                Some(b) => {
                    for &(k, x) in b {
                        let k = k as usize;
                        v[k] = sub(v[k], mul(f, x));
                    }
                }
                None => left = true,
            }
        }
        left
    }

    /// Adds a dense vector that `reduce` left non-zero; returns its pivot and the sparse form
    /// stored (scaled to 1 at the pivot).
    pub fn push_reduced(&mut self, v: &[u64]) -> Option<(usize, &Sparse)> {
        let p = v.iter().position(|&x| x != 0)?;
        let s = inv(v[p]);
        let sparse: Sparse = v
            .iter()
            .enumerate()
            .skip(p)
            .filter(|(_, x)| **x != 0)
            .map(|(k, &x)| (k as u32, mul(x, s)))
            .collect();
        debug_assert!(self.by_pivot[p].is_none(), "reduced vectors have no pivot entry");
        self.by_pivot[p] = Some(sparse);
        self.rank += 1;
        self.by_pivot[p].as_ref().map(|b| (p, b))
    }

    /// Reduces and adds a vector; returns whether it grew the span.
    pub fn insert(&mut self, v: &mut [u64]) -> bool {
        self.reduce(v) && self.push_reduced(v).is_some()
    }

    /// Whether a vector is in the span (the vector is left reduced).
    pub fn contains(&self, v: &mut [u64]) -> bool {
        !self.reduce(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_operations_agree_with_integers() {
        assert_eq!(mul(P - 1, P - 1), 1);
        assert_eq!(add(P - 1, 2), 1);
        assert_eq!(sub(1, 2), P - 1);
        for a in [1u64, 2, 3, 12345, P - 2, 1 << 40] {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
        assert_eq!(from_i64(-1), P - 1);
    }

    #[test]
    fn row_space_finds_the_relations_that_hold_on_every_row() {
        // Columns: a, b, a+b (exclusive levels and their sum), c.
        let rows = [[1, 0, 1, 0], [0, 1, 1, 1], [0, 0, 0, 1], [1, 0, 1, 1]];
        let mut s = RowSpace::new(4);
        for r in rows {
            s.insert_bits(&[r.iter().enumerate().map(|(j, &b)| (b as u64) << j).sum()]);
        }
        assert_eq!(s.rank(), 3);
        // Column 2 = column 0 + column 1 on every row.
        let c2 = s.coefficients(2);
        for r in rows {
            let pivots: Vec<u64> = s.pivots.iter().map(|&p| r[p] as u64).collect();
            let v = c2.iter().zip(&pivots).fold(0, |acc, (&c, &x)| add(acc, mul(c, x)));
            assert_eq!(v, r[2] as u64);
        }
    }

    #[test]
    fn rational_reconstruction_inverts_small_fractions() {
        for (n, d) in
            [(0i64, 1i64), (1, 1), (-1, 1), (2, 1), (-3, 2), (1, 3), (-7, 12), (1 << 23, 3)]
        {
            let a = mul(from_i64(n), inv(from_i64(d)));
            assert_eq!(rational(a), Some((n, d)), "{n}/{d}");
        }
        // A field element with no small fraction.
        assert_eq!(rational(0x1236_eb09_2265_b1f5), None);
    }

    #[test]
    fn echelon_membership() {
        let mut e = Echelon::new(3);
        assert!(e.insert(&mut [1, 1, 0]));
        assert!(e.insert(&mut [0, 1, 1]));
        assert!(e.contains(&mut [1, 2, 1]));
        assert!(!e.contains(&mut [1, 0, 0]));
        assert!(!e.insert(&mut [2, 3, 1]));
        assert_eq!(e.rank(), 2);
    }
}
