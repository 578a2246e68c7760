//! The Reasoner job: the diffusion reasoner's sampler (with its trace) and the ranked beam
//! decoder for one user, with each inferred item's semantic consistency. It runs in the worker.

use std::collections::BTreeMap;

use reaseq_core::data::Dataset;
use reaseq_core::reasoner::{
    beam_items_with_prior, every_user, excluded, infer, logged_history, off_log_items,
    semantic_consistency, BeamConfig, DiffusionReasoner, Inference, ItemVocab, PriorWeight,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::loading::now;
use crate::loading::reasoner::{Assets, Data};

/// What the page asks for: the controls of the Reasoner view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// A user by name; the first user when absent.
    pub user: Option<String>,
    pub slots: usize,
    pub steps: usize,
    pub seed: u64,
    pub threshold: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    pub user: u32,
    pub user_name: String,
    /// The user's real off-log items (what a hit is measured against).
    pub off_log: Vec<u32>,
    /// The title of every item named here.
    pub titles: BTreeMap<u32, String>,
    /// The reasoner's whole input: the user's logged history, oldest first.
    pub history: Vec<u32>,
    pub inference: Inference,
    pub millis: f64,
    /// The ranked decoder's items, best first.
    pub ranked: Vec<RankedItem>,
    pub ranked_millis: f64,
    pub beam_width: usize,
    /// λ and β of the prior in the ranked decoder (λ = 0: the model alone).
    pub prior_weight: PriorWeight,
    /// Per slot, the inferred item's consistency with the history in the reasoner's knowledge
    /// space (None for an empty slot, or a dataset whose build carries no knowledge vectors).
    pub consistency: Vec<Option<f32>>,
    pub ranked_consistency: Vec<Option<f32>>,
}

impl Reasoning {
    /// An item's title, or its index when the reply does not carry it.
    pub fn title(&self, i: u32) -> String {
        self.titles
            .get(&i)
            .cloned()
            .unwrap_or_else(|| format!("item {i}"))
    }
}

/// One item of the ranked decoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankedItem {
    pub item: u32,
    /// The beam's score, `log p + λ · log q`.
    pub score: f32,
    /// The model's own probability of the item (the prior's part taken out of the score).
    pub model_p: f32,
    /// The item's share `q` of the prior over the admissible items.
    pub prior_share: f32,
}

/// The ranked decoder the CLI's evaluation and GBR sequences use, over the same model: the
/// beam with the bundle's prior, each item's score split into the model's part and the prior's.
fn ranked_decoder(
    a: &Assets,
    rd: &Data,
    model: &mut DiffusionReasoner,
    vocab: &ItemVocab,
    (history, x): (&[u32], &[bool]),
    beam: &BeamConfig,
) -> AppResult<Vec<RankedItem>> {
    let w = a.prior_weight;
    let q = rd.prior.for_user(history, w.mix)?;
    let prior = (w.lambda > 0.0).then_some((q.as_ref(), w.lambda));
    let (ranked, _) = beam_items_with_prior(model, vocab, history, x, beam, prior)?;
    let items: Vec<u32> = ranked.iter().map(|&(i, _)| i).collect();
    let lambda = prior.map_or(0.0, |(_, l)| l);
    Ok(ranked
        .into_iter()
        .zip(q.log_shares(&items, x))
        .map(|((item, score), log_q)| RankedItem {
            item,
            score,
            model_p: (score - lambda * log_q as f32).exp(),
            prior_share: (log_q as f32).exp(),
        })
        .collect())
}

/// Runs both decoders for one user.
pub(crate) fn reason(a: &Assets, rd: &Data, s: &Settings) -> AppResult<Reasoning> {
    let d = &rd.data;
    let vocab = ItemVocab::new(&a.ids)?;
    let ds: &Dataset = &d.ds;
    let u = match &s.user {
        Some(name) => ds
            .users
            .get(name)
            .ok_or_else(|| AppError::Input(format!("no user '{name}' in {}", ds.name)))?,
        None => 0,
    };
    let max_history = every_user::max_history(&a.model, &vocab, s.slots);
    let history = logged_history(ds, &d.protocol, u, max_history);
    let sampler = crate::jobs::every::sampler(s);
    let mut model = a.model.clone();
    let x = excluded(ds, &d.protocol, u);
    let t = now();
    let inference = infer(&mut model, &vocab, &history, &x, &sampler)?;
    let millis = now() - t;
    let beam = BeamConfig {
        items: s.slots,
        width: 20.max(s.slots),
    };
    let t = now();
    let ranked = ranked_decoder(a, rd, &mut model, &vocab, (&history, &x), &beam)?;
    let ranked_millis = now() - t;
    // In the reasoner's knowledge space, as `reaseq reasoner infer` measures it.
    let score = |i: u32| {
        rd.vectors
            .as_ref()
            .map(|v| semantic_consistency(v, &history, i))
    };
    let off_log = off_log_items(ds, &d.protocol, u);
    let named = history
        .iter()
        .chain(&off_log)
        .copied()
        .chain(inference.items.iter().flatten().copied())
        .chain(ranked.iter().map(|r| r.item));
    let titles = named
        .map(|i| (i, ds.items[i as usize].display_title()))
        .collect();
    Ok(Reasoning {
        user: u,
        user_name: ds.users.name(u).to_string(),
        off_log,
        titles,
        consistency: inference.items.iter().map(|i| i.and_then(score)).collect(),
        ranked_consistency: ranked.iter().map(|r| score(r.item)).collect(),
        history,
        inference,
        millis,
        ranked,
        ranked_millis,
        beam_width: beam.width,
        prior_weight: a.prior_weight,
    })
}
