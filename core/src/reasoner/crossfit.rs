//! Cross-fitting and evaluation of the reasoner against real off-log behaviour.
//!
//! No leakage: users are split into folds; each fold's sequences come from a reasoner trained
//! on the other folds only, and its input is only the user's logged pre-test history.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::data::protocol::{Part, Protocol};
use crate::data::Dataset;
use crate::error::Result;
use crate::metrics::ranking::{ndcg_at_k, recall_at_k};
use crate::rng::SeededRng;

use super::baselines::{top_k, OffLogBaseline, OffLogTransition};
use super::beam::{beam_items_with_prior, BeamConfig, ItemPrior};
use super::history::{logged_history, off_log_items};
use super::model::{DiffusionReasoner, ReasonerConfig};
use super::prior::{DecodingPrior, PriorWeight, PRIOR_WEIGHTS};
use super::sampler::{infer, Inference, SamplerConfig};
use super::slots::{checkpoints, excluded_prefix, logged_items, GbrSlots};
use super::train::{examples, train, Example, TrainConfig};
use super::vocab::ItemVocab;

#[derive(Debug, Clone, PartialEq)]
pub struct CrossFitConfig {
    pub folds: usize,
    pub max_history: usize,
    /// Self-supervised examples per training user (see [`examples`]).
    pub augment: usize,
    /// Also draw self-supervised examples from the held-out fold's logged events (never its
    /// off-log ones), which roughly doubles them without leaking.
    pub augment_all_users: bool,
    /// Times each off-log example enters an epoch (each with its own masks): the real target
    /// behaviour weighs this much more than the self-supervised examples.
    pub off_log_repeat: usize,
    pub model: ReasonerConfig,
    pub train: TrainConfig,
    pub sampler: SamplerConfig,
    /// Share of each fold's training users kept out of training to measure validation
    /// Recall@M after every epoch; the best epoch's model is kept.
    pub validation: f64,
    /// Epochs without a better validation recall before training stops.
    pub patience: usize,
    /// How each user's ranked list (validation, GBR sequences, evaluation) is decoded.
    pub decoding: Decoding,
    /// Multiply training popularity into the beam (`log p + λ · log popularity`), with λ
    /// chosen per fold on its validation users from [`PRIOR_WEIGHTS`].
    pub popularity_prior: bool,
    /// Also let the prior mix in co-occurrence with the user's history (β chosen with λ
    /// from [`super::prior::PRIOR_MIXES`]); only with `popularity_prior`.
    pub cooccurrence_prior: bool,
    pub seed: u64,
}

/// How a user's top-M inferred items are decoded from a fold's reasoner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decoding {
    /// The diffusion sampler's M slots, most confident first.
    Diffusion,
    /// A beam of this width down the semantic-ID trie for one slot, the best M leaves.
    Beam { width: usize },
}

impl Decoding {
    pub fn describe(self) -> String {
        match self {
            Decoding::Diffusion => "diffusion sampler".into(),
            Decoding::Beam { width } => format!("beam over the trie (width {width})"),
        }
    }
}

/// A user's ranked inferred items under `decoding` (the prior and its weight apply to the beam).
pub fn ranked_items(
    model: &mut DiffusionReasoner,
    vocab: &ItemVocab,
    history: &[u32],
    excluded: &[bool],
    sampler: &SamplerConfig,
    decoding: Decoding,
    prior: Option<(&ItemPrior, f32)>,
) -> Result<Vec<u32>> {
    Ok(match decoding {
        Decoding::Diffusion => ranked(&infer(model, vocab, history, excluded, sampler)?),
        Decoding::Beam { width } => {
            let cfg = BeamConfig {
                items: sampler.slots,
                width,
            };
            beam_items_with_prior(model, vocab, history, excluded, &cfg, prior)?
                .0
                .into_iter()
                .map(|(i, _)| i)
                .collect()
        }
    })
}

/// Seeded fold of every user.
pub fn user_folds(num_users: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..num_users).collect();
    SeededRng::derive(seed, 23).shuffle(&mut order);
    let mut fold = vec![0; num_users];
    for (rank, &u) in order.iter().enumerate() {
        fold[u] = rank % folds.max(1);
    }
    fold
}

/// What cross-fitting produced: each user's inferred items (from the reasoner that never saw
/// them), a trace per user, and one trained model (fold 0's) for the workbench.
pub struct CrossFit {
    pub inferred: Vec<Vec<u32>>,
    pub inferences: Vec<Option<Inference>>,
    pub epochs: Vec<Vec<FoldEpoch>>,
    /// Per fold, the epoch whose model was kept (best validation recall).
    pub best_epoch: Vec<usize>,
    /// Every fold's reasoner, and each user's fold (to infer again with other sampler settings).
    pub models: Vec<DiffusionReasoner>,
    pub fold: Vec<usize>,
    /// The beam's prior, when configured, and each fold's chosen λ and mixture.
    pub prior: Option<DecodingPrior>,
    pub prior_weight: Vec<PriorWeight>,
    /// Per fold, the validation Recall@M of every (λ, β) tried, in the order tried (the
    /// model alone first).
    pub prior_search: Vec<Vec<(PriorWeight, f64)>>,
}

