//! The diffusion sampler: T steps of predict-all / commit-most-confident (low-confidence
//! remasking), or a threshold mode that commits every position above a confidence; decoding is
//! constrained so that every slot ends as a real item that is neither logged nor repeated, and
//! every step is recorded in a trace the browser can replay.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::vocab::ItemVocab;

/// Something that predicts every position of a token sequence at once (the mask predictor).
pub trait MaskPredictor {
    /// Logits of the response positions, `(tokens.len() - prefix, vocab)` flattened row by row;
    /// the first `prefix` tokens are the clean input (BOS, history, SEP), the rest the response.
    fn predict(&mut self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>>;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerConfig {
    /// Items to infer (M).
    pub slots: usize,
    /// Denoising steps (T); each commits about slots·L / T positions.
    pub steps: usize,
    /// Threshold mode: commit every position whose confidence is at least this (and at least
    /// one position per step), instead of a fixed number per step.
    pub threshold: Option<f32>,
    /// 0 for greedy; otherwise the softmax temperature of a seeded draw.
    pub temperature: f32,
    pub seed: u64,
    /// Alternatives kept per committed position in the trace.
    pub top_alternatives: usize,
    /// Commit a slot's codes coarse to fine: level l only once levels 0..l are committed. A
    /// residual code means little before the codes above it are known.
    #[serde(default = "yes")]
    pub coarse_to_fine: bool,
}

fn yes() -> bool {
    true
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            slots: 8,
            steps: 8,
            threshold: None,
            temperature: 0.0,
            seed: 0,
            top_alternatives: 3,
            coarse_to_fine: true,
        }
    }
}

/// Times a slot left without any admissible item may start again from scratch. Coarse to fine,
/// a slot commits its branch early and other slots may then take every item in it.
const MAX_RESETS: usize = 8;

/// One position committed at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    pub slot: usize,
    pub level: usize,
    pub token: u32,
    /// Its probability among the tokens the constraint allowed.
    pub prob: f32,
    /// The next most likely allowed tokens and their probabilities.
    pub alternatives: Vec<(u32, f32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub step: usize,
    pub commits: Vec<Commit>,
    /// Slots cleared after this step because no admissible item was left for them.
    pub remasked: Vec<usize>,
}

/// What the sampler inferred and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    /// The inferred item per slot, in slot order; None when no admissible item was left.
    pub items: Vec<Option<u32>>,
    pub trace: Vec<TraceStep>,
    /// Forward passes of the mask predictor.
    pub forward_passes: usize,
}

/// An open position and the probability of its best admissible token.
struct Proposal {
    slot: usize,
    level: usize,
    best: f32,
}

/// Per slot: which items still agree with what has been committed.
struct SlotState {
    committed: Vec<Option<u32>>,
    candidates: Vec<u32>,
}

/// The largest logit among `allowed` and the softmax normaliser.
fn max_and_normaliser(logits: &[f32], allowed: &[u32], t: f32) -> (f32, f32) {
    let max = allowed
        .iter()
        .map(|&a| logits[a as usize])
        .fold(f32::NEG_INFINITY, f32::max);
    let z = allowed
        .iter()
        .map(|&a| libm::expf((logits[a as usize] - max) / t))
        .sum();
    (max, z)
}

/// The probability of the best allowed token (what `softmax_over` would put first).
fn best_prob(logits: &[f32], allowed: &[u32], temperature: f32) -> f32 {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    1.0 / max_and_normaliser(logits, allowed, t).1
}

