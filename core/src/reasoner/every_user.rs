//! The sampler for every user of a dataset in one run — the batch the page runs on WebGPU or
//! the CPU, and `reaseq reasoner infer --all-users` — measured by one function: how many
//! forward passes and commits it took, a fingerprint of every committed token (two runs that
//! commit the same tokens in the same order share it), and the in-sample Recall@M and NDCG@M
//! of the inferred items against each user's real off-log items.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::protocol::Protocol;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::hash::Fnv1a;
use crate::metrics::bootstrap::MeanInterval;
use crate::metrics::ranking::{ndcg_at_k, recall_at_k};

use super::{
    excluded, logged_history, off_log_items, ranked, DiffusionReasoner, Inference, ItemVocab,
    MaskPredictor, SamplerConfig, Sampling,
};

/// What the sampler reads of one user, and what it is scored against.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPrompt {
    pub user: u32,
    pub history: Vec<u32>,
    pub excluded: Vec<bool>,
    pub off_log: Vec<u32>,
}

/// The longest history that leaves room for `slots` items in the model's input.
pub fn max_history(model: &DiffusionReasoner, vocab: &ItemVocab, slots: usize) -> usize {
    (model.config.max_len.saturating_sub(2) / vocab.levels().max(1)).saturating_sub(slots)
}

/// Every user with a logged history, in user order.
pub fn prompts(ds: &Dataset, protocol: &Protocol, max_history: usize) -> Vec<UserPrompt> {
    (0..ds.num_users() as u32)
        .map(|u| UserPrompt {
            user: u,
            history: logged_history(ds, protocol, u, max_history),
            excluded: excluded(ds, protocol, u),
            off_log: off_log_items(ds, protocol, u),
        })
        .filter(|p| !p.history.is_empty())
        .collect()
}

/// The CPU path: one user after another through [`Sampling`], the prefix cached per user;
/// `progress` hears the users done.
pub fn infer_all(
    model: &mut DiffusionReasoner,
    vocab: &ItemVocab,
    prompts: &[UserPrompt],
    cfg: &SamplerConfig,
    progress: &dyn Fn(usize),
) -> Result<Vec<Inference>> {
    let mut out = Vec::with_capacity(prompts.len());
    for p in prompts {
        let mut s = Sampling::new(vocab, &p.history, &p.excluded, cfg);
        while !s.is_done() {
            let logits = model.predict(s.tokens(), s.prefix())?;
            s.advance(&logits)?;
        }
        out.push(s.finish());
        progress(out.len());
    }
    Ok(out)
}

/// What one run of the sampler over every user gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EveryUser {
    pub format_version: u32,
    pub dataset: String,
    pub sampler: SamplerConfig,
    pub users: usize,
    pub forward_passes: usize,
    pub committed_tokens: usize,
    /// Slots left without an admissible item.
    pub empty_slots: usize,
    /// Distinct items inferred over all users.
    pub distinct_items: usize,
    /// FNV-1a over every user's commits (slot, level, token) in order, and the items, in hex.
    pub fingerprint: String,
    /// Users with off-log items, over whom Recall@M and NDCG@M are averaged.
    pub users_with_off_log: usize,
    pub recall: Option<MeanInterval>,
    pub ndcg: Option<MeanInterval>,
}

impl Artifact for EveryUser {
    const KIND: &'static str = "reasoner run over every user";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq reasoner infer --all-users";
}

/// The intervals' user resamples and their seed (the sampler's), for the page and the CLI.
pub fn bootstrap(cfg: &SamplerConfig) -> (usize, u64) {
    (1000, cfg.seed)
}

/// The commits and items of every user, hashed in order.
pub fn fingerprint(inferences: &[Inference]) -> String {
    let mut h = Fnv1a::new();
    for out in inferences {
        for c in out.trace.iter().flat_map(|s| &s.commits) {
            h.u64(c.slot as u64)
                .u64(c.level as u64)
                .u64(u64::from(c.token));
        }
        for i in &out.items {
            h.u64(i.map_or(u64::MAX, u64::from));
        }
        h.bytes(&[0xff]);
    }
    format!("{:016x}", h.finish())
}

