//! Training the ranker natively with candle: BCE, AdamW, early stopping on validation GAUC,
//! seeded. The candle graph mirrors [`Ranker::score`] tensor for tensor.

use candle_core::{Device, Tensor};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::examples::RankerExample;
use super::model::{Ranker, RankerConfig, TargetAttention};
use super::model::{GENRE_EMB, ID_EMB, ITEM_GENRES, REP_TABLE, USER_EMB};
use crate::nn::candle::{model_error, Params};

fn cerr(e: candle_core::Error) -> Error {
    model_error("ranker training")(e)
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankerTrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Epochs without a better validation GAUC before training stops.
    pub patience: usize,
    pub seed: u64,
}

impl Default for RankerTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 12,
            batch: 256,
            lr: 3e-3,
            weight_decay: 1e-4,
            patience: 2,
            seed: 0,
        }
    }
}

/// The candle twin of [`Ranker`]: learned tensors are variables, fixed inputs constants, by
/// the plain model's names.
struct Graph {
    cfg: RankerConfig,
    params: Params,
}

impl Graph {
    fn new(model: &Ranker, device: &Device) -> Result<Self> {
        Ok(Self {
            cfg: model.config,
            params: Params::new(model.tensors(), RankerConfig::is_input, device)?,
        })
    }

    fn export(&self) -> Result<Ranker> {
        Ranker::from_tensors(self.cfg, self.params.tensors()?)
    }

    /// Item representations `(items, item_dim)`.
    fn table(&self) -> candle_core::Result<Tensor> {
        let p = &self.params;
        let genres = p.get(ITEM_GENRES).matmul(p.get(GENRE_EMB))?;
        let mut parts = vec![p.get(ID_EMB).clone(), genres];
        if self.cfg.variant.uses_rep() {
            parts.push(p.linear(&self.cfg.rep_projection(), p.get(REP_TABLE))?);
        }
        Tensor::cat(&parts, 1)
    }

    /// Pooled `(b, d)` of one target-attention block over `seq` `(b, l)` with `mask` `(b, l)`.
    fn attend(
        &self,
        unit: &TargetAttention,
        table: &Tensor,
        v: &Tensor,
        (seq, mask, lens): (&Tensor, &Tensor, &Tensor),
    ) -> candle_core::Result<Tensor> {
        let (b, l) = seq.dims2()?;
        let d = self.cfg.item_dim();
        let e = table
            .index_select(&seq.flatten_all()?, 0)?
            .reshape((b, l, d))?;
        let vb = v.unsqueeze(1)?.broadcast_as((b, l, d))?;
        let x = Tensor::cat(&[&e, &vb, &(&e - &vb)?, &(&e * &vb)?], 2)?.reshape((b * l, 4 * d))?;
        let hdn = self.params.linear(&unit.hidden, &x)?.relu()?;
        let s = self.params.linear(&unit.score, &hdn)?.reshape((b, l))?;
        let a = (candle_nn::ops::sigmoid(&s)? * mask)?;
        a.unsqueeze(2)?
            .broadcast_mul(&e)?
            .sum(1)?
            .broadcast_div(lens)
    }

    /// Logits `(b,)`.
    fn forward(&self, batch: &Batch) -> candle_core::Result<Tensor> {
        let table = self.table()?;
        let v = table.index_select(&batch.targets, 0)?;
        let blocks = self.cfg.blocks();
        let hist = (&batch.hist, &batch.hist_mask, &batch.hist_len);
        let p = self.attend(&blocks[0], &table, &v, hist)?;
        let mut parts = vec![v.clone(), p.clone(), (&p * &v)?];
        if let Some(unit) = blocks.get(1) {
            let gbr = (&batch.gbr, &batch.gbr_mask, &batch.gbr_len);
            let g = self.attend(unit, &table, &v, gbr)?;
            parts.push(g.clone());
            parts.push((&g * &v)?);
        }
        if self.cfg.uses_user() {
            parts.push(self.params.get(USER_EMB).index_select(&batch.users, 0)?);
        }
        let x = Tensor::cat(&parts, 1)?;
        let [mlp1, mlp2, out] = self.cfg.head();
        let h = self.params.linear(&mlp1, &x)?.relu()?;
        let h = self.params.linear(&mlp2, &h)?.relu()?;
        self.params.linear(&out, &h)?.squeeze(1)
    }
}

struct Batch {
    targets: Tensor,
    users: Tensor,
    labels: Tensor,
    hist: Tensor,
    hist_mask: Tensor,
    /// Sequence lengths (at least 1, so an empty sequence pools to zeros), `(b, 1)`.
    hist_len: Tensor,
    gbr: Tensor,
    gbr_mask: Tensor,
    gbr_len: Tensor,
}