/// Per user: the ranked inferred items, and the full inference (None without history).
pub type Inferred = (Vec<Vec<u32>>, Vec<Option<Inference>>);

impl CrossFit {
    /// Fold 0's reasoner (trained on the other folds' users), the one the workbench ships.
    pub fn model(&self) -> &DiffusionReasoner {
        &self.models[0]
    }

    /// Per fold, the best (λ, β) on validation among those with a popularity-only prior
    /// (β = 0): what the decoder chose before co-occurrence could be mixed in.
    pub fn popularity_only_weight(&self) -> Vec<PriorWeight> {
        self.prior_search
            .iter()
            .map(|grid| best_weight(grid.iter().filter(|(w, _)| w.mix == 0.0)))
            .collect()
    }
}

/// The first of the best: ties go to the earlier (smaller) setting.
fn best_weight<'a>(grid: impl Iterator<Item = &'a (PriorWeight, f64)>) -> PriorWeight {
    let mut best: Option<&(PriorWeight, f64)> = None;
    for g in grid {
        if best.is_none_or(|b| g.1 > b.1) {
            best = Some(g);
        }
    }
    best.map(|b| b.0).unwrap_or_default()
}

/// A user's prior at weight `w`, ready for the beam (None: the model alone).
fn user_prior<'a>(
    prior: Option<(&'a DecodingPrior, PriorWeight)>,
    history: &[u32],
) -> Result<Option<(Cow<'a, ItemPrior>, f32)>> {
    match prior {
        Some((q, w)) if w.lambda != 0.0 => Ok(Some((q.for_user(history, w.mix)?, w.lambda))),
        _ => Ok(None),
    }
}

/// How every user's list is decoded from a cross-fit: its fold models and prior, the history
/// they read, the sampler, the decoding and each fold's prior weight (None: the model alone).
#[derive(Clone, Copy)]
pub struct Decoder<'a> {
    pub vocab: &'a ItemVocab,
    pub fit: &'a CrossFit,
    pub max_history: usize,
    pub sampler: &'a SamplerConfig,
    pub decoding: Decoding,
    pub weights: Option<&'a [PriorWeight]>,
}

/// Every user's inferred items from the reasoner of their fold (never one that saw them),
/// decoded as `decoding` says (with the prior at each fold's `weights`, when given), and the
/// diffusion sampler's inference (with its trace). On `threads` threads ([`inference_threads`]): each user is seeded on its own, so any
/// number gives the same lists.
pub fn infer_all(
    ds: &Dataset,
    protocol: &Protocol,
    decoder: &Decoder,
    threads: usize,
) -> Result<Inferred> {
    let d = *decoder;
    let n = ds.num_users();
    // Each user's inference is seeded on its own, so users may be split across threads (each
    // with its own copy of the fold models) and give what one thread would.
    let one = |users: std::ops::Range<u32>| -> Result<Vec<(Vec<u32>, Option<Inference>)>> {
        let mut models = d.fit.models.clone();
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let history = logged_history(ds, protocol, u, d.max_history);
            if history.is_empty() {
                out.push((Vec::new(), None));
                continue;
            }
            let f = d.fit.fold[u as usize];
            let model = &mut models[f];
            let x = excluded(ds, protocol, u);
            let inference = infer(model, d.vocab, &history, &x, d.sampler)?;
            let items = match d.decoding {
                Decoding::Diffusion => ranked(&inference),
                _ => {
                    let w = d.weights.and_then(|w| w.get(f).copied());
                    let prior = user_prior(d.fit.prior.as_ref().zip(w), &history)?;
                    let prior = prior.as_ref().map(|(q, l)| (q.as_ref(), *l));
                    ranked_items(model, d.vocab, &history, &x, d.sampler, d.decoding, prior)?
                }
            };
            out.push((items, Some(inference)));
        }
        Ok(out)
    };
    let mut inferred = Vec::with_capacity(n);
    let mut inferences = Vec::with_capacity(n);
    for (items, inference) in in_chunks(n, threads, one)? {
        inferred.push(items);
        inferences.push(inference);
    }
    Ok((inferred, inferences))
}

