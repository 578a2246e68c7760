//! Ranked decoding: a beam search down the semantic-ID trie for one masked slot, scoring each
//! item by the log-probability the mask predictor gives its codes, coarse to fine
//! (`log p(c0) + log p(c1 | c0) + …`). Greedy slot-by-slot sampling finds one heavy branch of
//! the trie and fills every slot from it; a top-M list needs the best leaves across branches,
//! which is what a beam keeps. Like the sampler, it only ever yields real, admissible items.

use crate::error::{Error, Result};

use super::sampler::MaskPredictor;
use super::vocab::ItemVocab;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeamConfig {
    /// Items to return (M).
    pub items: usize,
    /// Partial code paths kept per level; at least `items`, so M leaves always remain.
    pub width: usize,
}

impl Default for BeamConfig {
    fn default() -> Self {
        Self {
            items: 10,
            width: 20,
        }
    }
}

/// An item-level prior the beam can multiply in: an item's score becomes
/// `log p(codes) + λ · log q(item)`, with `q` these weights normalised over the admissible
/// items. It factorises down the trie like the model (`q(c_l | c_<l)` is the weight under the
/// child over the weight under its parent), so the beam prunes with the combined score.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPrior {
    weights: Vec<f64>,
}

impl ItemPrior {
    /// Positive weights, one per item.
    pub fn new(weights: Vec<f64>) -> Result<Self> {
        match weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
            Some(i) => Err(Error::Config(format!(
                "item prior: weight {} of item {i} is not positive",
                weights[i]
            ))),
            None => Ok(Self { weights }),
        }
    }

    /// Training-event counts plus one (an unseen item keeps a little mass).
    pub fn popularity(counts: &[u32]) -> Self {
        Self {
            weights: counts.iter().map(|&c| f64::from(c) + 1.0).collect(),
        }
    }

    /// `log q(item)` of each item: its share of the prior over the admissible items. A beam
    /// score minus `λ` times this is the model's own log-probability of the item.
    pub fn log_shares(&self, items: &[u32], excluded: &[bool]) -> Vec<f64> {
        let total = self.mass(&admissible(self.weights.len(), excluded));
        items
            .iter()
            .map(|&i| (self.mass(&[i]) / total).ln())
            .collect()
    }

    /// The weight of every item (not normalised).
    pub(super) fn weights(&self) -> &[f64] {
        &self.weights
    }

    fn mass(&self, items: &[u32]) -> f64 {
        items
            .iter()
            .map(|&i| self.weights.get(i as usize).copied().unwrap_or(1.0))
            .sum()
    }
}

/// The items of `0..num_items` that `excluded` does not rule out.
fn admissible(num_items: usize, excluded: &[bool]) -> Vec<u32> {
    (0..num_items as u32)
        .filter(|&i| !excluded.get(i as usize).copied().unwrap_or(false))
        .collect()
}

/// One partial path: its codes so far, their summed log-probability (with the prior's share),
/// and the admissible items under it.
struct Path {
    codes: Vec<u32>,
    logp: f32,
    items: Vec<u32>,
}

/// The best admissible items for a user and their log-probabilities, best first; with the
/// forward passes it took.
pub fn beam_items(
    predictor: &mut dyn MaskPredictor,
    vocab: &ItemVocab,
    history: &[u32],
    excluded: &[bool],
    cfg: &BeamConfig,
) -> Result<(Vec<(u32, f32)>, usize)> {
    beam_items_with_prior(predictor, vocab, history, excluded, cfg, None)
}