/// Pads `seqs` to their longest (at least 1) with item 0 and a zero mask.
fn padded(seqs: &[&[u32]], device: &Device) -> Result<(Tensor, Tensor, Tensor)> {
    let b = seqs.len();
    let l = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let mut ids = vec![0u32; b * l];
    let mut mask = vec![0f32; b * l];
    let mut lens = vec![1f32; b];
    for (r, s) in seqs.iter().enumerate() {
        ids[r * l..r * l + s.len()].copy_from_slice(s);
        mask[r * l..r * l + s.len()]
            .iter_mut()
            .for_each(|m| *m = 1.0);
        lens[r] = s.len().max(1) as f32;
    }
    Ok((
        Tensor::from_vec(ids, (b, l), device).map_err(cerr)?,
        Tensor::from_vec(mask, (b, l), device).map_err(cerr)?,
        Tensor::from_vec(lens, (b, 1), device).map_err(cerr)?,
    ))
}

fn batch(
    cfg: &RankerConfig,
    examples: &[&RankerExample],
    gbr: &[Vec<u32>],
    device: &Device,
) -> Result<Batch> {
    let hist: Vec<&[u32]> = examples
        .iter()
        .map(|e| &e.history[e.history.len().saturating_sub(cfg.max_history)..])
        .collect();
    let inferred: Vec<&[u32]> = examples
        .iter()
        .map(|e| {
            let g = e.gbr(gbr);
            &g[..g.len().min(cfg.max_gbr)]
        })
        .collect();
    let (hist, hist_mask, hist_len) = padded(&hist, device)?;
    let (gbr, gbr_mask, gbr_len) = padded(&inferred, device)?;
    let b = examples.len();
    Ok(Batch {
        targets: Tensor::from_vec(examples.iter().map(|e| e.target).collect(), b, device)
            .map_err(cerr)?,
        users: Tensor::from_vec(examples.iter().map(|e| e.user).collect(), b, device)
            .map_err(cerr)?,
        labels: Tensor::from_vec(
            examples
                .iter()
                .map(|e| f32::from(u8::from(e.label)))
                .collect(),
            b,
            device,
        )
        .map_err(cerr)?,
        hist,
        hist_mask,
        hist_len,
        gbr,
        gbr_mask,
        gbr_len,
    })
}

/// Per epoch: mean training loss and validation GAUC.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankerEpoch {
    pub epoch: usize,
    pub loss: f64,
    pub valid_gauc: f64,
}

/// Probability scores of `examples` by the plain model.
pub fn score_all(model: &Ranker, examples: &[RankerExample], gbr: &[Vec<u32>]) -> Result<Vec<f64>> {
    examples
        .iter()
        .map(|e| model.score(&e.input(gbr)).map(|s| f64::from(s.probability)))
        .collect()
}

