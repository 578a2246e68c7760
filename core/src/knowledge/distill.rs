//! Distillation of the teacher's knowledge vectors into the student encoder (native, candle):
//! the targets are the teacher vectors projected on their top principal directions; the student
//! learns to reproduce them from card text alone, with a cosine loss and AdamW.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::neighbours::{dot, nearest};
use super::student::{features, StudentConfig, StudentEncoder};

// The configuration, the agreement and the PCA are plain Rust (they also build for the
// browser); they are re-exported here where they used to live.
pub use super::student::{Agreement, DistillConfig};
pub use super::vectors::pca;

fn err(e: candle_core::Error) -> Error {
    crate::nn::candle::model_error("distillation")(e)
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
    use crate::knowledge::neighbours::normalise;
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
}