impl EveryUser {
    /// The measures of `inferences` (one per prompt, in order); intervals from `replicates`
    /// user resamples drawn with `seed`.
    pub fn new(
        dataset: &str,
        prompts: &[UserPrompt],
        inferences: &[Inference],
        cfg: &SamplerConfig,
        (replicates, seed): (usize, u64),
    ) -> Result<Self> {
        if prompts.len() != inferences.len() {
            return Err(Error::Model(format!(
                "{} inferences for {} users",
                inferences.len(),
                prompts.len()
            )));
        }
        let m = cfg.slots;
        let (mut recalls, mut ndcgs) = (Vec::new(), Vec::new());
        for (p, out) in prompts.iter().zip(inferences) {
            let list = ranked(out);
            if let Some(r) = recall_at_k(&list, &p.off_log, m) {
                recalls.push(r);
            }
            if let Some(n) = ndcg_at_k(&list, &p.off_log, m) {
                ndcgs.push(n);
            }
        }
        let mean = |v: &[f64]| -> Result<Option<MeanInterval>> {
            (!v.is_empty())
                .then(|| MeanInterval::of(v, replicates, seed))
                .transpose()
        };
        let mut items: Vec<u32> = inferences
            .iter()
            .flat_map(|o| o.items.iter().flatten().copied())
            .collect();
        items.sort_unstable();
        items.dedup();
        Ok(Self {
            format_version: Self::FORMAT_VERSION,
            dataset: dataset.to_owned(),
            sampler: cfg.clone(),
            users: prompts.len(),
            forward_passes: inferences.iter().map(|o| o.forward_passes).sum(),
            committed_tokens: inferences
                .iter()
                .flat_map(|o| &o.trace)
                .map(|s| s.commits.len())
                .sum(),
            empty_slots: inferences
                .iter()
                .flat_map(|o| &o.items)
                .filter(|i| i.is_none())
                .count(),
            distinct_items: items.len(),
            fingerprint: fingerprint(inferences),
            users_with_off_log: recalls.len(),
            recall: mean(&recalls)?,
            ndcg: mean(&ndcgs)?,
        })
    }
}

impl std::fmt::Display for EveryUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.sampler;
        writeln!(
            f,
            "{}: the sampler (M = {}, T = {}, seed {}) over {} users: {} forward passes, {} tokens committed, {} empty slots, {} distinct items",
            self.dataset, s.slots, s.steps, s.seed, self.users, self.forward_passes,
            self.committed_tokens, self.empty_slots, self.distinct_items
        )?;
        writeln!(f, "committed-token fingerprint {}", self.fingerprint)?;
        for (name, m) in [("Recall", self.recall), ("NDCG", self.ndcg)] {
            if let Some(m) = m {
                writeln!(
                    f,
                    "{name}@{} vs off-log items ({} users, some of whom the fold-0 reasoner was trained on): {:.4} [{:.4}, {:.4}]",
                    s.slots, self.users_with_off_log, m.mean, m.ci[0], m.ci[1]
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::semantic_id::SemanticIds;
    use crate::reasoner::{infer, ReasonerConfig};

    #[test]
    fn the_batch_is_the_one_user_sampler_and_its_fingerprint_sees_a_changed_token() {
        let ids = SemanticIds::from_codes((0..12).map(|i| vec![i % 3, i / 3 % 2, 0]).collect());
        let vocab = ItemVocab::new(&ids).unwrap();
        let cfg = ReasonerConfig {
            vocab: vocab.size(),
            max_len: 2 + (4 + 2) * 3,
            dim: 8,
            layers: 1,
            heads: 2,
            ffn: 8,
        };
        let mut model = DiffusionReasoner::init(cfg, 2).unwrap();
        let prompts: Vec<UserPrompt> = (0..3u32)
            .map(|u| UserPrompt {
                user: u,
                history: vec![u, u + 3],
                excluded: (0..12).map(|i| i == u || i == u + 3).collect(),
                off_log: vec![u + 6],
            })
            .collect();
        let sampler = SamplerConfig {
            slots: 2,
            steps: 3,
            ..SamplerConfig::default()
        };
        let all = infer_all(&mut model, &vocab, &prompts, &sampler, &|_| {}).unwrap();
        for (p, out) in prompts.iter().zip(&all) {
            let one = infer(&mut model, &vocab, &p.history, &p.excluded, &sampler).unwrap();
            assert_eq!(&one, out);
        }
        let e = EveryUser::new("t", &prompts, &all, &sampler, (50, 1)).unwrap();
        assert_eq!((e.users, e.users_with_off_log), (3, 3));
        assert_eq!(e.committed_tokens, 3 * 2 * 3);
        assert!(e.recall.is_some_and(|r| (0.0..=1.0).contains(&r.mean)));
        let mut changed = all.clone();
        changed[2].trace[0].commits[0].token += 1;
        assert_ne!(fingerprint(&changed), e.fingerprint);
        assert!(EveryUser::new("t", &prompts[..2], &all, &sampler, (50, 1)).is_err());
    }
}