fn softmax_over(logits: &[f32], allowed: &[u32], temperature: f32) -> Vec<(u32, f32)> {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let (max, z) = max_and_normaliser(logits, allowed, t);
    let mut out: Vec<(u32, f32)> = allowed
        .iter()
        .map(|&a| (a, libm::expf((logits[a as usize] - max) / t)))
        .collect();
    for x in &mut out {
        x.1 /= z;
    }
    // Highest first; ties by token id, so the order never depends on the input order.
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Runs the sampler for one user. `excluded` marks items that may not be inferred (the user's
/// logged history).
pub fn infer(
    predictor: &mut dyn MaskPredictor,
    vocab: &ItemVocab,
    history: &[u32],
    excluded: &[bool],
    cfg: &SamplerConfig,
) -> Result<Inference> {
    let mut s = Sampling::new(vocab, history, excluded, cfg);
    while !s.is_done() {
        let logits = predictor.predict(s.tokens(), s.prefix())?;
        s.advance(&logits)?;
    }
    Ok(s.finish())
}

/// One user's sampler between forward passes: ask it for the tokens to predict, give it the
/// response logits with [`Sampling::advance`]. Stepping from outside lets a batch of users
/// share each forward pass (the WebGPU path) and the CPU path run the same decisions.
pub struct Sampling<'a> {
    vocab: &'a ItemVocab,
    cfg: SamplerConfig,
    tokens: Vec<u32>,
    start: usize,
    admissible: Vec<u32>,
    slots: Vec<SlotState>,
    taken: Vec<bool>,
    resets: Vec<usize>,
    rng: SeededRng,
    trace: Vec<TraceStep>,
    forward_passes: usize,
    total: usize,
    done: usize,
    step: usize,
    /// Every open slot ran out of admissible items, or a step committed nothing.
    stuck: bool,
}

impl<'a> Sampling<'a> {
    pub fn new(
        vocab: &'a ItemVocab,
        history: &[u32],
        excluded: &[bool],
        cfg: &SamplerConfig,
    ) -> Self {
        let levels = vocab.levels();
        let tokens = vocab.prompt(history, cfg.slots);
        let start = tokens.len() - cfg.slots * levels;
        let admissible: Vec<u32> = (0..vocab.num_items() as u32)
            .filter(|&i| !excluded.get(i as usize).copied().unwrap_or(false))
            .collect();
        let slots = (0..cfg.slots)
            .map(|_| SlotState {
                committed: vec![None; levels],
                candidates: admissible.clone(),
            })
            .collect();
        Self {
            vocab,
            cfg: cfg.clone(),
            tokens,
            start,
            admissible,
            slots,
            taken: vec![false; vocab.num_items()],
            resets: vec![0; cfg.slots],
            rng: SeededRng::new(cfg.seed),
            trace: Vec::new(),
            forward_passes: 0,
            total: cfg.slots * levels,
            done: 0,
            step: 0,
            stuck: false,
        }
    }

    /// The whole input of the next forward pass: BOS, history, SEP, then the response.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Where the response starts in [`Self::tokens`].
    pub fn prefix(&self) -> usize {
        self.start
    }

    /// No forward pass is needed any more.
    pub fn is_done(&self) -> bool {
        self.stuck || self.done >= self.total
    }

    /// One denoising step from the response logits, `(response positions, vocab)` flattened.
    pub fn advance(&mut self, logits: &[f32]) -> Result<()> {
        let (vocab, cfg) = (self.vocab, &self.cfg);
        let levels = vocab.levels();
        let (total, start) = (self.total, self.start);
        self.forward_passes += 1;
        let v = vocab.size();
        if logits.len() != total * v {
            return Err(Error::Model(format!(
                "mask predictor gave {} logits for {} response positions of {} tokens",
                logits.len(),
                total,
                v
            )));
        }
        // Each open position's best admissible token and its distribution.
        let mut proposals: Vec<Proposal> = Vec::new();
        for (s, slot) in self.slots.iter().enumerate() {
            for l in 0..levels {
                if slot.committed[l].is_some()
                    || (cfg.coarse_to_fine && slot.committed[..l].iter().any(Option::is_none))
                {
                    continue;
                }
                let allowed = allowed_tokens(vocab, slot, l, &self.taken);
                if allowed.is_empty() {
                    continue;
                }
                let p = s * levels + l;
                proposals.push(Proposal {
                    slot: s,
                    level: l,
                    best: best_prob(&logits[p * v..(p + 1) * v], &allowed, cfg.temperature),
                });
            }
        }
        if proposals.is_empty() {
            self.stuck = true; // Every open slot has run out of admissible items.
            return Ok(());
        }
        proposals.sort_by(|a, b| {
            b.best
                .total_cmp(&a.best)
                .then((a.slot, a.level).cmp(&(b.slot, b.level)))
        });
        let open = total - self.done;
        let steps = cfg.steps.max(1);
        let quota = match cfg.threshold {
            Some(tau) => proposals.iter().filter(|p| p.best >= tau).count().max(1),
            None => open.div_ceil(steps.saturating_sub(self.step).max(1)),
        };
        let mut commits = Vec::new();
        for Proposal {
            slot: s, level: l, ..
        } in proposals
        {
            if commits.len() >= quota {
                break;
            }
            // Recomputed: an earlier commit of this step may have narrowed the slot.
            let allowed = allowed_tokens(vocab, &self.slots[s], l, &self.taken);
            if allowed.is_empty() {
                continue;
            }
            let p = s * levels + l;
            let dist = softmax_over(&logits[p * v..(p + 1) * v], &allowed, cfg.temperature);
            let pick = if cfg.temperature > 0.0 {
                let w: Vec<f64> = dist.iter().map(|x| x.1 as f64).collect();
                self.rng.weighted(&w)
            } else {
                0
            };
            let (token, prob) = dist[pick];
            let alternatives = dist
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != pick)
                .take(cfg.top_alternatives)
                .map(|(_, &x)| x)
                .collect();
            let slot = &mut self.slots[s];
            slot.committed[l] = Some(token);
            slot.candidates.retain(|&i| vocab.tokens(i)[l] == token);
            self.tokens[start + p] = token;
            if slot.committed.iter().all(Option::is_some) {
                if let Some(&item) = slot.candidates.first() {
                    self.taken[item as usize] = true;
                }
            }
            commits.push(Commit {
                slot: s,
                level: l,
                token,
                prob,
                alternatives,
            });
        }
        if commits.is_empty() {
            self.stuck = true;
            return Ok(());
        }
        self.done += commits.len();
        // A slot whose remaining items were all taken by other slots is remasked and decoded
        // again (at most MAX_RESETS times), instead of ending empty.
        let mut remasked = Vec::new();
        for (s, slot) in self.slots.iter_mut().enumerate() {
            let complete = slot.committed.iter().all(Option::is_some);
            let alive = slot.candidates.iter().any(|&i| !self.taken[i as usize]);
            if !complete && !alive && self.resets[s] < MAX_RESETS {
                self.resets[s] += 1;
                self.done -= slot.committed.iter().filter(|c| c.is_some()).count();
                slot.committed.iter_mut().for_each(|c| *c = None);
                slot.candidates = self.admissible.clone();
                for l in 0..levels {
                    self.tokens[start + s * levels + l] = vocab.mask(l);
                }
                remasked.push(s);
            }
        }
        self.trace.push(TraceStep {
            step: self.step,
            commits,
            remasked,
        });
        self.step += 1;
        Ok(())
    }

    /// What was inferred, with the trace.
    pub fn finish(self) -> Inference {
        let items = self
            .slots
            .iter()
            .map(|s| {
                s.committed
                    .iter()
                    .all(Option::is_some)
                    .then(|| s.candidates.first().copied())
                    .flatten()
            })
            .collect();
        Inference {
            items,
            trace: self.trace,
            forward_passes: self.forward_passes,
        }
    }
}

