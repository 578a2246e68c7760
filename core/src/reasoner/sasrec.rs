//! SASRec (Kang & McAuley, 2018), our implementation, as the standard sequential recommender
//! that gets the reasoner's own supervision: causal self-attention blocks read a user's logged
//! history, the last position's state scores every item through the shared item embeddings, and
//! training puts the user's off-log items first (softmax cross-entropy averaged over them).
//! Fitted fold by fold on the users the reasoner was trained on, it separates "a sequential
//! model with this supervision" from "the diffusion reasoner".

use candle_core::{DType, Device, Tensor, Var, D};

use crate::data::{Dataset, Protocol};
use crate::error::{Error, Result};
use crate::metrics::ranking::recall_at_k;
use crate::rng::SeededRng;

use super::baselines::{top_k, OffLogBaseline};
use super::history::{excluded, logged_history, off_log_items};

const WHAT: &str = "SASRec";
/// Added to the attention logits of keys a query may not see.
const MASKED: f32 = -1e9;
/// The streams of its seeded draws: initial weights, then the split and the batch order.
const INIT_STREAM: u64 = 0x5A5E_C000;
const ORDER_STREAM: u64 = 0x5A5E_C001;

/// Model and training settings; the defaults are SASRec's small configuration, not tuned here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SasRecConfig {
    pub dim: usize,
    pub blocks: usize,
    pub max_epochs: usize,
    /// Epochs without a better validation recall before training stops.
    pub patience: usize,
    pub batch: usize,
    pub lr: f64,
    /// Share of the training users held out to choose the epoch.
    pub valid_share: f64,
    pub k: usize,
    pub seed: u64,
}

impl Default for SasRecConfig {
    fn default() -> Self {
        Self {
            dim: 32,
            blocks: 2,
            max_epochs: 200,
            patience: 10,
            batch: 16,
            lr: 1e-3,
            valid_share: 0.1,
            k: 10,
            seed: 0,
        }
    }
}

fn cerr(e: candle_core::Error) -> Error {
    crate::nn::candle::model_error(WHAT)(e)
}

/// One attention block's weights: pre-norm causal self-attention and a ReLU feed-forward.
struct Block {
    ln1: (Var, Var),
    q: Var,
    k: Var,
    v: Var,
    ln2: (Var, Var),
    w1: (Var, Var),
    w2: (Var, Var),
}

/// A fitted SASRec: item embeddings (row 0 pads), positions, blocks and the final norm.
pub struct SasRec {
    items: Var,
    positions: Var,
    blocks: Vec<Block>,
    ln: (Var, Var),
    max_history: usize,
    num_items: usize,
}

/// One training user: the logged history (oldest first), the distinct off-log items to
/// recover, and the items a list for them may not hold (as the evaluation excludes them).
struct Example {
    history: Vec<u32>,
    targets: Vec<u32>,
    excluded: Vec<bool>,
}

fn examples(ds: &Dataset, protocol: &Protocol, users: &[u32], max_history: usize) -> Vec<Example> {
    users
        .iter()
        .map(|&u| {
            let mut targets = off_log_items(ds, protocol, u);
            targets.sort_unstable();
            targets.dedup();
            Example {
                history: logged_history(ds, protocol, u, max_history),
                targets,
                excluded: excluded(ds, protocol, u),
            }
        })
        .filter(|e| !e.history.is_empty() && !e.targets.is_empty())
        .collect()
}

fn layer_norm(x: &Tensor, (g, b): &(Var, Var)) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let xc = x.broadcast_sub(&mean)?;
    let std = (xc.sqr()?.mean_keepdim(D::Minus1)? + 1e-5)?.sqrt()?;
    xc.broadcast_div(&std)?
        .broadcast_mul(g.as_tensor())?
        .broadcast_add(b.as_tensor())
}

