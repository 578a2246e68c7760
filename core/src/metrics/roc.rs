//! The ROC curve of a score column, for charts: (false positive rate, true positive rate) at
//! every distinct threshold, from the highest score down, thinned to at most `max_points`.

use crate::error::{Error, Result};

use super::{check_finite, check_lengths};

pub fn roc_curve(labels: &[bool], scores: &[f64], max_points: usize) -> Result<Vec<(f64, f64)>> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    check_finite(scores)?;
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(Error::metric("a ROC curve needs both classes"));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        // A point only where the threshold changes, so ties make one diagonal step.
        let last = k + 1 == order.len() || scores[order[k + 1]] != scores[i];
        if last {
            points.push((fp as f64 / neg as f64, tp as f64 / pos as f64));
        }
    }
    if points.len() > max_points.max(2) {
        let step = points.len() as f64 / (max_points.max(2) - 1) as f64;
        let mut thin: Vec<(f64, f64)> = (0..max_points.max(2) - 1)
            .map(|k| points[(k as f64 * step) as usize])
            .collect();
        thin.push(*points.last().unwrap_or(&(1.0, 1.0)));
        points = thin;
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_runs_from_origin_to_one_and_its_area_is_the_auc() {
        let labels = [false, true, true, false, true, false];
        let scores = [0.1, 0.9, 0.5, 0.5, 0.7, 0.2];
        let c = roc_curve(&labels, &scores, 100).unwrap();
        assert_eq!(c.first(), Some(&(0.0, 0.0)));
        assert_eq!(c.last(), Some(&(1.0, 1.0)));
        let area: f64 = c
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        let auc = crate::metrics::auc(&labels, &scores).unwrap();
        assert!((area - auc).abs() < 1e-12, "{area} vs {auc}");
        assert!(roc_curve(&[true, true], &[0.1, 0.2], 10).is_err());
        let many: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let l: Vec<bool> = (0..1000).map(|i| i % 3 == 0).collect();
        assert!(roc_curve(&l, &many, 50).unwrap().len() <= 50);
    }
}
