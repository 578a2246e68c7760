//! Binary cross-entropy of probability scores.

use crate::error::{Error, Result};

use super::check_lengths;

/// Clipping bound, scikit-learn's `np.finfo(float64).eps`.
const EPS: f64 = f64::EPSILON;

/// Mean of −[y ln p + (1 − y) ln(1 − p)], with p and 1 − p clipped to [ε, 1 − ε].
pub fn logloss(labels: &[bool], scores: &[f64]) -> Result<f64> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    if labels.is_empty() {
        return Err(Error::metric("logloss of no rows is undefined"));
    }
    if let Some(i) = scores
        .iter()
        .position(|p| !(p.is_finite() && (0.0..=1.0).contains(p)))
    {
        return Err(Error::metric(format!(
            "score of row {i} is {} (logloss needs probabilities in [0, 1])",
            scores[i]
        )));
    }
    // Neumaier summation keeps 10M terms accurate to ~1e-15.
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for (&y, &p) in labels.iter().zip(scores) {
        let q = if y { p } else { 1.0 - p };
        let term = -libm::log(q.clamp(EPS, 1.0 - EPS));
        let t = sum + term;
        comp += if sum.abs() >= term.abs() {
            (sum - t) + term
        } else {
            (term - t) + sum
        };
        sum = t;
    }
    Ok((sum + comp) / labels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_clipping() {
        let l = logloss(&[true, false], &[0.8, 0.4]).unwrap();
        assert!((l - (-(0.8f64.ln()) - (0.6f64.ln())) / 2.0).abs() < 1e-15);
        // p = 0 for a positive is clipped, not infinite.
        let l = logloss(&[true], &[0.0]).unwrap();
        assert!((l - -(f64::EPSILON.ln())).abs() < 1e-12);
    }

    #[test]
    fn bad_scores_are_errors() {
        assert!(logloss(&[true], &[1.5]).is_err());
        assert!(logloss(&[true], &[-0.1]).is_err());
        assert!(logloss(&[true], &[f64::NAN]).is_err());
        assert!(logloss(&[], &[]).is_err());
    }
}