/// Tokens at level `l` of items that agree with the slot's commits and are not yet taken.
fn allowed_tokens(vocab: &ItemVocab, slot: &SlotState, l: usize, taken: &[bool]) -> Vec<u32> {
    let mut out: Vec<u32> = slot
        .candidates
        .iter()
        .filter(|&&i| !taken[i as usize])
        .map(|&i| vocab.tokens(i)[l])
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Semantic consistency of an inferred item with the user's history: the cosine of its
/// knowledge vector with the mean of the history's (unit) vectors.
pub fn semantic_consistency(vectors: &[Vec<f32>], history: &[u32], item: u32) -> f32 {
    consistency_with(&history_sum(vectors, history), &vectors[item as usize])
}

/// The sum of the history's vectors (its direction is the mean's).
pub fn history_sum(vectors: &[Vec<f32>], history: &[u32]) -> Vec<f32> {
    let dim = vectors.first().map_or(0, Vec::len);
    let mut mean = vec![0f32; dim];
    for &h in history {
        for (m, x) in mean.iter_mut().zip(&vectors[h as usize]) {
            *m += x;
        }
    }
    mean
}

/// Cosine of `v` with a history's summed vector; 0 for an empty history.
pub fn consistency_with(mean: &[f32], v: &[f32]) -> f32 {
    let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return 0.0;
    }
    let vn = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    mean.iter().zip(v).map(|(m, x)| m * x).sum::<f32>() / (norm * vn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::semantic_id::SemanticIds;

    fn vocab(codes: Vec<Vec<u16>>) -> ItemVocab {
        ItemVocab::new(&SemanticIds::from_codes(codes)).unwrap()
    }

    /// Prefers, at every response position, the tokens of one fixed item list in order.
    struct Prefers {
        vocab: ItemVocab,
        wanted: Vec<u32>,
        calls: usize,
    }

    impl MaskPredictor for Prefers {
        fn predict(&mut self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>> {
            self.calls += 1;
            let v = self.vocab.size();
            let l = self.vocab.levels();
            let mut out = vec![0f32; (tokens.len() - prefix) * v];
            for (s, &item) in self.wanted.iter().enumerate() {
                for (k, &t) in self.vocab.tokens(item).iter().enumerate() {
                    // Later slots are less sure, so the commit order is visible.
                    out[(s * l + k) * v + t as usize] = 5.0 - s as f32;
                }
            }
            Ok(out)
        }
    }

    fn codes() -> Vec<Vec<u16>> {
        // 6 items, 2 levels + collision index; items 0 and 1 share their first two codes.
        vec![
            vec![0, 0, 0],
            vec![0, 0, 1],
            vec![0, 1, 0],
            vec![1, 0, 0],
            vec![1, 1, 0],
            vec![2, 0, 0],
        ]
    }

    #[test]
    fn infers_what_the_predictor_prefers_in_t_steps_with_a_full_trace() {
        let vocab = vocab(codes());
        let mut p = Prefers {
            vocab: vocab.clone(),
            wanted: vec![4, 2],
            calls: 0,
        };
        let cfg = SamplerConfig {
            slots: 2,
            steps: 3,
            coarse_to_fine: false,
            ..SamplerConfig::default()
        };
        let out = infer(
            &mut p,
            &vocab,
            &[0],
            &[true, false, false, false, false, false],
            &cfg,
        )
        .unwrap();
        assert_eq!(out.items, vec![Some(4), Some(2)]);
        assert_eq!(out.forward_passes, 3);
        assert_eq!(out.trace.len(), 3);
        let committed: usize = out.trace.iter().map(|s| s.commits.len()).sum();
        assert_eq!(committed, 6);
        // The most confident slot (slot 0) is committed first.
        assert!(out.trace[0].commits.iter().all(|c| c.slot == 0));
    }

    #[test]
    fn coarse_to_fine_commits_every_slot_level_by_level() {
        let vocab = vocab(codes());
        let mut p = Prefers {
            vocab: vocab.clone(),
            wanted: vec![4, 2],
            calls: 0,
        };
        let cfg = SamplerConfig {
            slots: 2,
            steps: 3,
            ..SamplerConfig::default()
        };
        let out = infer(
            &mut p,
            &vocab,
            &[0],
            &[true, false, false, false, false, false],
            &cfg,
        )
        .unwrap();
        assert_eq!(out.items, vec![Some(4), Some(2)]);
        let mut next = [0usize; 2];
        for c in out.trace.iter().flat_map(|s| &s.commits) {
            assert_eq!(c.level, next[c.slot], "slot {} out of order", c.slot);
            next[c.slot] += 1;
        }
        assert_eq!(next, [3, 3]);
        // Both slots' coarse codes come first, as the three steps allow.
        assert!(out.trace[0].commits.iter().all(|c| c.level == 0));
        assert_eq!(out.forward_passes, 3);
    }

    #[test]
    fn never_infers_a_logged_or_repeated_item_and_threshold_mode_needs_fewer_passes() {
        let vocab = vocab(codes());
        // The predictor wants the logged item 0 in both slots.
        let mut p = Prefers {
            vocab: vocab.clone(),
            wanted: vec![0, 0],
            calls: 0,
        };
        let excluded = [true, false, false, false, false, false];
        let cfg = SamplerConfig {
            slots: 2,
            steps: 6,
            coarse_to_fine: false,
            ..SamplerConfig::default()
        };
        let out = infer(&mut p, &vocab, &[0], &excluded, &cfg).unwrap();
        let items: Vec<u32> = out.items.iter().flatten().copied().collect();
        assert_eq!(items.len(), 2);
        assert!(!items.contains(&0));
        assert_ne!(items[0], items[1]);
        let fast = infer(
            &mut p,
            &vocab,
            &[0],
            &excluded,
            &SamplerConfig {
                threshold: Some(0.5),
                ..cfg.clone()
            },
        )
        .unwrap();
        assert!(
            fast.forward_passes < out.forward_passes,
            "{}",
            fast.forward_passes
        );
        assert!(fast.items.iter().all(Option::is_some));
    }

    #[test]
    fn sampling_is_seeded() {
        let vocab = vocab(codes());
        let mut p = Prefers {
            vocab: vocab.clone(),
            wanted: vec![3, 5, 2],
            calls: 0,
        };
        let cfg = |seed| SamplerConfig {
            slots: 3,
            steps: 4,
            temperature: 2.0,
            seed,
            ..SamplerConfig::default()
        };
        let none = [false; 6];
        let a = infer(&mut p, &vocab, &[], &none, &cfg(1)).unwrap();
        let b = infer(&mut p, &vocab, &[], &none, &cfg(1)).unwrap();
        assert_eq!(a, b);
        assert!(a.items.iter().all(Option::is_some));
    }

    #[test]
    fn consistency_is_the_cosine_with_the_mean_history_vector() {
        let v = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
        let c = semantic_consistency(&v, &[0, 1], 2);
        assert!((c - 1.0).abs() < 1e-6);
        assert!(semantic_consistency(&v, &[0], 1).abs() < 1e-6);
    }
}