/// `one` over `0..n` (users, or folds) in contiguous ranges on up to `threads` threads,
/// concatenated in order (each seeded on its own, so any number of threads gives the same).
fn in_chunks<T: Send>(
    n: usize,
    threads: usize,
    one: impl Fn(std::ops::Range<u32>) -> Result<Vec<T>> + Sync,
) -> Result<Vec<T>> {
    let chunks = user_chunks(n, threads);
    let parts: Vec<Result<Vec<T>>> = if chunks.len() <= 1 {
        chunks.into_iter().map(&one).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks.into_iter().map(|c| scope.spawn(|| one(c))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(crate::error::Error::Model(
                            "an inference thread panicked".into(),
                        ))
                    })
                })
                .collect()
        })
    };
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Time-windowed GBR sequences: each user's ranked items inferred (by the reasoner of their
/// fold, decoded as `decoding` says) at every checkpoint of their logged timeline
/// ([`checkpoints`] every `every` events), each from the logged events before it only and
/// excluding just those, so a ranker row can read a sequence that has not seen it. The beam's
/// popularity prior leaves the user's own training events out (they include later ones); a
/// prior that mixes in co-occurrence is refused (its pairs hold the user's later events).
pub fn infer_windowed(
    ds: &Dataset,
    protocol: &Protocol,
    decoder: &Decoder,
    every: usize,
    threads: usize,
) -> Result<GbrSlots> {
    let d = *decoder;
    if d.weights
        .is_some_and(|w| w.iter().any(|w| w.mix > 0.0 && w.lambda != 0.0))
    {
        return Err(crate::error::Error::Config(
            "time-windowed GBR cannot decode with the co-occurrence prior (its item pairs hold \
             each user's later events): refit without --cooccurrence-prior"
                .into(),
        ));
    }
    let counts = protocol.train_popularity(ds);
    let one = |users: std::ops::Range<u32>| -> Result<Vec<(u32, u32, Vec<u32>)>> {
        let mut models = d.fit.models.clone();
        let mut out = Vec::new();
        for u in users {
            let logged = logged_items(ds, protocol, u);
            let f = d.fit.fold[u as usize];
            let lambda = match d.fit.prior {
                Some(_) => d.weights.and_then(|w| w.get(f)).map_or(0.0, |w| w.lambda),
                None => 0.0,
            };
            // Popularity without this user's own training events.
            let prior = (lambda != 0.0).then(|| {
                let mut c = counts.clone();
                for i in protocol.events(u, Part::Train) {
                    c[ds.interactions[i as usize].item as usize] -= 1;
                }
                ItemPrior::popularity(&c)
            });
            for c in checkpoints(logged.len(), every) {
                let prefix = &logged[..c as usize];
                let history = &prefix[prefix.len().saturating_sub(d.max_history)..];
                let items = if history.is_empty() {
                    Vec::new()
                } else {
                    let x = excluded_prefix(ds.num_items(), prefix);
                    let prior = prior.as_ref().map(|q| (q, lambda));
                    let model = &mut models[f];
                    ranked_items(model, d.vocab, history, &x, d.sampler, d.decoding, prior)?
                };
                out.push((u, c, items));
            }
        }
        Ok(out)
    };
    let mut slots = GbrSlots {
        windowed: true,
        ..GbrSlots::default()
    };
    for (u, c, items) in in_chunks(ds.num_users(), threads, one)? {
        slots.users.push(u);
        slots.logged.push(c);
        slots.sequences.push(items);
    }
    Ok(slots)
}

/// Threads for inference: the cores natively, one in the browser (no threads there).
pub fn inference_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// `0..n` in at most `parts` contiguous ranges, in order.
fn user_chunks(n: usize, parts: usize) -> Vec<std::ops::Range<u32>> {
    let size = n.div_ceil(parts.max(1)).max(1);
    (0..n)
        .step_by(size)
        .map(|start| start as u32..(start + size).min(n) as u32)
        .collect()
}

pub use super::evaluation::{FoldEpoch, PlantedRecovery};
pub use super::history::excluded;

