//! Distillation of the teacher's knowledge vectors into the student encoder (native, candle):
//! the targets are the teacher vectors projected on their top principal directions; the student
//! learns to reproduce them from card text alone, with a cosine loss and AdamW.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::graph_embedding::symmetric_eigen;
use super::neighbours::{dot, nearest, normalise};
use super::student::{features, StudentConfig, StudentEncoder};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DistillConfig {
    pub steps: usize,
    pub learning_rate: f64,
    /// Decoupled (AdamW) weight decay: with ~1.5k items and ~265k weights it is what keeps the
    /// student from memorising the training cards.
    pub weight_decay: f64,
    /// Share of items held out to measure agreement.
    pub holdout: f64,
    pub seed: u64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        Self {
            steps: 300,
            learning_rate: 0.02,
            weight_decay: 1.0,
            holdout: 0.1,
            seed: 0,
        }
    }
}

/// How well the student matches the teacher.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agreement {
    /// Mean cosine between student and teacher vectors of held-out items.
    pub heldout_cosine: f64,
    pub train_cosine: f64,
    /// Mean share of a held-out item's 10 teacher neighbours that are among its 10 student
    /// neighbours (neighbours searched over all items).
    pub heldout_overlap_at_10: f64,
    pub heldout_items: usize,
}

fn err(e: candle_core::Error) -> Error {
    Error::Model(format!("distillation: {e}"))
}