/// Trains from `init` on `train`; after every epoch scores `valid` and keeps the model with the
/// best validation GAUC, stopping after `patience` epochs without a better one.
pub fn train_ranker(
    init: &Ranker,
    train: &[RankerExample],
    valid: &[RankerExample],
    gbr: &[Vec<u32>],
    cfg: &RankerTrainConfig,
    progress: &mut dyn FnMut(&RankerEpoch),
) -> Result<(Ranker, Vec<RankerEpoch>)> {
    if train.is_empty() || valid.is_empty() {
        return Err(Error::Config(
            "ranker training needs training and validation impressions".into(),
        ));
    }
    let device = Device::Cpu;
    let graph = Graph::new(init, &device)?;
    let mut opt =
        crate::optim::adamw("ranker", graph.params.trainable(), cfg.lr, cfg.weight_decay)?;
    let mut rng = SeededRng::new(cfg.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let valid_users: Vec<u32> = valid.iter().map(|e| e.user).collect();
    let valid_labels: Vec<bool> = valid.iter().map(|e| e.label).collect();
    let mut log = Vec::new();
    let mut best: Option<(f64, usize, Ranker)> = None;
    for epoch in 0..cfg.epochs {
        rng.shuffle(&mut order);
        let (mut total, mut count) = (0.0, 0usize);
        for chunk in order.chunks(cfg.batch.max(1)) {
            let ex: Vec<&RankerExample> = chunk.iter().map(|&i| &train[i]).collect();
            let bt = batch(&graph.cfg, &ex, gbr, &device)?;
            let loss = graph
                .forward(&bt)
                .and_then(|logits| {
                    // BCE with logits: softplus(z) − y·z, computed stably.
                    let sp = (logits.abs()?.neg()?.exp()? + 1.0)?
                        .log()?
                        .add(&logits.relu()?)?;
                    (sp - (logits * &bt.labels)?)?.mean_all()
                })
                .map_err(cerr)?;
            let l = crate::optim::step("ranker", &mut opt, &loss, epoch)?;
            total += l * ex.len() as f64;
            count += ex.len();
        }
        let model = graph.export()?;
        let scores = score_all(&model, valid, gbr)?;
        let g = crate::metrics::gauc(&valid_users, &valid_labels, &scores)?;
        let report = RankerEpoch {
            epoch,
            loss: total / count.max(1) as f64,
            valid_gauc: g.value,
        };
        progress(&report);
        log.push(report);
        if best.as_ref().is_none_or(|b| g.value > b.0) {
            best = Some((g.value, epoch, model));
        }
        if best
            .as_ref()
            .is_some_and(|b| epoch >= b.1 + cfg.patience.max(1))
        {
            break;
        }
    }
    let (_, _, model) = best.ok_or_else(|| Error::Config("ranker training: no epoch".into()))?;
    Ok((model, log))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::protocol::Part;
    use crate::ranker::model::{ItemFeatures, Variant};

    fn features() -> ItemFeatures {
        ItemFeatures {
            genres: (0..8).map(|i| vec![i % 2]).collect(),
            num_genres: 2,
            rep: Some((0..8).map(|i| vec![(i % 2) as f32, 1.0]).collect()),
        }
    }

    fn cfg(v: Variant) -> RankerConfig {
        RankerConfig {
            id_dim: 4,
            genre_dim: 2,
            rep_proj: 2,
            att_hidden: 4,
            mlp: [6, 4],
            ..RankerConfig::small(v, 8, 2, 2)
        }
    }

    /// The candle graph and the plain model give the same logits, with and without a user
    /// embedding.
    #[test]
    fn candle_twin_matches_the_plain_score() {
        let gbr = vec![vec![5u32, 6], vec![]];
        let configs = Variant::ALL
            .map(cfg)
            .into_iter()
            .chain([cfg(Variant::Base).with_user_embedding(2)]);
        for c in configs {
            let v = c.variant;
            let m = Ranker::init(c, &features(), 3).unwrap();
            let g = Graph::new(&m, &Device::Cpu).unwrap();
            let ex = [
                RankerExample {
                    user: 0,
                    target: 1,
                    label: true,
                    part: Part::Train,
                    history: vec![2, 3, 4],
                    logged_before: 0,
                    gbr_slot: 0,
                },
                RankerExample {
                    user: 1,
                    target: 7,
                    label: false,
                    part: Part::Train,
                    history: vec![],
                    logged_before: 0,
                    gbr_slot: 1,
                },
            ];
            let refs: Vec<&RankerExample> = ex.iter().collect();
            let b = batch(&m.config, &refs, &gbr, &Device::Cpu).unwrap();
            let ours = g.forward(&b).unwrap().to_vec1::<f32>().unwrap();
            for (e, o) in ex.iter().zip(&ours) {
                let s = m.score(&e.input(&gbr)).unwrap();
                assert!((s.logit - o).abs() < 1e-5, "{v:?}: {} vs {o}", s.logit);
            }
        }
    }

    /// On a toy task (users like items of their history's parity) training finds the rule.
    #[test]
    fn training_learns_a_planted_rule() {
        let mut rng = SeededRng::new(1);
        let make = |rng: &mut SeededRng, n: usize, part: Part| -> Vec<RankerExample> {
            (0..n)
                .map(|k| {
                    let parity = (k % 2) as u32;
                    let target = rng.below(8) as u32;
                    RankerExample {
                        user: (k % 20) as u32,
                        target,
                        label: target % 2 == parity,
                        part,
                        history: (0..3).map(|_| 2 * rng.below(4) as u32 + parity).collect(),
                        logged_before: 0,
                        gbr_slot: 0,
                    }
                })
                .collect()
        };
        let train = make(&mut rng, 600, Part::Train);
        let valid = make(&mut rng, 200, Part::Valid);
        let init = Ranker::init(cfg(Variant::Base), &features(), 2).unwrap();
        let (m, log) = train_ranker(
            &init,
            &train,
            &valid,
            &[],
            &RankerTrainConfig {
                epochs: 15,
                batch: 32,
                lr: 1e-2,
                patience: 15,
                ..RankerTrainConfig::default()
            },
            &mut |_| {},
        )
        .unwrap();
        let best = log.iter().map(|e| e.valid_gauc).fold(0.0, f64::max);
        assert!(best > 0.95, "{log:?}");
        let scores = score_all(&m, &valid, &[]).unwrap();
        let users: Vec<u32> = valid.iter().map(|e| e.user).collect();
        let labels: Vec<bool> = valid.iter().map(|e| e.label).collect();
        assert_eq!(
            crate::metrics::gauc(&users, &labels, &scores)
                .unwrap()
                .value,
            best
        );
    }
}
