//! Training the mask predictor natively with candle: the LLaDA objective on (logged history →
//! off-log behaviour) examples, AdamW, seeded. The candle graph mirrors
//! [`DiffusionReasoner::forward`] tensor for tensor, so the trained weights load into the plain
//! Rust model that the sampler and the browser use.

use candle_core::{Device, Tensor, D};

use crate::data::protocol::Protocol;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::model::{prefix_rows, DiffusionReasoner, EncoderLayer, ReasonerConfig};
use super::model::{POS_EMB, TOK_EMB};
use super::vocab::{ItemVocab, HELD_OUT, PAD};
use crate::nn::candle::{model_error, Params};

fn cerr(e: candle_core::Error) -> Error {
    model_error("reasoner training")(e)
}

/// One supervised example: what the ranker may see, and behaviour it never logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub user: u32,
    /// Logged items before the test period, oldest first (the last `max_history`).
    pub history: Vec<u32>,
    /// Off-log items, at most `slots`.
    pub response: Vec<u32>,
    /// Logged items held out of the history, not off-log behaviour.
    pub self_supervised: bool,
}

pub use super::history::logged_history;
use super::history::off_log_items;

/// Examples: the off-log items of `users` in windows of `slots`, plus `augment`
/// self-supervised examples per user of `self_supervised` in which random logged items are held
/// out of the history and become the response (under the random mode these are distributed
/// exactly like off-log behaviour, and there are many more of them). Self-supervised examples
/// read logged events only, so they may include users whose off-log behaviour must stay unseen.
#[allow(clippy::too_many_arguments)]
pub fn examples(
    ds: &Dataset,
    protocol: &Protocol,
    users: &[u32],
    self_supervised: &[u32],
    max_history: usize,
    slots: usize,
    augment: usize,
    seed: u64,
) -> Vec<Example> {
    let mut out = Vec::new();
    let mut rng = SeededRng::derive(seed, 31);
    for &u in users {
        let history = logged_history(ds, protocol, u, max_history);
        if history.is_empty() {
            continue;
        }
        let off = off_log_items(ds, protocol, u);
        for w in off.chunks(slots.max(1)) {
            out.push(Example {
                user: u,
                history: history.clone(),
                response: w.to_vec(),
                self_supervised: false,
            });
        }
    }
    for &u in self_supervised {
        let full = logged_history(ds, protocol, u, usize::MAX);
        if full.len() < slots + 2 {
            continue;
        }
        for _ in 0..augment {
            let mut idx: Vec<usize> = (0..full.len()).collect();
            rng.shuffle(&mut idx);
            let held: Vec<usize> = idx[..slots.min(full.len() / 3).max(1)].to_vec();
            let mut keep = vec![true; full.len()];
            for &i in &held {
                keep[i] = false;
            }
            let mut h: Vec<u32> = full
                .iter()
                .zip(&keep)
                .filter(|(_, &k)| k)
                .map(|(&x, _)| x)
                .collect();
            if h.len() > max_history {
                h.drain(..h.len() - max_history);
            }
            out.push(Example {
                user: u,
                history: h,
                response: held.iter().map(|&i| full[i]).collect(),
                self_supervised: true,
            });
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Smallest masking probability (LLaDA's eps).
    pub eps: f64,
    /// Open self-supervised examples with [`HELD_OUT`] instead of BOS, so the model learns
    /// the held-out-logged-items task apart from the off-log one it is asked at inference
    /// (where the two distributions differ, the self-supervised examples no longer pull the
    /// off-log answer towards what the log already shows).
    pub task_prompt: bool,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch: 32,
            lr: 2e-3,
            weight_decay: 0.01,
            eps: 1e-3,
            task_prompt: false,
            seed: 0,
        }
    }
}

/// The candle twin of [`DiffusionReasoner`], its tensors by the same names.
struct Graph {
    cfg: ReasonerConfig,
    params: Params,
}

impl Graph {
    fn new(model: &DiffusionReasoner, device: &Device) -> Result<Self> {
        Ok(Self {
            cfg: model.config,
            params: Params::new(model.tensors(), |_| false, device)?,
        })
    }

    fn export(&self) -> Result<DiffusionReasoner> {
        DiffusionReasoner::from_tensors(self.cfg, self.params.tensors()?)
    }

    /// Logits `(rows, vocab)` of the flat token rows `rows` (row·n + position), or of all `b·n`
    /// tokens; `positions` `(b·n)` are the position-embedding rows (see [`prefix_rows`]) and
    /// `mask` the additive attention mask `(b, heads, n, n)`.
    fn forward(
        &self,
        tokens: &Tensor,
        positions: &Tensor,
        mask: &Tensor,
        rows: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, n) = tokens.dims2()?;
        let (c, p) = (self.cfg, &self.params);
        let d = c.dim;
        let tok = p.get(TOK_EMB);
        let x = tok
            .index_select(&tokens.flatten_all()?, 0)?
            .reshape((b, n, d))?;
        // Rows flattened to (b·n, d) so every linear layer is one 2-D matmul.
        let pos = p
            .get(POS_EMB)
            .index_select(positions, 0)?
            .reshape((b, n, d))?;
        let mut x = (x + pos)?.reshape((b * n, d))?;
        for l in 0..c.layers {
            x = self.layer(&c.layer(l), x, mask, (b, n))?;
        }
        // The loss reads the masked tokens only: the rest need no final norm or logits.
        let x = match rows {
            Some(r) => x.index_select(r, 0)?,
            None => x,
        };
        p.layer_norm_rows(&c.final_norm(), &x)?.matmul(&tok.t()?)
    }

    /// One encoder layer over rows `(b·n, d)`, as [`EncoderLayer`]'s plain forward.
    fn layer(
        &self,
        layer: &EncoderLayer,
        x: Tensor,
        mask: &Tensor,
        (b, n): (usize, usize),
    ) -> candle_core::Result<Tensor> {
        let p = &self.params;
        let (d, h) = (self.cfg.dim, self.cfg.heads);
        let hd = d / h;
        let xn = p.layer_norm_rows(&layer.ln1, &x)?;
        // Q, K and V from slices of the fused weight: slicing the (d, 3d) weight instead of the
        // (b·n, 3d) activations keeps the backward pass from padding and adding three copies
        // of the activations' gradient.
        let (w, bias) = (p.get(&layer.qkv.w), p.get(&layer.qkv.b));
        let ones = Tensor::ones((b * n, 1), xn.dtype(), xn.device())?;
        let split = |k: usize| -> candle_core::Result<Tensor> {
            let bias = ones.matmul(&bias.narrow(0, k * d, d)?.unsqueeze(0)?)?;
            (xn.matmul(&w.narrow(1, k * d, d)?.contiguous()?)? + bias)?
                .reshape((b, n, h, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        // The scale on q (n·hd values) rather than on the scores (n·n); with hd a power of 4
        // (16 here) it is a power of two, so both give the same bits.
        let q = (split(0)? * (1.0 / (hd as f64).sqrt()))?;
        let (k, v) = (split(1)?, split(2)?);
        let att = (q.matmul(&k.t()?)? + mask)?;
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att.matmul(&v)?.transpose(1, 2)?.reshape((b * n, d))?;
        let x = (x + p.linear_rows(&layer.out, &y)?)?;
        let xn = p.layer_norm_rows(&layer.ln2, &x)?;
        let f = crate::nn::candle::gelu(&p.linear_rows(&layer.ffn1, &xn)?)?;
        x + p.linear_rows(&layer.ffn2, &f)?
    }
}

/// A padded batch: tokens, attention mask, the masked response positions and their weights.
struct Batch {
    tokens: Tensor,
    /// Position-embedding row of every token.
    pos_rows: Tensor,
    mask: Tensor,
    /// Flat indices (row·n + position) of masked response tokens, their targets, and 1/(p·len).
    positions: Tensor,
    targets: Tensor,
    weights: Tensor,
    /// 0 on the codes of each masked position's level, a large negative number elsewhere.
    outside: Tensor,
    rows: usize,
}

fn batch(
    vocab: &ItemVocab,
    examples: &[&Example],
    (max_len, heads): (usize, usize),
    eps: f64,
    task_prompt: bool,
    rng: &mut SeededRng,
    device: &Device,
) -> Result<Option<Batch>> {
    let levels = vocab.levels();
    let seqs: Vec<(Vec<u32>, usize)> = examples
        .iter()
        .map(|e| {
            let mut t = vocab.prompt(&e.history, e.response.len());
            if task_prompt && e.self_supervised {
                t[0] = HELD_OUT;
            }
            let prefix = t.len() - e.response.len() * levels;
            for (s, &item) in e.response.iter().enumerate() {
                t[prefix + s * levels..prefix + (s + 1) * levels]
                    .copy_from_slice(vocab.tokens(item));
            }
            (t, prefix)
        })
        .collect();
    let n = seqs.iter().map(|s| s.0.len()).max().unwrap_or(0);
    let b = seqs.len();
    let mut tokens = vec![PAD; b * n];
    let mut pos_rows = vec![0u32; b * n];
    let mut mask = vec![0f32; b * heads * n * n];
    let (mut positions, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    // The cross-entropy is over the level's codes, the choice the sampler makes: per level, 0
    // on its codes and a large negative number elsewhere, added to a masked position's logits.
    let level_bias: Vec<Vec<f32>> = (0..levels)
        .map(|l| {
            let allowed = vocab.level_tokens(l);
            (0..vocab.size() as u32)
                .map(|x| if allowed.contains(&x) { 0.0 } else { -1e9 })
                .collect()
        })
        .collect();
    let mut outside = Vec::new();
    for (r, (seq, prefix)) in seqs.iter().enumerate() {
        let len = seq.len();
        // LLaDA: one masking ratio per example, each response token masked with it.
        let p = (1.0 - eps) * rng.unit() + eps;
        let resp = len - prefix;
        if len > max_len {
            return Err(Error::Config(format!(
                "reasoner training: an example of {len} tokens, the model takes {max_len}"
            )));
        }
        let first = prefix_rows(max_len, *prefix);
        for i in 0..len {
            pos_rows[r * n + i] = if i < *prefix { first + i } else { i - prefix } as u32;
        }
        for (i, &t) in seq.iter().enumerate() {
            let masked = i >= *prefix && rng.chance(p);
            tokens[r * n + i] = t;
            if masked {
                let level = (i - prefix) % levels;
                tokens[r * n + i] = vocab.mask(level);
                positions.push((r * n + i) as u32);
                targets.push(t);
                weights.push((1.0 / (p * resp as f64)) as f32);
                outside.extend_from_slice(&level_bias[level]);
            }
        }
        // Every head reads the same mask: repeated here, once, so the attention adds it
        // contiguously (candle's broadcast add walks a strided index element by element).
        let rows = &mut mask[r * heads * n * n..(r + 1) * heads * n * n];
        for i in 0..n {
            let keys = if i < *prefix { *prefix } else { len };
            rows[i * n + keys..(i + 1) * n].fill(f32::NEG_INFINITY);
        }
        let (head, rest) = rows.split_at_mut(n * n);
        for h in rest.chunks_mut(n * n) {
            h.copy_from_slice(head);
        }
    }
    if positions.is_empty() {
        return Ok(None);
    }
    let m = positions.len();
    Ok(Some(Batch {
        tokens: Tensor::from_vec(tokens, (b, n), device).map_err(cerr)?,
        pos_rows: Tensor::from_vec(pos_rows, b * n, device).map_err(cerr)?,
        mask: Tensor::from_vec(mask, (b, heads, n, n), device).map_err(cerr)?,
        positions: Tensor::from_vec(positions, m, device).map_err(cerr)?,
        targets: Tensor::from_vec(targets, m, device).map_err(cerr)?,
        weights: Tensor::from_vec(weights, m, device).map_err(cerr)?,
        outside: Tensor::from_vec(outside, (m, vocab.size()), device).map_err(cerr)?,
        rows: b,
    }))
}

/// Per epoch: the mean training loss.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    pub epoch: usize,
    pub loss: f64,
}

/// Trains from `init` on the examples `train(epoch)` gives for each epoch (self-supervised
/// examples are drawn afresh every epoch), calling `after_epoch` with the model of every epoch
/// (for validation and early stopping: it returns false to stop).
pub fn train(
    init: &DiffusionReasoner,
    vocab: &ItemVocab,
    train: &mut dyn FnMut(usize) -> Vec<Example>,
    cfg: &TrainConfig,
    after_epoch: &mut dyn FnMut(&EpochReport, &DiffusionReasoner) -> Result<bool>,
) -> Result<DiffusionReasoner> {
    let device = Device::Cpu;
    let graph = Graph::new(init, &device)?;
    let mut opt = crate::optim::adamw(
        "reasoner",
        graph.params.trainable(),
        cfg.lr,
        cfg.weight_decay,
    )?;
    let mut rng = SeededRng::new(cfg.seed);
    let mut model = graph.export()?;
    for epoch in 0..cfg.epochs {
        let train = train(epoch);
        if train.is_empty() {
            return Err(Error::Config("reasoner training: no examples".into()));
        }
        let mut order: Vec<usize> = (0..train.len()).collect();
        rng.shuffle(&mut order);
        let (mut total, mut count) = (0.0, 0usize);
        for chunk in order.chunks(cfg.batch.max(1)) {
            let ex: Vec<&Example> = chunk.iter().map(|&i| &train[i]).collect();
            let Some(bt) = batch(
                vocab,
                &ex,
                (graph.cfg.max_len, graph.cfg.heads),
                cfg.eps,
                cfg.task_prompt,
                &mut rng,
                &device,
            )?
            else {
                continue;
            };
            let loss = (|| -> candle_core::Result<Tensor> {
                let logits =
                    graph.forward(&bt.tokens, &bt.pos_rows, &bt.mask, Some(&bt.positions))?;
                let picked = (logits + &bt.outside)?;
                let logp = candle_nn::ops::log_softmax(&picked, D::Minus1)?;
                let nll = logp
                    .gather(&bt.targets.unsqueeze(1)?, 1)?
                    .squeeze(1)?
                    .neg()?;
                (nll * &bt.weights)?.sum_all()? / bt.rows as f64
            })()
            .map_err(cerr)?;
            let l = crate::optim::step("reasoner", &mut opt, &loss, epoch)?;
            total += l * bt.rows as f64;
            count += bt.rows;
        }
        model = graph.export()?;
        let report = EpochReport {
            epoch,
            loss: total / count.max(1) as f64,
        };
        if !after_epoch(&report, &model)? {
            break;
        }
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::semantic_id::SemanticIds;

    /// The candle graph and the plain model agree on the same weights.
    #[test]
    fn candle_twin_matches_the_plain_forward() {
        let cfg = ReasonerConfig {
            vocab: 30,
            max_len: 16,
            dim: 8,
            layers: 2,
            heads: 2,
            ffn: 12,
        };
        let m = DiffusionReasoner::init(cfg, 5).unwrap();
        let g = Graph::new(&m, &Device::Cpu).unwrap();
        let toks = [1u32, 7, 9, 2, 3, 11, 3];
        let prefix = 4;
        let n = toks.len();
        let mut mask = vec![0f32; n * n];
        for i in 0..prefix {
            for j in prefix..n {
                mask[i * n + j] = f32::NEG_INFINITY;
            }
        }
        let t = Tensor::from_vec(toks.to_vec(), (1, n), &Device::Cpu).unwrap();
        let mk = Tensor::from_vec(mask, (1, 1, n, n), &Device::Cpu)
            .and_then(|m| m.broadcast_as((1, cfg.heads, n, n))?.contiguous())
            .unwrap();
        let first = prefix_rows(cfg.max_len, prefix) as u32;
        let rows: Vec<u32> = (0..n as u32)
            .map(|i| {
                if (i as usize) < prefix {
                    first + i
                } else {
                    i - prefix as u32
                }
            })
            .collect();
        let rows = Tensor::from_vec(rows, n, &Device::Cpu).unwrap();
        let ours = g
            .forward(&t, &rows, &mk, None)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let plain = m.forward(&toks, prefix).unwrap();
        for (a, b) in ours.iter().zip(&plain) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    /// On a toy task (the response repeats the history's items' partners) the loss falls.
    #[test]
    fn training_lowers_the_loss() {
        let codes: Vec<Vec<u16>> = (0..12u16).map(|i| vec![i % 4, i / 4, 0]).collect();
        let vocab = ItemVocab::new(&SemanticIds::from_codes(codes)).unwrap();
        let train: Vec<Example> = (0..48u32)
            .map(|u| {
                let a = u % 6;
                Example {
                    user: u,
                    history: vec![a, (a + 1) % 6],
                    response: vec![a + 6, (a + 1) % 6 + 6],
                    self_supervised: false,
                }
            })
            .collect();
        let cfg = ReasonerConfig {
            vocab: vocab.size(),
            max_len: 20,
            dim: 16,
            layers: 1,
            heads: 2,
            ffn: 32,
        };
        let init = DiffusionReasoner::init(cfg, 1).unwrap();
        let mut losses = Vec::new();
        train_fn(&init, &vocab, &train, &mut losses);
        assert!(losses.last().unwrap() < &(losses[0] * 0.7), "{losses:?}");
    }

    /// Off-log answers (the history item's partner) are outnumbered two to one by
    /// self-supervised ones (its neighbour). Asked with BOS, the model puts most of its mass on
    /// the neighbour's kind when both tasks share BOS, and on the partner's when the
    /// self-supervised examples have their own task prompt.
    #[test]
    fn a_task_prompt_keeps_self_supervised_answers_out_of_the_off_log_task() {
        use crate::reasoner::beam::{beam_items, BeamConfig};
        let codes: Vec<Vec<u16>> = (0..12u16).map(|i| vec![i % 6, i / 6]).collect();
        let vocab = ItemVocab::new(&SemanticIds::from_codes(codes)).unwrap();
        let ex: Vec<Example> = (0..144u32)
            .map(|u| {
                let a = u % 6;
                let self_supervised = u % 3 != 0;
                Example {
                    user: u,
                    history: vec![a],
                    response: vec![if self_supervised { (a + 1) % 6 } else { a + 6 }],
                    self_supervised,
                }
            })
            .collect();
        let cfg = ReasonerConfig {
            vocab: vocab.size(),
            max_len: 20,
            dim: 32,
            layers: 1,
            heads: 2,
            ffn: 64,
        };
        let init = DiffusionReasoner::init(cfg, 1).unwrap();
        // The mass the model puts on partner-kind items (the second code is 1), asked with BOS.
        let partner_mass = |task_prompt: bool| -> f32 {
            let tc = TrainConfig {
                epochs: 40,
                batch: 16,
                lr: 5e-3,
                task_prompt,
                ..TrainConfig::default()
            };
            let mut m = train(&init, &vocab, &mut |_| ex.clone(), &tc, &mut |_, _| {
                Ok(true)
            })
            .unwrap();
            let beam = BeamConfig {
                items: 12,
                width: 12,
            };
            let (mut partner, mut all) = (0.0, 0.0);
            for a in 0..6u32 {
                let mut x = vec![false; 12];
                x[a as usize] = true;
                for (item, score) in beam_items(&mut m, &vocab, &[a], &x, &beam).unwrap().0 {
                    all += score.exp();
                    if item >= 6 {
                        partner += score.exp();
                    }
                }
            }
            partner / all
        };
        let (shared, own) = (partner_mass(false), partner_mass(true));
        assert!(shared < 0.5, "shared BOS: {shared}");
        assert!(own > 0.8, "task prompt: {own}");
    }

    fn train_fn(
        init: &DiffusionReasoner,
        vocab: &ItemVocab,
        ex: &[Example],
        losses: &mut Vec<f64>,
    ) {
        let cfg = TrainConfig {
            epochs: 30,
            batch: 16,
            lr: 1e-2,
            ..TrainConfig::default()
        };
        train(init, vocab, &mut |_| ex.to_vec(), &cfg, &mut |r, _| {
            losses.push(r.loss);
            Ok(true)
        })
        .unwrap();
    }
}
