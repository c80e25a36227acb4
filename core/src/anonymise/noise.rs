//! Exact discrete noise: Bernoulli(exp(-γ)), discrete Laplace and discrete Gaussian samplers
//! following Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
//! (NeurIPS 2020), Algorithms 1-3.
//!
//! Only integer arithmetic on exact rationals and uniform integers from the random source: no
//! floating point is used to sample, so the floating-point attacks on textbook Laplace
//! (Mironov 2012) do not apply.

use rand_core::RngCore;

/// A uniform integer in `0..n` (n > 0), by rejection so that no value is favoured.
pub fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, n: u128) -> u128 {
    assert!(n > 0, "uniform_below(0)");
    let limit = u128::MAX - u128::MAX % n;
    loop {
        let x = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        if x < limit {
            return x % n;
        }
    }
}

/// True with probability `num / den` (0 <= num <= den, den > 0).
pub fn bernoulli<R: RngCore + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    uniform_below(rng, den) < num
}

/// True with probability exp(-num/den), for num/den in [0, 1] (Algorithm 1).
fn bernoulli_exp_minus_at_most_one<R: RngCore + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    let mut k: u128 = 1;
    // Past u128 the chance of continuing is below 2^-128: stop there.
    while let Some(d) = den.checked_mul(k) {
        if !bernoulli(rng, num, d) {
            break;
        }
        k += 1;
    }
    k % 2 == 1
}

/// True with probability exp(-num/den), for any num/den >= 0 (Algorithm 1, extended).
pub fn bernoulli_exp_minus<R: RngCore + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    let whole = num / den;
    for _ in 0..whole {
        if !bernoulli_exp_minus_at_most_one(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_minus_at_most_one(rng, num % den, den)
}

/// A sample of the discrete Laplace distribution with scale t/s: P(y) ∝ exp(-|y|·s/t)
/// (Algorithm 2). t, s > 0.
pub fn discrete_laplace<R: RngCore + ?Sized>(rng: &mut R, t: u128, s: u128) -> i128 {
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp_minus(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_minus(rng, 1, 1) {
            v += 1;
        }
        let x = u + t * v;
        let y = (x / s) as i128;
        let negative = bernoulli(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        return if negative { -y } else { y };
    }
}

/// Why a discrete Gaussian cannot be sampled exactly in 128-bit arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "noise scale sigma^2 = {num}/{den} is outside what is sampled exactly (sigma at most {MAX_SIGMA})"
)]
pub struct ScaleError {
    /// Numerator of sigma squared.
    pub num: u128,
    /// Denominator of sigma squared.
    pub den: u128,
}

/// Largest standard deviation the Gaussian sampler accepts.
pub const MAX_SIGMA: u128 = 100_000;

/// Checks that sigma² = num/den can be sampled exactly, returning it in lowest terms.
pub fn gaussian_scale(num: u128, den: u128) -> Result<(u128, u128), ScaleError> {
    let g = gcd(num, den);
    let (num, den) = (num / g.max(1), den / g.max(1));
    if den == 0 || num == 0 || num / den >= MAX_SIGMA * MAX_SIGMA || den > 4_000_000 {
        return Err(ScaleError { num, den });
    }
    Ok((num, den))
}

/// A sample of the discrete Gaussian with variance parameter sigma² = num/den (Algorithm 3),
/// for a scale accepted by `gaussian_scale`.
pub fn discrete_gaussian<R: RngCore + ?Sized>(rng: &mut R, num: u128, den: u128) -> i128 {
    let t = (num / den).isqrt() + 1;
    loop {
        let y = discrete_laplace(rng, t, 1);
        let abs = y.unsigned_abs();
        // Beyond 64 t the acceptance probability is below exp(-1900): rejecting there without
        // computing it keeps every product below 2^128 and changes nothing measurable.
        if abs > 64 * t {
            continue;
        }
        // gamma = (|y| - sigma²/t)² / (2 sigma²) = (|y|·den·t - num)² / (2·num·den·t²).
        let lhs = abs * den * t;
        let diff = lhs.abs_diff(num);
        let g_num = diff * diff;
        let g_den = 2 * num * den * t * t;
        if bernoulli_exp_minus(rng, g_num, g_den) {
            return y;
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests;