/// Cross-fits the reasoner: each fold's model is trained on the other folds' users (early
/// stopping on validation Recall@M, the prior's weight chosen on validation users), and every
/// user's sequence is inferred by the model of their fold. The folds train at once on up to
/// [`inference_threads`] threads: each is seeded on its own, so the models do not depend on it.
pub fn cross_fit(
    ds: &Dataset,
    protocol: &Protocol,
    vocab: &ItemVocab,
    cfg: &CrossFitConfig,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CrossFit> {
    let n = ds.num_users();
    let fold = user_folds(n, cfg.folds, cfg.seed);
    let prior = cfg
        .popularity_prior
        .then(|| DecodingPrior::for_protocol(ds, protocol, cfg.cooccurrence_prior));
    let evaluated = evaluated_users(ds, protocol);
    let ctx = FoldContext {
        ds,
        protocol,
        vocab,
        cfg,
        fold: &fold,
        prior: prior.as_ref(),
        evaluated: &evaluated,
        progress,
    };
    let folds = in_chunks(cfg.folds.max(1), inference_threads(), |r| {
        r.map(|f| ctx.fit(f as usize)).collect()
    })?;
    let mut fit = CrossFit {
        inferred: Vec::new(),
        inferences: Vec::new(),
        epochs: Vec::new(),
        best_epoch: Vec::new(),
        models: Vec::new(),
        fold,
        prior,
        prior_weight: Vec::new(),
        prior_search: Vec::new(),
    };
    for f in folds {
        fit.prior_weight.push(best_weight(f.grid.iter()));
        fit.prior_search.push(f.grid);
        fit.best_epoch.push(f.best_epoch);
        fit.epochs.push(f.log);
        fit.models.push(f.model);
    }
    let chosen = fit.prior_weight.clone();
    let decoder = Decoder {
        vocab,
        fit: &fit,
        max_history: cfg.max_history,
        sampler: &cfg.sampler,
        decoding: cfg.decoding,
        weights: Some(&chosen),
    };
    let (inferred, inferences) = infer_all(ds, protocol, &decoder, inference_threads())?;
    fit.inferred = inferred;
    fit.inferences = inferences;
    Ok(fit)
}

/// What every fold's fit reads.
struct FoldContext<'a> {
    ds: &'a Dataset,
    protocol: &'a Protocol,
    vocab: &'a ItemVocab,
    cfg: &'a CrossFitConfig,
    fold: &'a [usize],
    prior: Option<&'a DecodingPrior>,
    /// Users with off-log behaviour to recover (sorted).
    evaluated: &'a [u32],
    progress: &'a (dyn Fn(&str) + Sync),
}

/// One fold's model, its epochs, the epoch kept and the prior weights tried.
struct FoldFit {
    model: DiffusionReasoner,
    log: Vec<FoldEpoch>,
    best_epoch: usize,
    grid: Vec<(PriorWeight, f64)>,
}

impl FoldContext<'_> {
    fn fit(&self, f: usize) -> Result<FoldFit> {
        let (ds, protocol, vocab, cfg) = (self.ds, self.protocol, self.vocab, self.cfg);
        let progress = self.progress;
        let fold = self.fold;
        let n = ds.num_users();
        let mut train_users: Vec<u32> = (0..n as u32).filter(|&u| fold[u as usize] != f).collect();
        SeededRng::derive(cfg.seed.wrapping_add(f as u64), 29).shuffle(&mut train_users);
        let n_valid = (train_users.len() as f64 * cfg.validation.clamp(0.0, 0.5)).round() as usize;
        let valid_users: Vec<u32> = {
            let mut v = train_users.split_off(train_users.len() - n_valid);
            v.sort_unstable();
            v.retain(|u| self.evaluated.binary_search(u).is_ok());
            v
        };
        train_users.sort_unstable();
        let self_supervised: Vec<u32> = if cfg.augment_all_users {
            (0..n as u32)
                .filter(|u| valid_users.binary_search(u).is_err())
                .collect()
        } else {
            train_users.clone()
        };
        // Fresh self-supervised hold-outs every epoch: many more distinct examples than a
        // fixed draw, at no extra cost per epoch.
        let count = std::cell::Cell::new(0);
        let mut ex = |epoch: usize| {
            let mut e = examples(
                ds,
                protocol,
                &train_users,
                &self_supervised,
                cfg.max_history,
                cfg.sampler.slots,
                cfg.augment,
                cfg.seed
                    .wrapping_add(f as u64)
                    .wrapping_add((epoch as u64) << 32),
            );
            let off_log: Vec<Example> = e.iter().filter(|x| !x.self_supervised).cloned().collect();
            let extra: Vec<Example> = (1..cfg.off_log_repeat.max(1))
                .flat_map(|_| off_log.iter().cloned())
                .collect();
            e.extend(extra);
            count.set(e.len());
            e
        };
        let init = DiffusionReasoner::init(cfg.model, cfg.seed.wrapping_add(f as u64))?;
        let mut log: Vec<FoldEpoch> = Vec::new();
        let tc = TrainConfig {
            seed: cfg.train.seed.wrapping_add(f as u64),
            ..cfg.train.clone()
        };
        let mut best: Option<(f64, usize, DiffusionReasoner)> = None;
        let last = train(&init, vocab, &mut ex, &tc, &mut |r, model| {
            let valid_recall = if valid_users.is_empty() {
                None
            } else {
                Some(validation_recall(
                    ds,
                    protocol,
                    vocab,
                    model,
                    &valid_users,
                    cfg,
                    None,
                )?)
            };
            progress(&format!(
                "fold {}/{}: epoch {} loss {:.3}{} ({} examples)",
                f + 1,
                cfg.folds,
                r.epoch + 1,
                r.loss,
                valid_recall.map_or(String::new(), |v| format!(
                    ", validation Recall@{} {v:.4}",
                    cfg.sampler.slots
                )),
                count.get()
            ));
            log.push(FoldEpoch {
                epoch: r.epoch,
                loss: r.loss,
                valid_recall,
            });
            let Some(v) = valid_recall else {
                return Ok(true);
            };
            if best.as_ref().is_none_or(|b| v > b.0) {
                best = Some((v, r.epoch, model.clone()));
            }
            Ok(best
                .as_ref()
                .is_some_and(|b| r.epoch < b.1 + cfg.patience.max(1)))
        })?;
        let (model, epoch, kept_recall) = match best {
            Some((v, e, m)) => (m, e, Some(v)),
            None => (last, log.len().saturating_sub(1), None),
        };
        // The prior's weight and mixture, chosen on this fold's validation users (ties: the
        // first tried, so the smaller). λ = 0 is the model alone, whose validation recall early
        // stopping already measured.
        let mut grid = Vec::new();
        if let (Some(q), Some(alone)) = (self.prior, kept_recall) {
            grid.push((PriorWeight::default(), alone));
            for &mix in q.mixes() {
                for lambda in PRIOR_WEIGHTS.into_iter().filter(|&w| w > 0.0) {
                    let w = PriorWeight { lambda, mix };
                    let r = validation_recall(
                        ds,
                        protocol,
                        vocab,
                        &model,
                        &valid_users,
                        cfg,
                        Some((q, w)),
                    )?;
                    progress(&format!(
                        "fold {}/{}: prior λ = {lambda}, co-occurrence mix β = {mix}: validation Recall@{} {r:.4}",
                        f + 1,
                        cfg.folds,
                        cfg.sampler.slots
                    ));
                    grid.push((w, r));
                }
            }
        }
        Ok(FoldFit {
            model,
            log,
            best_epoch: epoch,
            grid,
        })
    }
}