impl SasRec {
    fn init(num_items: usize, max_history: usize, cfg: &SasRecConfig) -> Result<Self> {
        let mut rng = SeededRng::derive(cfg.seed, INIT_STREAM);
        let d = cfg.dim;
        let mut var = |rows: usize, cols: usize, scale: f64| -> Result<Var> {
            let data: Vec<f32> = (0..rows * cols)
                .map(|_| ((rng.unit() * 2.0 - 1.0) * scale) as f32)
                .collect();
            Var::from_vec(data, (rows, cols), &Device::Cpu).map_err(cerr)
        };
        let glorot = (6.0 / (2 * d) as f64).sqrt();
        let items = var(num_items + 1, d, 0.1)?;
        let positions = var(max_history, d, 0.1)?;
        let mut blocks = Vec::with_capacity(cfg.blocks);
        for _ in 0..cfg.blocks {
            blocks.push(Block {
                ln1: (var(1, d, 0.0)?, var(1, d, 0.0)?),
                q: var(d, d, glorot)?,
                k: var(d, d, glorot)?,
                v: var(d, d, glorot)?,
                ln2: (var(1, d, 0.0)?, var(1, d, 0.0)?),
                w1: (var(d, d, glorot)?, var(1, d, 0.0)?),
                w2: (var(d, d, glorot)?, var(1, d, 0.0)?),
            });
        }
        let ln = (var(1, d, 0.0)?, var(1, d, 0.0)?);
        let model = Self {
            items,
            positions,
            blocks,
            ln,
            max_history,
            num_items,
        };
        // Norm gains start at one.
        for (g, _) in model
            .blocks
            .iter()
            .flat_map(|b| [&b.ln1, &b.ln2])
            .chain([&model.ln])
        {
            g.set(&Tensor::ones((1, d), DType::F32, &Device::Cpu).map_err(cerr)?)
                .map_err(cerr)?;
        }
        Ok(model)
    }

    fn vars(&self) -> Vec<Var> {
        let mut v = vec![self.items.clone(), self.positions.clone()];
        for b in &self.blocks {
            v.extend(
                [&b.ln1.0, &b.ln1.1, &b.q, &b.k, &b.v, &b.ln2.0, &b.ln2.1]
                    .into_iter()
                    .cloned(),
            );
            v.extend([&b.w1.0, &b.w1.1, &b.w2.0, &b.w2.1].into_iter().cloned());
        }
        v.extend([self.ln.0.clone(), self.ln.1.clone()]);
        v
    }

    /// The last position's state `(batch, dim)` for histories left-padded to `max_history`.
    fn encode(&self, histories: &[&[u32]]) -> candle_core::Result<Tensor> {
        let (b, l) = (histories.len(), self.max_history);
        let d = self.items.dims()[1];
        let mut ids = vec![0u32; b * l];
        let mut keep = vec![0f32; b * l];
        let mut mask = vec![MASKED; b * l * l];
        for (r, h) in histories.iter().enumerate() {
            let h = &h[h.len().saturating_sub(l)..];
            let start = l - h.len();
            for (p, &i) in h.iter().enumerate() {
                ids[r * l + start + p] = i + 1;
                keep[r * l + start + p] = 1.0;
            }
            for q in 0..l {
                // A query sees the real items up to itself; a padded query sees its own slot
                // (its output is zeroed below).
                for k in 0..=q {
                    if k >= start || k == q {
                        mask[(r * l + q) * l + k] = 0.0;
                    }
                }
            }
        }
        let dev = &Device::Cpu;
        let ids = Tensor::from_vec(ids, b * l, dev)?;
        let keep = Tensor::from_vec(keep, (b, l, 1), dev)?;
        let mask = Tensor::from_vec(mask, (b, l, l), dev)?;
        let scale = (d as f64).sqrt();
        let mut x = (self
            .items
            .as_tensor()
            .index_select(&ids, 0)?
            .reshape((b, l, d))?
            * scale)?
            .broadcast_add(self.positions.as_tensor())?
            .broadcast_mul(&keep)?;
        for blk in &self.blocks {
            let h = layer_norm(&x, &blk.ln1)?;
            let q = h.broadcast_matmul(blk.q.as_tensor())?;
            let k = h.broadcast_matmul(blk.k.as_tensor())?;
            let v = h.broadcast_matmul(blk.v.as_tensor())?;
            let att = ((q.matmul(&k.transpose(1, 2)?.contiguous()?)? / scale)? + &mask)?;
            let att = candle_nn::ops::softmax(&att, D::Minus1)?;
            x = (x + att.matmul(&v)?)?;
            let h = layer_norm(&x, &blk.ln2)?;
            let f = h
                .broadcast_matmul(blk.w1.0.as_tensor())?
                .broadcast_add(blk.w1.1.as_tensor())?
                .relu()?
                .broadcast_matmul(blk.w2.0.as_tensor())?
                .broadcast_add(blk.w2.1.as_tensor())?;
            x = (x + f)?.broadcast_mul(&keep)?;
        }
        layer_norm(&x.narrow(1, l - 1, 1)?.squeeze(1)?, &self.ln)
    }