/// Projections of `vectors` on their top `dim` principal directions (centred), unit length.
pub fn pca(vectors: &[Vec<f32>], dim: usize) -> Vec<Vec<f32>> {
    let n = vectors.len();
    let d = vectors.first().map_or(0, Vec::len);
    let mut mean = vec![0f64; d];
    for v in vectors {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += *x as f64 / n as f64;
        }
    }
    let mut cov = vec![0f64; d * d];
    for v in vectors {
        let c: Vec<f64> = v.iter().zip(&mean).map(|(x, m)| *x as f64 - m).collect();
        for i in 0..d {
            for j in i..d {
                cov[i * d + j] += c[i] * c[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    let (_, vecs) = symmetric_eigen(cov, d);
    let k = dim.min(d);
    vectors
        .iter()
        .map(|v| {
            let mut p: Vec<f32> = (0..k)
                .map(|c| {
                    (0..d)
                        .map(|i| (v[i] as f64 - mean[i]) * vecs[i * d + c])
                        .sum::<f64>() as f32
                })
                .collect();
            normalise(&mut p);
            p
        })
        .collect()
}

/// Dense bag-of-features matrix (rows × buckets), each row the mean over its features.
fn bag(texts: &[&String], buckets: usize) -> Vec<f32> {
    let mut m = vec![0f32; texts.len() * buckets];
    for (r, t) in texts.iter().enumerate() {
        let f = features(t, buckets);
        for &b in &f {
            m[r * buckets + b as usize] += 1.0 / f.len() as f32;
        }
    }
    m
}

/// Trains a student on (text, unit target) pairs; returns it and its agreement with the targets.
pub fn distill(
    texts: &[String],
    targets: &[Vec<f32>],
    config: StudentConfig,
    cfg: &DistillConfig,
) -> Result<(StudentEncoder, Agreement)> {
    let n = texts.len();
    if n != targets.len() || n < 20 {
        return Err(Error::Config(format!(
            "distillation needs 20+ texts with one target each, got {n} and {}",
            targets.len()
        )));
    }
    if targets.iter().any(|t| t.len() != config.dim) {
        return Err(Error::Config(format!(
            "every target must have {} dims",
            config.dim
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    SeededRng::derive(cfg.seed, 37).shuffle(&mut order);
    let n_held = ((n as f64 * cfg.holdout).round() as usize).clamp(1, n - 1);
    let (held, train) = order.split_at(n_held);

    let dev = Device::Cpu;
    let init = StudentEncoder::init(config, cfg.seed);
    let StudentConfig {
        buckets,
        hidden,
        dim,
    } = config;
    let train_texts: Vec<&String> = train.iter().map(|&i| &texts[i]).collect();
    let x =
        Tensor::from_vec(bag(&train_texts, buckets), (train.len(), buckets), &dev).map_err(err)?;
    let y: Vec<f32> = train.iter().flat_map(|&i| targets[i].clone()).collect();
    let y = Tensor::from_vec(y, (train.len(), dim), &dev).map_err(err)?;
    let e = Var::from_vec(init.embedding.clone(), (buckets, hidden), &dev).map_err(err)?;
    let w = Var::from_vec(init.weight.clone(), (hidden, dim), &dev).map_err(err)?;
    let b = Var::from_vec(init.bias.clone(), dim, &dev).map_err(err)?;
    let mut opt = AdamW::new(
        vec![e.clone(), w.clone(), b.clone()],
        ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..ParamsAdamW::default()
        },
    )
    .map_err(err)?;
    let forward = || -> candle_core::Result<Tensor> {
        let h = x.matmul(e.as_tensor())?.tanh()?;
        let out = h.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
        let norm = out.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        out.broadcast_div(&norm)
    };
    for _ in 0..cfg.steps {
        let cos = (forward().map_err(err)? * &y)
            .and_then(|p| p.sum(1))
            .map_err(err)?;
        let loss = cos
            .mean_all()
            .and_then(|m| m.affine(-1.0, 1.0))
            .map_err(err)?;
        opt.backward_step(&loss).map_err(err)?;
    }
    let flat = |v: &Var| {
        v.as_tensor()
            .flatten_all()
            .and_then(|t| t.to_dtype(DType::F32))
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(err)
    };
    let student = StudentEncoder {
        config,
        embedding: flat(&e)?,
        weight: flat(&w)?,
        bias: flat(&b)?,
    };
    student.check()?;

    let embedded: Vec<Vec<f32>> = texts.iter().map(|t| student.embed(t)).collect();
    let mean_cos = |set: &[usize]| {
        set.iter()
            .map(|&i| dot(&embedded[i], &targets[i]) as f64)
            .sum::<f64>()
            / set.len() as f64
    };
    let overlap: f64 = held
        .iter()
        .map(|&i| {
            let teacher: Vec<usize> = nearest(targets, &targets[i], 10, Some(i))
                .into_iter()
                .map(|x| x.0)
                .collect();
            let student_nn = nearest(&embedded, &embedded[i], 10, Some(i));
            student_nn
                .iter()
                .filter(|(j, _)| teacher.contains(j))
                .count() as f64
                / 10.0
        })
        .sum::<f64>()
        / held.len() as f64;
    Ok((
        student,
        Agreement {
            heldout_cosine: mean_cos(held),
            train_cosine: mean_cos(train),
            heldout_overlap_at_10: overlap,
            heldout_items: held.len(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};
    use crate::knowledge::{build_cards, Agent, CatalogAgent, Critic};

    #[test]
    fn student_learns_targets_that_the_text_determines() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            users: 10,
            items: 200,
            min_events: 5,
            max_events: 20,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent)];
        let cards = build_cards(&w.dataset, &mut agents, &Critic).unwrap();
        let texts: Vec<String> = cards.iter().map(|c| c.text()).collect();
        // Target: a fixed random direction per latent genre (what a teacher would encode).
        let cfg = StudentConfig {
            buckets: 1024,
            hidden: 16,
            dim: 8,
        };
        let mut rng = SeededRng::new(5);
        let dirs: Vec<Vec<f32>> = (0..8)
            .map(|_| {
                let mut v: Vec<f32> = (0..8).map(|_| rng.gaussian() as f32).collect();
                normalise(&mut v);
                v
            })
            .collect();
        let targets: Vec<Vec<f32>> = w
            .truth
            .item_genre
            .iter()
            .map(|&g| dirs[g as usize].clone())
            .collect();
        let (student, agreement) = distill(
            &texts,
            &targets,
            cfg,
            &DistillConfig {
                steps: 150,
                ..DistillConfig::default()
            },
        )
        .unwrap();
        assert!(agreement.heldout_cosine > 0.9, "{agreement:?}");
        assert_eq!(student.embed(&texts[0]).len(), 8);
    }

    #[test]
    fn pca_keeps_the_main_direction() {
        let v: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![i as f32, 0.1 * (i % 3) as f32, 0.0])
            .collect();
        let p = pca(&v, 1);
        assert!(p
            .iter()
            .all(|x| x.len() == 1 && (x[0].abs() - 1.0).abs() < 1e-5 || x[0] == 0.0));
    }
}