/// Mean Recall@M over `users` of `model`'s ranked lists.
fn validation_recall(
    ds: &Dataset,
    protocol: &Protocol,
    vocab: &ItemVocab,
    model: &DiffusionReasoner,
    users: &[u32],
    cfg: &CrossFitConfig,
    prior: Option<(&DecodingPrior, PriorWeight)>,
) -> Result<f64> {
    let mut m = model.clone();
    let mut by_user = vec![Vec::new(); ds.num_users()];
    for &u in users {
        let h = logged_history(ds, protocol, u, cfg.max_history);
        let x = excluded(ds, protocol, u);
        let q = user_prior(prior, &h)?;
        let q = q.as_ref().map(|(q, l)| (q.as_ref(), *l));
        by_user[u as usize] = ranked_items(&mut m, vocab, &h, &x, &cfg.sampler, cfg.decoding, q)?;
    }
    Ok(score_lists(ds, protocol, users, &by_user, cfg.sampler.slots).mean_recall())
}

pub use super::history::ranked;

/// Recall@K and NDCG@K of one method, per evaluated user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffLogScores {
    pub users: Vec<u32>,
    pub recall: Vec<f64>,
    pub ndcg: Vec<f64>,
}

impl OffLogScores {
    pub fn mean_recall(&self) -> f64 {
        mean(&self.recall)
    }

