//! The whole catalogue placed as if every item were new: each item's title and description (its
//! genres when it has none) through the student encoder, as the cold-start box places a new
//! item, against the REP vectors the rankers read. How close the placement lands (cosine), whether
//! the item finds itself among the nearest, and how many of its REP neighbours the placement
//! keeps. The page's run (on WebGPU or the CPU) and `reaseq experiment --cold-catalogue` are
//! measured by [`ColdCatalogue::new`].

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::knowledge::neighbours::{dot, item_neighbours, nearest};
use crate::metrics::bootstrap::MeanInterval;

use crate::knowledge::student::StudentEncoder;

/// The text the student places for item `i`: what the cold-start box would be given for it.
pub fn item_text(ds: &Dataset, i: usize) -> String {
    let item = &ds.items[i];
    let description = match &item.description {
        Some(d) if !d.trim().is_empty() => d.trim().to_owned(),
        _ => item
            .genres
            .iter()
            .map(|&g| ds.genres.name(g))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{}. {description}", item.display_title())
}

/// Every item's text, in item order.
pub fn catalogue_texts(ds: &Dataset) -> Vec<String> {
    (0..ds.num_items()).map(|i| item_text(ds, i)).collect()
}

/// The CPU path: the student's vector of every text.
pub fn embed_all(student: &StudentEncoder, texts: &[String]) -> Vec<Vec<f32>> {
    texts.iter().map(|t| student.embed(t)).collect()
}

/// How the catalogue lands when placed as new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdCatalogue {
    pub format_version: u32,
    pub dataset: String,
    pub items: usize,
    /// The neighbourhood size.
    pub k: usize,
    /// Cosine of each placement with the item's own REP vector.
    pub cosine: MeanInterval,
    /// Share of items among the `k` nearest of their own placement.
    pub self_hit: MeanInterval,
    /// Share of an item's `k` REP neighbours that are among its placement's `k` nearest
    /// (the item itself left out of both).
    pub overlap: MeanInterval,
    pub replicates: usize,
}

impl Artifact for ColdCatalogue {
    const KIND: &'static str = "catalogue placed as new";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq experiment --cold-catalogue";
}

/// Neighbours compared, and the bootstrap's resamples and seed.
pub const K: usize = 10;
const REPLICATES: usize = 1000;

impl ColdCatalogue {
    /// The measures of `placed` (one student vector per item, in item order) against `rep`,
    /// the REP vectors the rankers read (`ColdSpace::rep`).
    pub fn new(dataset: &str, rep: &[Vec<f32>], placed: &[Vec<f32>]) -> Result<Self> {
        if placed.len() != rep.len() {
            return Err(Error::Model(format!(
                "{} placements for {} items",
                placed.len(),
                rep.len()
            )));
        }
        let (mut cosine, mut self_hit, mut overlap) = (Vec::new(), Vec::new(), Vec::new());
        for (i, p) in placed.iter().enumerate() {
            let norm = (dot(&rep[i], &rep[i]) * dot(p, p)).sqrt();
            if !norm.is_finite() {
                return Err(Error::Model(format!("item {i}'s placement is not finite")));
            }
            cosine.push(if norm > 0.0 {
                f64::from(dot(&rep[i], p) / norm)
            } else {
                0.0
            });
            let near = nearest(rep, p, K, None);
            self_hit.push(f64::from(u8::from(near.iter().any(|&(j, _)| j == i))));
            let theirs = item_neighbours(rep, i, K)?;
            let mine = nearest(rep, p, K, Some(i));
            let kept = theirs
                .iter()
                .filter(|(j, _)| mine.iter().any(|(m, _)| m == j))
                .count();
            overlap.push(kept as f64 / theirs.len().max(1) as f64);
        }
        let mean = |v: &[f64]| MeanInterval::of(v, REPLICATES, 0);
        Ok(Self {
            format_version: Self::FORMAT_VERSION,
            dataset: dataset.to_owned(),
            items: placed.len(),
            k: K,
            cosine: mean(&cosine)?,
            self_hit: mean(&self_hit)?,
            overlap: mean(&overlap)?,
            replicates: REPLICATES,
        })
    }

    /// The largest |self − other| over every figure (mean and interval ends).
    pub fn largest_difference(&self, other: &Self) -> f64 {
        [
            (self.cosine, other.cosine),
            (self.self_hit, other.self_hit),
            (self.overlap, other.overlap),
        ]
        .iter()
        .flat_map(|(a, b)| {
            [
                (a.mean - b.mean).abs(),
                (a.ci[0] - b.ci[0]).abs(),
                (a.ci[1] - b.ci[1]).abs(),
            ]
        })
        .fold(0.0, f64::max)
    }
}

/// The largest |a − b| over every component of two sets of vectors (None when their shapes
/// differ).
pub fn largest_vector_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> Option<f32> {
    if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.len() != y.len()) {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
            .fold(0.0, f32::max),
    )
}

impl std::fmt::Display for ColdCatalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: every one of {} items placed as new by the student (title and description), against the rankers' REP vectors; 95% item-bootstrap intervals",
            self.dataset, self.items
        )?;
        for (name, m) in [
            ("cosine with its own REP vector".to_owned(), self.cosine),
            (
                format!("finds itself among its {} nearest", self.k),
                self.self_hit,
            ),
            (format!("REP neighbours kept (of {})", self.k), self.overlap),
        ] {
            writeln!(f, "{name}: {:.4} [{:.4}, {:.4}]", m.mean, m.ci[0], m.ci[1])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::student::{StudentConfig, StudentEncoder};

    #[test]
    fn placements_equal_to_the_rep_vectors_score_perfectly_and_others_less() {
        let cfg = StudentConfig {
            buckets: 64,
            hidden: 4,
            dim: 3,
        };
        let student = StudentEncoder::init(cfg, 1);
        let rep: Vec<Vec<f32>> = (0..12)
            .map(|i| {
                let v = [(i as f32).cos(), (i as f32).sin(), 0.3 * i as f32];
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter().map(|x| x / n).collect()
            })
            .collect();
        let same = ColdCatalogue::new("t", &rep, &rep).unwrap();
        assert!((same.cosine.mean - 1.0).abs() < 1e-6);
        assert_eq!(same.self_hit.mean, 1.0);
        assert_eq!(same.overlap.mean, 1.0);
        let texts: Vec<String> = (0..12).map(|i| format!("item {i}")).collect();
        let placed = embed_all(&student, &texts);
        let other = ColdCatalogue::new("t", &rep, &placed).unwrap();
        assert!(other.cosine.mean < 1.0);
        assert!(same.largest_difference(&other) > 0.0);
        assert_eq!(largest_vector_difference(&rep, &rep), Some(0.0));
        assert!(ColdCatalogue::new("t", &rep, &placed[..3]).is_err());
    }
}