/// [`beam_items`] with `prior` and its weight λ multiplied in (scores are then
/// `log p + λ · log q`).
pub fn beam_items_with_prior(
    predictor: &mut dyn MaskPredictor,
    vocab: &ItemVocab,
    history: &[u32],
    excluded: &[bool],
    cfg: &BeamConfig,
    prior: Option<(&ItemPrior, f32)>,
) -> Result<(Vec<(u32, f32)>, usize)> {
    let levels = vocab.levels();
    let v = vocab.size();
    let width = cfg.width.max(cfg.items).max(1);
    let mut tokens = vocab.prompt(history, 1);
    let start = tokens.len() - levels;
    let mut paths = vec![Path {
        codes: Vec::new(),
        logp: 0.0,
        items: admissible(vocab.num_items(), excluded),
    }];
    let mut passes = 0;
    for level in 0..levels {
        let mut next = Vec::new();
        for path in &paths {
            for (l, slot) in tokens[start..].iter_mut().enumerate() {
                *slot = path.codes.get(l).copied().unwrap_or(vocab.mask(l));
            }
            let logits = predictor.predict(&tokens, start)?;
            passes += 1;
            if logits.len() != levels * v {
                return Err(Error::Model(format!(
                    "mask predictor gave {} logits for {levels} positions of {v} tokens",
                    logits.len()
                )));
            }
            let row = &logits[level * v..(level + 1) * v];
            let mut allowed: Vec<u32> =
                path.items.iter().map(|&i| vocab.tokens(i)[level]).collect();
            allowed.sort_unstable();
            allowed.dedup();
            let max = allowed
                .iter()
                .map(|&t| row[t as usize])
                .fold(f32::NEG_INFINITY, f32::max);
            let log_z = max
                + allowed
                    .iter()
                    .map(|&t| libm::expf(row[t as usize] - max))
                    .sum::<f32>()
                    .ln();
            let parent_mass = prior.map(|(q, _)| q.mass(&path.items));
            for t in allowed {
                let mut codes = path.codes.clone();
                codes.push(t);
                let items: Vec<u32> = path
                    .items
                    .iter()
                    .copied()
                    .filter(|&i| vocab.tokens(i)[level] == t)
                    .collect();
                let share = match (prior, parent_mass) {
                    (Some((q, lambda)), Some(m)) if lambda != 0.0 => {
                        lambda * (q.mass(&items) / m).ln() as f32
                    }
                    _ => 0.0,
                };
                next.push(Path {
                    codes,
                    logp: path.logp + row[t as usize] - log_z + share,
                    items,
                });
            }
        }
        // Highest first; ties by codes, so the order never depends on the input order.
        next.sort_by(|a, b| b.logp.total_cmp(&a.logp).then(a.codes.cmp(&b.codes)));
        if level + 1 < levels {
            next.truncate(width);
        }
        paths = next;
    }
    let items = paths
        .iter()
        .filter_map(|p| p.items.first().map(|&i| (i, p.logp)))
        .take(cfg.items)
        .collect();
    Ok((items, passes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::semantic_id::SemanticIds;

    /// Scores each code of each level independently, so an item's log-probability is known.
    struct Fixed {
        /// Logit per token, the same at every position.
        logits: Vec<f32>,
    }

    impl MaskPredictor for Fixed {
        fn predict(&mut self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>> {
            let n = tokens.len() - prefix;
            Ok((0..n).flat_map(|_| self.logits.clone()).collect())
        }
    }

    #[test]
    fn a_prior_adds_its_weighted_log_share_and_zero_weight_changes_nothing() {
        // Two levels of two codes: items 0..4 are (a, b) for a, b in {0, 1}, then the index.
        let ids = SemanticIds::from_codes((0..4u16).map(|i| vec![i / 2, i % 2, 0]).collect());
        let vocab = ItemVocab::new(&ids).unwrap();
        let mut m = Fixed {
            logits: vec![0.0; vocab.size()],
        };
        let cfg = BeamConfig { items: 4, width: 4 };
        let none = [false; 4];
        let (flat, _) = beam_items(&mut m, &vocab, &[], &none, &cfg).unwrap();
        // A uniform model gives every item log(1/4); a prior with weights 1, 1, 1, 5 and λ = 1
        // adds log(w / 8) for each.
        let q = ItemPrior::new(vec![1.0, 1.0, 1.0, 5.0]).unwrap();
        let (with, _) =
            beam_items_with_prior(&mut m, &vocab, &[], &none, &cfg, Some((&q, 1.0))).unwrap();
        assert_eq!(with[0].0, 3);
        let items: Vec<u32> = with.iter().map(|x| x.0).collect();
        let shares = q.log_shares(&items, &none);
        for (&(i, lp), share) in with.iter().zip(shares) {
            let want = (0.25f32).ln() + (q.weights[i as usize] as f32 / 8.0).ln();
            assert!((lp - want).abs() < 1e-5, "item {i}: {lp} vs {want}");
            let model = lp - share as f32;
            assert!(
                (model - 0.25f32.ln()).abs() < 1e-5,
                "item {i}: model {model}"
            );
        }
        let (zero, _) =
            beam_items_with_prior(&mut m, &vocab, &[], &none, &cfg, Some((&q, 0.0))).unwrap();
        assert_eq!(zero, flat);
        assert!(ItemPrior::new(vec![1.0, 0.0]).is_err());
    }

    #[test]
    fn finds_the_most_likely_admissible_items_across_branches() {
        // Branch 0 is likelier but spread over many items, branch 1 holds one strong item:
        // greedy decoding would stay in branch 0.
        let codes: Vec<Vec<u16>> = vec![
            vec![0, 0],
            vec![0, 1],
            vec![0, 2],
            vec![0, 3],
            vec![1, 0],
            vec![1, 1],
        ];
        let vocab = ItemVocab::new(&SemanticIds::from_codes(codes)).unwrap();
        let mut logits = vec![0f32; vocab.size()];
        let tok = |item: u32, l: usize| vocab.tokens(item)[l] as usize;
        logits[tok(0, 0)] = 0.5; // level 0: p(0) = 0.62, p(1) = 0.38
        logits[tok(4, 1)] = 3.0; // level 1: code 0 much likelier (in branch 0 only item 0)
        let mut p = Fixed { logits };
        let excluded = [true, false, false, false, false, false];
        let (items, passes) = beam_items(
            &mut p,
            &vocab,
            &[0],
            &excluded,
            &BeamConfig { items: 3, width: 3 },
        )
        .unwrap();
        let ids: Vec<u32> = items.iter().map(|x| x.0).collect();
        // Item 0 is logged; item 4 (0.38 · 0.95) beats each of branch 0's (0.62 / 3).
        assert_eq!(ids, vec![4, 1, 2]);
        assert!(
            (items[0].1.exp() - 0.3775 * 0.9526).abs() < 1e-3,
            "{items:?}"
        );
        assert!(items.windows(2).all(|w| w[0].1 >= w[1].1));
        // Probabilities over the admissible codes: a proper distribution at each level.
        let total: f32 = items.iter().map(|x| x.1.exp()).sum();
        assert!(total <= 1.0 + 1e-5, "{total}");
        assert_eq!(passes, 1 + 2);
    }
}