    /// Every item's logit `(batch, num_items)`.
    fn logits(&self, histories: &[&[u32]]) -> candle_core::Result<Tensor> {
        let state = self.encode(histories)?;
        let items = self.items.as_tensor().narrow(0, 1, self.num_items)?;
        state.matmul(&items.t()?)
    }

    /// Fitted on `users`' logged histories and off-log items; the epoch is chosen on a seeded
    /// share of them (Recall@k), the others train. `None` when fewer than two of them have
    /// both.
    pub fn fit(
        ds: &Dataset,
        protocol: &Protocol,
        users: &[u32],
        max_history: usize,
        cfg: &SasRecConfig,
    ) -> Result<Option<Self>> {
        let mut all = examples(ds, protocol, users, max_history);
        // One user to train on and one to choose the epoch with, at the least.
        if all.len() < 2 {
            return Ok(None);
        }
        let mut rng = SeededRng::derive(cfg.seed, ORDER_STREAM);
        rng.shuffle(&mut all);
        let n_valid =
            ((all.len() as f64 * cfg.valid_share).round() as usize).clamp(1, all.len() - 1);
        let train = all.split_off(n_valid);
        let valid = all;
        let mut model = Self::init(ds.num_items(), max_history.max(1), cfg)?;
        let mut opt = crate::optim::adamw(WHAT, model.vars(), cfg.lr, 0.0)?;
        let mut order: Vec<usize> = (0..train.len()).collect();
        let (mut best, mut best_state, mut since) = (f64::NEG_INFINITY, None, 0);
        for epoch in 1..=cfg.max_epochs {
            rng.shuffle(&mut order);
            for chunk in order.chunks(cfg.batch.max(1)) {
                let batch: Vec<&Example> = chunk.iter().map(|&i| &train[i]).collect();
                let loss = model.loss(&batch).map_err(cerr)?;
                crate::optim::step(WHAT, &mut opt, &loss, epoch)?;
            }
            let recall = model.recall(&valid, cfg.k)?;
            if recall > best {
                (best, since) = (recall, 0);
                best_state = Some(model.snapshot()?);
            } else {
                since += 1;
                if since >= cfg.patience {
                    break;
                }
            }
        }
        if let Some(state) = best_state {
            model.restore(&state)?;
        }
        Ok(Some(model))
    }

    /// Softmax cross-entropy against each user's off-log items, averaged over them and users.
    fn loss(&self, batch: &[&Example]) -> candle_core::Result<Tensor> {
        let histories: Vec<&[u32]> = batch.iter().map(|e| e.history.as_slice()).collect();
        let logp = candle_nn::ops::log_softmax(&self.logits(&histories)?, D::Minus1)?;
        let mut target = vec![0f32; batch.len() * self.num_items];
        for (r, e) in batch.iter().enumerate() {
            let w = 1.0 / e.targets.len() as f32;
            for &t in &e.targets {
                target[r * self.num_items + t as usize] += w;
            }
        }
        let target = Tensor::from_vec(target, (batch.len(), self.num_items), &Device::Cpu)?;
        (logp * target)?.sum_all()? / -(batch.len() as f64)
    }

    /// Mean Recall@k of each example's list against its off-log items, as the evaluation
    /// measures it (`score_lists`).
    fn recall(&self, examples: &[Example], k: usize) -> Result<f64> {
        let mut total = 0.0;
        for e in examples {
            let top = top_k(&self.scores_of(&e.history)?, &e.excluded, k);
            total += recall_at_k(&top, &e.targets, k).unwrap_or(0.0);
        }
        Ok(total / examples.len().max(1) as f64)
    }

    fn scores_of(&self, history: &[u32]) -> Result<Vec<f64>> {
        if history.is_empty() {
            return Ok(vec![0.0; self.num_items]);
        }
        let row = self
            .logits(&[history])
            .and_then(|t| t.squeeze(0))
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(cerr)?;
        Ok(row.into_iter().map(f64::from).collect())
    }

    fn snapshot(&self) -> Result<Vec<Tensor>> {
        self.vars()
            .iter()
            .map(|v| v.as_tensor().copy().map_err(cerr))
            .collect()
    }

