//! Tests for the exact samplers: empirical frequencies, means and variances against the
//! mechanisms' own, and a check that the sampling code holds no floating point.

use super::*;
use rand_core::OsRng;

const DRAWS: usize = 40_000;

fn moments(xs: &[i128]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[test]
fn bernoulli_exp_minus_matches_its_probability() {
    for (num, den) in [(1u128, 2u128), (3, 2), (0, 1), (5, 1)] {
        let hits = (0..DRAWS).filter(|_| bernoulli_exp_minus(&mut OsRng, num, den)).count();
        let p = (-(num as f64) / den as f64).exp();
        let got = hits as f64 / DRAWS as f64;
        let tol = 5.0 * (p * (1.0 - p) / DRAWS as f64).sqrt() + 1e-9;
        assert!((got - p).abs() <= tol, "exp(-{num}/{den}): {got} vs {p}");
    }
}

#[test]
fn discrete_laplace_has_the_mechanisms_mean_and_variance() {
    for (t, s) in [(3u128, 1u128), (7, 2), (50, 1)] {
        let xs: Vec<i128> = (0..DRAWS).map(|_| discrete_laplace(&mut OsRng, t, s)).collect();
        let (mean, var) = moments(&xs);
        // P(y) ∝ q^|y| with q = exp(-s/t): variance 2q / (1-q)².
        let q = (-(s as f64) / t as f64).exp();
        let expect = 2.0 * q / (1.0 - q).powi(2);
        let sd = expect.sqrt();
        assert!(mean.abs() < 5.0 * sd / (DRAWS as f64).sqrt(), "mean {mean} for scale {t}/{s}");
        assert!((var / expect - 1.0).abs() < 0.08, "variance {var} vs {expect} for scale {t}/{s}");
        // Symmetric, and integer-valued by construction.
        let pos = xs.iter().filter(|&&x| x > 0).count() as f64;
        let neg = xs.iter().filter(|&&x| x < 0).count() as f64;
        assert!((pos - neg).abs() < 5.0 * (pos + neg).sqrt());
    }
}

#[test]
fn discrete_gaussian_has_the_mechanisms_mean_and_variance() {
    for (num, den) in [(9u128, 1u128), (25, 4), (400, 1)] {
        let (num, den) = gaussian_scale(num, den).unwrap();
        let xs: Vec<i128> = (0..DRAWS).map(|_| discrete_gaussian(&mut OsRng, num, den)).collect();
        let (mean, var) = moments(&xs);
        // For sigma >= 1 the discrete Gaussian's variance equals sigma² to within 1e-8.
        let sigma2 = num as f64 / den as f64;
        assert!(
            mean.abs() < 5.0 * sigma2.sqrt() / (DRAWS as f64).sqrt(),
            "mean {mean} for {num}/{den}"
        );
        assert!((var / sigma2 - 1.0).abs() < 0.08, "variance {var} vs {sigma2}");
        // Tails: beyond 4 sigma is rare (about 6e-5).
        let far = xs.iter().filter(|&&x| (x as f64).abs() > 4.0 * sigma2.sqrt()).count();
        assert!(far < DRAWS / 1000, "{far} draws beyond 4 sigma");
    }
}

#[test]
fn scales_beyond_exact_sampling_are_refused() {
    assert!(gaussian_scale(MAX_SIGMA * MAX_SIGMA, 1).is_err());
    assert!(gaussian_scale(7, 5_000_001).is_err());
    assert!(gaussian_scale(0, 1).is_err());
    assert_eq!(gaussian_scale(50, 10).unwrap(), (5, 1));
}

#[test]
fn uniform_below_is_uniform() {
    let mut counts = [0usize; 7];
    for _ in 0..DRAWS {
        counts[uniform_below(&mut OsRng, 7) as usize] += 1;
    }
    let expect = DRAWS as f64 / 7.0;
    for c in counts {
        assert!((c as f64 - expect).abs() < 5.0 * expect.sqrt(), "{counts:?}");
    }
}

/// The sampler's own code (everything above its tests) uses no floating point at all.
#[test]
fn the_sampling_code_has_no_floating_point() {
    let source = include_str!("../noise.rs");
    let code = source.split("#[cfg(test)]").next().unwrap();
    for banned in ["f64", "f32", "as f", ".exp(", ".ln("] {
        assert!(!code.contains(banned), "noise.rs uses `{banned}`");
    }
}