    pub fn mean_ndcg(&self) -> f64 {
        mean(&self.ndcg)
    }
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

/// Users with logged history and at least one off-log event: the evaluation population.
pub fn evaluated_users(ds: &Dataset, protocol: &Protocol) -> Vec<u32> {
    (0..ds.num_users() as u32)
        .filter(|&u| {
            protocol.events(u, Part::OffLog).next().is_some()
                && protocol
                    .events(u, Part::Train)
                    .chain(protocol.events(u, Part::Valid))
                    .next()
                    .is_some()
        })
        .collect()
}

/// Scores ranked lists (`lists[user]`) against each user's off-log items.
pub fn score_lists(
    ds: &Dataset,
    protocol: &Protocol,
    users: &[u32],
    lists: &[Vec<u32>],
    k: usize,
) -> OffLogScores {
    let mut out = OffLogScores {
        users: Vec::new(),
        recall: Vec::new(),
        ndcg: Vec::new(),
    };
    for &u in users {
        let relevant = off_log_items(ds, protocol, u);
        let list = &lists[u as usize];
        if let (Some(r), Some(n)) = (
            recall_at_k(list, &relevant, k),
            ndcg_at_k(list, &relevant, k),
        ) {
            out.users.push(u);
            out.recall.push(r);
            out.ndcg.push(n);
        }
    }
    out
}

/// A baseline's top-K list for every user (empty for users outside `users`).
pub fn baseline_lists(
    ds: &Dataset,
    protocol: &Protocol,
    baseline: &dyn OffLogBaseline,
    users: &[u32],
    max_history: usize,
    k: usize,
) -> Vec<Vec<u32>> {
    let mut lists = vec![Vec::new(); ds.num_users()];
    for &u in users {
        let history = logged_history(ds, protocol, u, max_history);
        let scores = baseline.scores(&history);
        lists[u as usize] = top_k(&scores, &excluded(ds, protocol, u), k);
    }
    lists
}

/// The off-log transition model's top-K lists ([`OffLogTransition`]), each user's from the
/// model fitted on the other folds' users, as the reasoner that infers for them was.
pub fn transition_lists(
    ds: &Dataset,
    protocol: &Protocol,
    fold: &[usize],
    users: &[u32],
    max_history: usize,
    k: usize,
) -> Vec<Vec<u32>> {
    let folds = fold.iter().max().map_or(0, |f| f + 1);
    let mut lists = vec![Vec::new(); ds.num_users()];
    for f in 0..folds {
        let in_fold = |u: &u32| fold.get(*u as usize) == Some(&f);
        let others: Vec<u32> = (0..ds.num_users() as u32).filter(|u| !in_fold(u)).collect();
        let mine: Vec<u32> = users.iter().copied().filter(in_fold).collect();
        let model = OffLogTransition::fit(ds, protocol, &others, max_history);
        let mut part = baseline_lists(ds, protocol, &model, &mine, max_history, k);
        for &u in &mine {
            lists[u as usize] = std::mem::take(&mut part[u as usize]);
        }
    }
    lists
}

pub fn planted_recovery(
    ds: &Dataset,
    protocol: &Protocol,
    truth: &crate::data::GroundTruth,
    users: &[u32],
    lists: &[Vec<u32>],
    k: usize,
) -> PlantedRecovery {
    let (mut share, mut recall) = (Vec::new(), Vec::new());
    for &u in users {
        if truth.off_platform_genre.get(u as usize).is_none() {
            continue;
        }
        let list = &lists[u as usize];
        let top = &list[..list.len().min(k)];
        let in_partner = top
            .iter()
            .filter(|&&i| truth.in_partner_genre(u, i))
            .count();
        share.push(in_partner as f64 / k.max(1) as f64);
        let relevant: Vec<u32> = off_log_items(ds, protocol, u)
            .into_iter()
            .filter(|&i| truth.in_partner_genre(u, i))
            .collect();
        recall.extend(recall_at_k(list, &relevant, k));
    }
    PlantedRecovery {
        partner_share: mean(&share),
        partner_recall: mean(&recall),
        partner_recalls: recall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_search_keeps_the_first_best() {
        let w = |lambda, mix| PriorWeight { lambda, mix };
        let grid = [
            (w(0.0, 0.0), 0.30),
            (w(0.5, 0.0), 0.34),
            (w(1.0, 0.0), 0.34),
            (w(0.5, 0.5), 0.36),
        ];
        // A tie goes to the setting tried first (the smaller λ).
        assert_eq!(best_weight(grid[..3].iter()), w(0.5, 0.0));
        assert_eq!(best_weight(grid.iter()), w(0.5, 0.5));
        assert_eq!(best_weight([].iter()), PriorWeight::default());
        // The popularity-only choice: the best among β = 0.
        assert_eq!(
            best_weight(grid.iter().filter(|(w, _)| w.mix == 0.0)),
            w(0.5, 0.0)
        );
    }

    use crate::data::protocol::impressions;
    use crate::data::{BeyondLog, LabelPolicy, SplitConfig, SyntheticConfig, SyntheticWorld};
    use crate::knowledge::semantic_id::RqConfig;
    use crate::ranker::{ranker_examples, HistoryEvents};
    use crate::reasoner::codes::blended_codes;

    /// A 40-user world under its planted protocol, blended codes over toy vectors, and a tiny
    /// cross-fit configuration with the prior (whose popularity must not leak either).
    fn tiny() -> (Dataset, Protocol, Vec<Vec<f32>>, RqConfig, CrossFitConfig) {
        let world = SyntheticWorld::generate(&SyntheticConfig {
            users: 40,
            items: 120,
            seed: 4,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let ds = world.dataset;
        let mode = BeyondLog::Planted {
            off_log: world.truth.off_log,
        };
        let protocol = Protocol::new(&ds, SplitConfig::default(), &mode, 4).unwrap();
        let vectors: Vec<Vec<f32>> = (0..ds.num_items())
            .map(|i| vec![(i % 7) as f32, (i % 5) as f32, 1.0])
            .collect();
        let rq = RqConfig {
            levels: 2,
            codebook_size: 4,
            ..RqConfig::default()
        };
        let cfg = CrossFitConfig {
            folds: 2,
            max_history: 6,
            augment: 1,
            augment_all_users: true,
            off_log_repeat: 2,
            model: ReasonerConfig {
                // The codes' vocabulary and length, set once they are built.
                vocab: 0,
                max_len: 0,
                dim: 8,
                layers: 1,
                heads: 2,
                ffn: 16,
            },
            train: TrainConfig {
                epochs: 2,
                ..TrainConfig::default()
            },
            sampler: SamplerConfig {
                slots: 3,
                steps: 3,
                ..SamplerConfig::default()
            },
            validation: 0.2,
            decoding: Decoding::Beam { width: 4 },
            popularity_prior: true,
            cooccurrence_prior: true,
            patience: 2,
            seed: 4,
        };
        (ds, protocol, vectors, rq, cfg)
    }

    /// No leakage: altering a user's off-log and test events leaves that user's inferred
    /// sequence exactly as it was.
    #[test]
    fn a_users_inference_ignores_their_own_off_log_and_test_events() {
        let (mut ds, protocol, vectors, rq, mut cfg) = tiny();
        // The codes blend in logged behaviour, so they are rebuilt from the altered data below.
        let ids = blended_codes(&ds, &protocol, &vectors, &rq).unwrap();
        let vocab = ItemVocab::new(&ids).unwrap();
        (cfg.model.vocab, cfg.model.max_len) = (vocab.size(), 2 + (6 + 3) * vocab.levels());
        let before = cross_fit(&ds, &protocol, &vocab, &cfg, &|_| {}).unwrap();
        // One thread or several, every user gets the same inference.
        let w = before.prior_weight.clone();
        let decoder = Decoder {
            vocab: &vocab,
            fit: &before,
            max_history: 6,
            sampler: &cfg.sampler,
            decoding: cfg.decoding,
            weights: Some(&w),
        };
        let infer_on = |threads| infer_all(&ds, &protocol, &decoder, threads).unwrap();
        let (one, three) = (infer_on(1), infer_on(3));
        assert_eq!(one.0, three.0);
        assert_eq!(one.0, before.inferred);
        let user = evaluated_users(&ds, &protocol)[0];
        let mut altered = 0;
        for &i in &protocol.timelines[user as usize] {
            if matches!(protocol.parts[i as usize], Part::OffLog | Part::Test) {
                let it = &mut ds.interactions[i as usize];
                it.item = (it.item + 17) % ds.items.len() as u32;
                altered += 1;
            }
        }
        assert!(altered > 0);
        let ids_after = blended_codes(&ds, &protocol, &vectors, &rq).unwrap();
        assert_eq!(ids.codes, ids_after.codes);
        let vocab = ItemVocab::new(&ids_after).unwrap();
        let after = cross_fit(&ds, &protocol, &vocab, &cfg, &|_| {}).unwrap();
        assert_eq!(
            before.inferred[user as usize],
            after.inferred[user as usize]
        );
        assert!(!before.inferred[user as usize].is_empty());
        // The alteration was seen: it changed the training data of the other fold's model.
        assert_ne!(before.epochs, after.epochs);
    }

    /// No look-ahead: a time-windowed sequence reads only the log before its checkpoint.
    /// Altering a user's logged events from a checkpoint on (and their off-log and test events)
    /// leaves every one of their sequences up to it exactly as it was, and every row reads a
    /// sequence whose prefix ends at or before the row.
    #[test]
    fn time_windowed_sequences_never_read_the_log_after_them() {
        let (mut ds, protocol, vectors, rq, mut cfg) = tiny();
        cfg.cooccurrence_prior = false;
        let ids = blended_codes(&ds, &protocol, &vectors, &rq).unwrap();
        let vocab = ItemVocab::new(&ids).unwrap();
        (cfg.model.vocab, cfg.model.max_len) = (vocab.size(), 2 + (6 + 3) * vocab.levels());
        let fit = cross_fit(&ds, &protocol, &vocab, &cfg, &|_| {}).unwrap();
        // Decode with the prior, so its popularity is checked too.
        let w = vec![
            PriorWeight {
                lambda: 1.0,
                mix: 0.0
            };
            2
        ];
        let decoder = Decoder {
            vocab: &vocab,
            fit: &fit,
            max_history: 6,
            sampler: &cfg.sampler,
            decoding: Decoding::Beam { width: 4 },
            weights: Some(&w),
        };
        let windowed =
            |ds: &Dataset, threads| infer_windowed(ds, &protocol, &decoder, 3, threads).unwrap();
        let before = windowed(&ds, 1);
        assert_eq!(before, windowed(&ds, 2));
        let mixed = [PriorWeight {
            lambda: 1.0,
            mix: 0.5,
        }; 2];
        let with_mix = Decoder {
            weights: Some(&mixed),
            ..decoder
        };
        assert!(infer_windowed(&ds, &protocol, &with_mix, 3, 1).is_err());

        // Every row reads a sequence made from the log before it; test rows the whole log.
        let imp = impressions(&ds, &protocol, LabelPolicy::default(), 1, 4).unwrap();
        let mut rows = ranker_examples(
            &ds,
            &protocol,
            &imp,
            LabelPolicy::default(),
            HistoryEvents::All,
            30,
        )
        .unwrap();
        before.assign(ds.num_users(), &mut rows).unwrap();
        for e in &rows {
            let k = e.gbr_slot as usize;
            assert_eq!(before.users[k], e.user);
            assert!(
                before.logged[k] <= e.logged_before,
                "a row reads a later prefix"
            );
            if e.part == Part::Test {
                assert_eq!(
                    before.logged[k] as usize,
                    logged_items(&ds, &protocol, e.user).len()
                );
            }
        }
        assert!(rows
            .iter()
            .any(|e| e.part == Part::Train && before.logged[e.gbr_slot as usize] > 0));

        let user = (0..ds.num_users() as u32)
            .find(|&u| logged_items(&ds, &protocol, u).len() >= 8)
            .unwrap();
        let cut = 3u32;
        let mut seen = 0;
        for &i in &protocol.timelines[user as usize] {
            let later = match protocol.parts[i as usize] {
                Part::Train | Part::Valid => {
                    seen += 1;
                    seen > cut
                }
                Part::OffLog | Part::Test => true,
            };
            if later {
                let it = &mut ds.interactions[i as usize];
                it.item = (it.item + 17) % ds.items.len() as u32;
            }
        }
        let after = windowed(&ds, 1);
        let mine = |s: &GbrSlots, upto: bool| -> Vec<Vec<u32>> {
            (0..s.len())
                .filter(|&k| s.users[k] == user && (s.logged[k] <= cut) == upto)
                .map(|k| s.sequences[k].clone())
                .collect()
        };
        assert!(mine(&before, true).iter().any(|s| !s.is_empty()));
        assert_eq!(mine(&before, true), mine(&after, true));
        // The alteration is read from the next checkpoint on.
        assert_ne!(mine(&before, false), mine(&after, false));
    }

    #[test]
    fn planted_recovery_counts_the_partner_genre_only() {
        let world = SyntheticWorld::generate(&SyntheticConfig {
            users: 30,
            items: 160,
            seed: 2,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let (ds, truth) = (&world.dataset, &world.truth);
        let mode = BeyondLog::Planted {
            off_log: truth.off_log.clone(),
        };
        let protocol = Protocol::new(ds, SplitConfig::default(), &mode, 2).unwrap();
        let users = evaluated_users(ds, &protocol);
        // A list of the user's own partner-genre off-log items, and one with none of that genre.
        let partner = |u: u32, want: bool| -> Vec<u32> {
            let g = truth.off_platform_genre[u as usize];
            (0..ds.num_items() as u32)
                .filter(|&i| (truth.item_genre[i as usize] == g) == want)
                .collect()
        };
        let perfect: Vec<Vec<u32>> = (0..ds.num_users() as u32)
            .map(|u| {
                let g = truth.off_platform_genre[u as usize];
                let mut l: Vec<u32> = off_log_items(ds, &protocol, u)
                    .into_iter()
                    .filter(|&i| truth.item_genre[i as usize] == g)
                    .collect();
                let rest: Vec<u32> = partner(u, true)
                    .into_iter()
                    .filter(|i| !l.contains(i))
                    .collect();
                l.extend(rest);
                l
            })
            .collect();
        let none: Vec<Vec<u32>> = (0..ds.num_users() as u32)
            .map(|u| partner(u, false))
            .collect();
        let hit = planted_recovery(ds, &protocol, truth, &users, &perfect, 10);
        let miss = planted_recovery(ds, &protocol, truth, &users, &none, 10);
        assert!(
            hit.partner_share > 0.99 && hit.partner_recall > 0.9,
            "{hit:?}"
        );
        assert_eq!((miss.partner_share, miss.partner_recall), (0.0, 0.0));
    }

    #[test]
    fn users_split_into_ordered_chunks_that_cover_them() {
        assert_eq!(user_chunks(5, 2), vec![0..3, 3..5]);
        assert_eq!(user_chunks(1, 4), vec![0..1]);
        assert!(user_chunks(0, 2).is_empty());
    }

    #[test]
    fn folds_are_balanced_and_seeded() {
        let f = user_folds(10, 3, 1);
        assert_eq!(f, user_folds(10, 3, 1));
        for k in 0..3 {
            let c = f.iter().filter(|&&x| x == k).count();
            assert!((3..=4).contains(&c));
        }
    }

    #[test]
    fn paired_bootstrap_sees_a_clear_difference() {
        let a: Vec<f64> = (0..200).map(|i| 0.3 + (i % 7) as f64 * 0.01).collect();
        let b: Vec<f64> = (0..200).map(|i| 0.1 + (i % 5) as f64 * 0.01).collect();
        let (est, lo, hi, p) =
            crate::metrics::bootstrap::paired_mean_bootstrap(&a, &b, 500, 3).unwrap();
        assert!(lo > 0.0 && hi > lo && est > 0.15 && p < 0.01);
    }
}