    fn restore(&mut self, state: &[Tensor]) -> Result<()> {
        for (v, t) in self.vars().iter().zip(state) {
            v.set(t).map_err(cerr)?;
        }
        Ok(())
    }
}

impl OffLogBaseline for SasRec {
    fn name(&self) -> &str {
        "SASRec (off-log supervision)"
    }

    /// A failed forward pass (it cannot fail on a fitted model's own shapes) scores nothing.
    fn scores(&self, history: &[u32]) -> Vec<f64> {
        self.scores_of(history)
            .unwrap_or_else(|_| vec![0.0; self.num_items])
    }
}

/// SASRec's top-k lists, each user's from the model fitted on the other folds' users (seeded
/// `seed + fold`, as the reasoner's folds are), empty for users outside `users`; `None` when a
/// fold leaves too few users to fit on.
pub fn sasrec_lists(
    ds: &Dataset,
    protocol: &Protocol,
    fold: &[usize],
    users: &[u32],
    max_history: usize,
    cfg: &SasRecConfig,
) -> Result<Option<Vec<Vec<u32>>>> {
    let folds = fold.iter().max().map_or(0, |f| f + 1);
    let mut lists = vec![Vec::new(); ds.num_users()];
    for f in 0..folds {
        let in_fold = |u: &u32| fold.get(*u as usize) == Some(&f);
        let others: Vec<u32> = (0..ds.num_users() as u32).filter(|u| !in_fold(u)).collect();
        let seeded = SasRecConfig {
            seed: cfg.seed.wrapping_add(f as u64),
            ..*cfg
        };
        let Some(model) = SasRec::fit(ds, protocol, &others, max_history, &seeded)? else {
            return Ok(None);
        };
        for &u in users.iter().filter(|u| in_fold(u)) {
            let history = logged_history(ds, protocol, u, max_history);
            let scores = model.scores_of(&history)?;
            lists[u as usize] = top_k(&scores, &excluded(ds, protocol, u), cfg.k);
        }
    }
    Ok(Some(lists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Prepared, WorldSpec};

    #[test]
    fn learns_the_planted_partner_genre_above_chance_and_is_seeded() {
        let data = Prepared::synthetic(WorldSpec::sized(200, 120, 5)).unwrap();
        let (ds, protocol) = (&data.ds, &data.protocol);
        let users: Vec<u32> = (0..ds.num_users() as u32).collect();
        let fold: Vec<usize> = (0..ds.num_users()).map(|u| u % 2).collect();
        let cfg = SasRecConfig {
            max_epochs: 40,
            ..SasRecConfig::default()
        };
        let lists = sasrec_lists(ds, protocol, &fold, &users, 30, &cfg)
            .unwrap()
            .unwrap();
        let again = sasrec_lists(ds, protocol, &fold, &users, 30, &cfg)
            .unwrap()
            .unwrap();
        assert_eq!(lists, again);
        // Each list holds k unlogged items, and it finds more off-log items than a random list
        // of the same length would on average.
        let (mut hits, mut expected) = (0.0, 0.0);
        for &u in &users {
            let list = &lists[u as usize];
            let off = off_log_items(ds, protocol, u);
            let free = excluded(ds, protocol, u).iter().filter(|&&x| !x).count();
            if off.is_empty() || free == 0 {
                continue;
            }
            assert_eq!(list.len(), cfg.k.min(free));
            assert!(list.iter().all(|&i| !excluded(ds, protocol, u)[i as usize]));
            hits += list.iter().filter(|i| off.contains(i)).count() as f64;
            expected += list.len() as f64 * off.len() as f64 / free as f64;
        }
        assert!(hits > 1.5 * expected, "{hits} hits, {expected} by chance");
    }

    #[test]
    fn a_fold_with_fewer_than_two_users_to_fit_on_gives_no_lists() {
        let data = Prepared::synthetic(WorldSpec::sized(40, 120, 2)).unwrap();
        let (ds, protocol) = (&data.ds, &data.protocol);
        let users: Vec<u32> = (0..ds.num_users() as u32).collect();
        // Every user but one in fold 0: fold 0's model has one user to fit on.
        let fold: Vec<usize> = (0..ds.num_users()).map(|u| usize::from(u == 0)).collect();
        let cfg = SasRecConfig {
            max_epochs: 1,
            ..SasRecConfig::default()
        };
        assert_eq!(
            sasrec_lists(ds, protocol, &fold, &users, 30, &cfg).unwrap(),
            None
        );
    }
}
