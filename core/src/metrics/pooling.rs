//! Pooling one paired difference over repeated runs, each of which drew everything that varies
//! afresh (the protocol's draw, the reasoner's cross-fit, the rankers' seeds).
//!
//! The estimate is the runs' mean difference. Its variance adds two parts: the runs' spread,
//! s² / K, for what the runs redraw; and the runs' mean within-run variance W (each run's user
//! bootstrap, read from its 95% interval), for the test users, which the runs of one dataset
//! share, so their sampling error does not average out over runs. The spread also holds part of
//! the users' error wherever the runs' models or rows differ, so the sum is conservative. The
//! interval and the two-sided p use Student's t with Welch–Satterthwaite degrees of freedom,
//! ν = SE⁴ / ((s²/K)² / (K − 1)), W counted as known (a bootstrap over a hundred users or more):
//! ν is K − 1 when the spread dominates and grows towards the normal when the runs agree.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::error::{Error, Result};

/// The normal quantile of a two-sided 95% interval: a run's standard error is its interval's
/// width over twice this.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A difference pooled over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PooledDifference {
    /// The runs' mean difference.
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
    /// Two-sided, against no difference.
    pub p_value: f64,
    /// The pooled standard error: √(s² / K + mean within-run variance).
    pub se: f64,
    /// The runs' sample standard deviation, s.
    pub between_sd: f64,
    /// The runs' mean within-run standard error (root of the mean variance).
    pub within_se: f64,
    /// Welch–Satterthwaite degrees of freedom of the t reference (infinite: the normal).
    pub df: f64,
}

/// Pools `differences` (one per run) with their runs' 95% intervals `intervals`, at 95%.
/// Needs two runs or more (one run has no spread to read).
pub fn pool_runs(differences: &[f64], intervals: &[[f64; 2]]) -> Result<PooledDifference> {
    let k = differences.len();
    if k < 2 || intervals.len() != k {
        return Err(Error::metric(format!(
            "pooling needs two runs or more, each with its interval ({k} differences, {} intervals)",
            intervals.len()
        )));
    }
    if differences
        .iter()
        .chain(intervals.iter().flatten())
        .any(|x| !x.is_finite())
    {
        return Err(Error::metric(
            "a run's difference or interval is not finite",
        ));
    }
    let n = k as f64;
    let estimate = differences.iter().sum::<f64>() / n;
    let spread = differences
        .iter()
        .map(|d| (d - estimate) * (d - estimate))
        .sum::<f64>()
        / (n - 1.0);
    let within = intervals
        .iter()
        .map(|[lo, hi]| ((hi - lo) / (2.0 * Z_95)).powi(2))
        .sum::<f64>()
        / n;
    let between = spread / n;
    let se = (between + within).sqrt();
    let df = if between > 0.0 {
        se.powi(4) / (between * between / (n - 1.0))
    } else {
        f64::INFINITY
    };
    // Student's t on `df`; the normal beyond a million (the two agree to six digits there).
    let (q, below) = if df > 1e6 {
        let z = Normal::standard();
        (z.inverse_cdf(0.975), z.cdf(-(estimate / se).abs()))
    } else {
        let t = StudentsT::new(0.0, 1.0, df).map_err(|e| Error::metric(e.to_string()))?;
        (t.inverse_cdf(0.975), t.cdf(-(estimate / se).abs()))
    };
    let p_value = if se > 0.0 {
        (2.0 * below).min(1.0)
    } else if estimate == 0.0 {
        1.0
    } else {
        0.0
    };
    Ok(PooledDifference {
        estimate,
        lower: estimate - q * se,
        upper: estimate + q * se,
        p_value,
        se,
        between_sd: spread.sqrt(),
        within_se: within.sqrt(),
        df,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_adds_the_spread_to_the_within_run_variance() {
        // Three runs, each ±0.01 (se 0.01 / Z): s² = 1e-4, so se² = 1e-4 / 3 + (0.01 / Z)².
        let p = pool_runs(
            &[0.01, 0.02, 0.03],
            &[[0.0, 0.02], [0.01, 0.03], [0.02, 0.04]],
        )
        .unwrap();
        let between = 1e-4 / 3.0;
        let want = (between + (0.01 / Z_95).powi(2)).sqrt();
        assert!((p.estimate - 0.02).abs() < 1e-12);
        assert!((p.se - want).abs() < 1e-12, "{p:?}");
        assert!((p.between_sd - 0.01).abs() < 1e-12);
        // Welch–Satterthwaite: se⁴ / (between² / 2) ≈ 6.34 degrees of freedom.
        let df = want.powi(4) / (between * between / 2.0);
        assert!(
            (p.df - df).abs() < 1e-9 && p.df > 6.0 && p.df < 7.0,
            "{p:?}"
        );
        // The t quantile on ~6.3 df (2.42) lies between the normal's and t on 2 df's (4.30).
        let half = (p.upper - p.estimate) / want;
        assert!(half > 2.40 && half < 2.45, "{half}");
        assert!((p.estimate - p.lower - (p.upper - p.estimate)).abs() < 1e-12);
        // t = 0.02 / se ≈ 2.60 on 6.3 df: two-sided p ≈ 0.04.
        assert!(p.p_value > 0.03 && p.p_value < 0.05, "{p:?}");
        assert!(p.lower > 0.0);
    }

    #[test]
    fn identical_runs_are_read_with_the_normal() {
        // No spread: only the users' error is left, known from the bootstrap, so the interval is
        // each run's own.
        let p = pool_runs(&[0.02; 3], &[[0.01, 0.03]; 3]).unwrap();
        assert!(p.df.is_infinite() && p.between_sd == 0.0);
        assert!(
            (p.lower - 0.01).abs() < 1e-9 && (p.upper - 0.03).abs() < 1e-9,
            "{p:?}"
        );
    }

    #[test]
    fn agreeing_precise_runs_give_a_small_p_and_one_run_is_refused() {
        let d = [0.05, 0.051, 0.049, 0.05, 0.05];
        let ci = [[0.049, 0.051]; 5];
        let p = pool_runs(&d, &ci).unwrap();
        assert!(p.p_value < 1e-4 && p.lower > 0.0, "{p:?}");
        // The mirror image mirrors the interval and keeps the p.
        let neg: Vec<f64> = d.iter().map(|x| -x).collect();
        let q = pool_runs(&neg, &[[-0.051, -0.049]; 5]).unwrap();
        assert!((q.p_value - p.p_value).abs() < 1e-12 && (q.upper + p.lower).abs() < 1e-12);
        assert!(pool_runs(&[0.1], &[[0.0, 0.2]]).is_err());
        assert!(pool_runs(&[0.1, f64::NAN], &[[0.0, 0.2]; 2]).is_err());
        assert!(pool_runs(&[0.1, 0.2], &[[0.0, 0.2]]).is_err());
    }
}
