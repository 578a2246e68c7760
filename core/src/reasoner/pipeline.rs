//! The reasoner's pipeline as library calls: its settings, its semantic IDs, cross-fitting, the
//! bundle and sequences it leaves, and its evaluation against the baselines. The CLI's `reaseq
//! reasoner` commands and `reaseq experiment` call these; they only read flags and write files.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use crate::metrics::bootstrap::paired_mean_bootstrap;
use crate::progress::Progress;

use super::baselines::{CoOccurrence, KnowledgeKnn, OffLogBaseline, Popularity};
use super::codes::blended_codes;
use super::crossfit::{
    baseline_lists, cross_fit, evaluated_users, infer_all, infer_windowed, inference_threads,
    planted_recovery, ranked, score_lists, transition_lists, user_folds, CrossFit, CrossFitConfig,
    Decoder, Decoding, FoldEpoch, OffLogScores, PlantedRecovery,
};
pub use super::evaluation::{
    BaselineTest, CurvePoint, DecoderScores, MethodScores, PairedMean, ReasonerEvaluation,
};
use super::population::population_report;
use super::sasrec::{sasrec_lists, SasRecConfig};
use super::train::TrainConfig;
use super::ReasonerConfig;
use super::{DecodingPrior, DiffusionReasoner, InferredSequences, ItemVocab, PriorWeight};
use super::{GbrSlots, SamplerConfig, SequenceProvenance};

/// What the reasoner's semantic IDs quantise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeSource {
    /// The item knowledge vectors, as the Knowledge view shows them.
    Knowledge,
    /// Those joined with a behaviour embedding of the logged events, so that items the same
    /// users log share their coarse codes.
    Blend,
}

impl CodeSource {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "knowledge" => Ok(Self::Knowledge),
            "blend" => Ok(Self::Blend),
            other => Err(Error::Config(format!(
                "--codes {other}: expected knowledge or blend"
            ))),
        }
    }
}

/// How each user's top-M list is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecoderKind {
    /// Down the semantic-ID trie, one slot.
    Beam,
    /// The diffusion sampler's M slots.
    Diffusion,
}

impl DecoderKind {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "beam" => Ok(Self::Beam),
            "diffusion" => Ok(Self::Diffusion),
            other => Err(Error::Config(format!(
                "--decoding {other}: expected beam or diffusion"
            ))),
        }
    }
}

/// Everything that shapes a cross-fitted reasoner.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonerSettings {
    /// Items inferred per user (M); Recall and NDCG are measured at M.
    pub slots: usize,
    /// Denoising steps (T).
    pub steps: usize,
    pub folds: usize,
    pub epochs: usize,
    pub patience: usize,
    /// Share of each fold's training users held out for validation.
    pub validation: f64,
    pub max_history: usize,
    pub augment: usize,
    pub augment_all_users: bool,
    pub off_log_repeat: usize,
    pub task_prompt: bool,
    pub dim: usize,
    pub layers: usize,
    pub seed: u64,
    pub decoding: DecoderKind,
    pub beam_width: usize,
    pub popularity_prior: bool,
    pub cooccurrence_prior: bool,
    pub codes: CodeSource,
}

impl ReasonerSettings {
    /// The defaults for a dataset, or for the small synthetic world (each chosen on validation
    /// recall): there patience 4, validation 0.2, augment 4, off-log repeat 12 and the task
    /// prompt, since its planted off-log behaviour differs from the log.
    pub fn defaults(synthetic: bool) -> Self {
        let pick = |dataset, synth| if synthetic { synth } else { dataset };
        Self {
            slots: 10,
            steps: 10,
            folds: 2,
            epochs: 30,
            patience: pick(3, 4),
            validation: if synthetic { 0.2 } else { 0.1 },
            max_history: 30,
            augment: pick(8, 4),
            augment_all_users: true,
            off_log_repeat: pick(1, 12),
            task_prompt: synthetic,
            dim: 64,
            layers: 2,
            seed: 0,
            decoding: DecoderKind::Beam,
            beam_width: 20,
            popularity_prior: true,
            cooccurrence_prior: false,
            codes: CodeSource::Blend,
        }
    }

    /// The beam, at least as wide as the slots it fills.
    pub fn beam(&self) -> Decoding {
        Decoding::Beam {
            width: self.beam_width.max(self.slots),
        }
    }

    pub fn decoding(&self) -> Decoding {
        match self.decoding {
            DecoderKind::Beam => self.beam(),
            DecoderKind::Diffusion => Decoding::Diffusion,
        }
    }

    pub fn crossfit(&self, vocab: &ItemVocab) -> CrossFitConfig {
        CrossFitConfig {
            folds: self.folds.max(2),
            max_history: self.max_history,
            augment: self.augment,
            augment_all_users: self.augment_all_users,
            off_log_repeat: self.off_log_repeat,
            model: ReasonerConfig {
                vocab: vocab.size(),
                max_len: 2 + (self.max_history + self.slots) * vocab.levels(),
                dim: self.dim,
                layers: self.layers,
                heads: 4,
                ffn: self.dim * 2,
            },
            train: TrainConfig {
                epochs: self.epochs,
                task_prompt: self.task_prompt,
                seed: self.seed,
                ..TrainConfig::default()
            },
            sampler: SamplerConfig {
                slots: self.slots,
                steps: self.steps,
                seed: self.seed,
                ..SamplerConfig::default()
            },
            validation: self.validation,
            patience: self.patience,
            popularity_prior: self.popularity_prior,
            cooccurrence_prior: self.cooccurrence_prior,
            decoding: self.decoding(),
            seed: self.seed,
        }
    }
}

/// The reasoner's semantic IDs: residual k-means over the knowledge vectors, or over each
/// knowledge vector joined with the item's behaviour embedding of the logged (train and
/// validation) events, both halves unit length.
pub fn reasoner_codes(
    data: &Prepared,
    knowledge: &[Vec<f32>],
    codes: CodeSource,
    seed: u64,
) -> Result<SemanticIds> {
    let rq = RqConfig {
        seed,
        ..RqConfig::default()
    };
    match codes {
        CodeSource::Knowledge => residual_quantise(knowledge, &rq),
        CodeSource::Blend => blended_codes(&data.ds, &data.protocol, knowledge, &rq),
    }
}

/// A cross-fitted reasoner and how it was made.
pub struct FittedReasoner {
    pub vocab: ItemVocab,
    pub cfg: CrossFitConfig,
    pub fit: CrossFit,
    pub seconds: f64,
}

/// Cross-fits the reasoner over user folds (early stopping on validation Recall@M).
pub fn fit_reasoner(
    data: &Prepared,
    ids: &SemanticIds,
    s: &ReasonerSettings,
    progress: &dyn Progress,
) -> Result<FittedReasoner> {
    let vocab = ItemVocab::new(ids)?;
    let cfg = s.crossfit(&vocab);
    let t = Instant::now();
    let fit = cross_fit(&data.ds, &data.protocol, &vocab, &cfg, &|l| {
        progress.message(l)
    })?;
    Ok(FittedReasoner {
        vocab,
        cfg,
        fit,
        seconds: t.elapsed().as_secs_f64(),
    })
}

impl FittedReasoner {
    /// A reasoner fitted before, from every fold's model and the prior weight it chose (its
    /// bundles): each user's sequence is inferred again by the fold that never saw them, as
    /// [`fit_reasoner`] did — seconds instead of the fit's hour. `s` must be the fit's settings.
    pub fn from_folds(
        data: &Prepared,
        ids: &SemanticIds,
        s: &ReasonerSettings,
        folds: Vec<(DiffusionReasoner, PriorWeight)>,
    ) -> Result<Self> {
        let t = Instant::now();
        let mut r = Self::fold_models(data, ids, s, folds)?;
        let decoder = Decoder {
            vocab: &r.vocab,
            fit: &r.fit,
            max_history: r.cfg.max_history,
            sampler: &r.cfg.sampler,
            decoding: r.cfg.decoding,
            weights: Some(&r.fit.prior_weight),
        };
        let (inferred, inferences) =
            infer_all(&data.ds, &data.protocol, &decoder, inference_threads())?;
        (r.fit.inferred, r.fit.inferences) = (inferred, inferences);
        r.seconds = t.elapsed().as_secs_f64();
        Ok(r)
    }

    /// Every fold's model and its prior, no user inferred yet: what time-windowed sequences
    /// ([`Self::windowed`]) start from.
    pub fn fold_models(
        data: &Prepared,
        ids: &SemanticIds,
        s: &ReasonerSettings,
        folds: Vec<(DiffusionReasoner, PriorWeight)>,
    ) -> Result<Self> {
        let vocab = ItemVocab::new(ids)?;
        let cfg = s.crossfit(&vocab);
        if folds.len() != cfg.folds {
            return Err(Error::Config(format!(
                "{} fold models for a {}-fold reasoner",
                folds.len(),
                cfg.folds
            )));
        }
        let (models, prior_weight): (Vec<_>, Vec<_>) = folds.into_iter().unzip();
        let fit = CrossFit {
            inferred: Vec::new(),
            inferences: Vec::new(),
            epochs: Vec::new(),
            best_epoch: Vec::new(),
            models,
            fold: user_folds(data.ds.num_users(), cfg.folds, cfg.seed),
            prior: cfg.popularity_prior.then(|| {
                DecodingPrior::for_protocol(&data.ds, &data.protocol, cfg.cooccurrence_prior)
            }),
            prior_weight,
            prior_search: Vec::new(),
        };
        Ok(Self {
            vocab,
            cfg,
            fit,
            seconds: 0.0,
        })
    }

    /// Time-windowed GBR sequences from the fold models ([`infer_windowed`]): every `every`
    /// logged events of each user, decoded as `decoding` says (the beam with each fold's prior).
    pub fn windowed(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        every: usize,
        decoding: DecoderKind,
    ) -> Result<GbrSlots> {
        let decoder = Decoder {
            vocab: &self.vocab,
            fit: &self.fit,
            max_history: self.cfg.max_history,
            sampler: &self.cfg.sampler,
            decoding: ReasonerSettings { decoding, ..*s }.decoding(),
            weights: Some(&self.fit.prior_weight),
        };
        infer_windowed(
            &data.ds,
            &data.protocol,
            &decoder,
            every,
            inference_threads(),
        )
    }
}

/// How a fit went, as `reaseq reasoner train --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct FitSummary {
    pub dataset: String,
    /// Each fold's best epoch (0-based).
    pub best_epochs: Vec<usize>,
    pub epochs: Vec<Vec<FoldEpoch>>,
    pub parameters: usize,
    pub seconds: f64,
}

impl FittedReasoner {
    pub fn summary(&self, data: &Prepared) -> FitSummary {
        FitSummary {
            dataset: data.ds.name.clone(),
            best_epochs: self.fit.best_epoch.clone(),
            epochs: self.fit.epochs.clone(),
            parameters: self.fit.model().num_parameters(),
            seconds: self.seconds,
        }
    }
}

/// The bundle metric naming a reasoner's fold.
pub const FOLD_METRIC: &str = "fold";

/// What a decoder's prior is called in reports.
const POPULARITY_PRIOR: &str = "popularity prior";

fn prior_name(prior: &Option<DecodingPrior>) -> Option<&'static str> {
    prior.as_ref().map(|q| {
        if q.has_cooccurrence() {
            "popularity/co-occurrence prior"
        } else {
            POPULARITY_PRIOR
        }
    })
}

/// A decoder's name in reports.
fn describe(d: Decoding, prior: Option<&str>) -> String {
    match prior {
        Some(p) => format!("{} + {p}", d.describe()),
        None => d.describe(),
    }
}

impl FittedReasoner {
    /// The headline decoder's name, e.g. `beam over the trie (width 20) + popularity prior`.
    pub fn decoding_name(&self) -> String {
        describe(self.cfg.decoding, prior_name(&self.fit.prior))
    }

    /// Fold `f`'s bundle, with what the workbench reads from its metrics: the validation
    /// recall, the training time and the prior's λ and β (so the page ranks as the sequences
    /// were). Fold 0's is the one the page replays; every fold's together remake the sequences.
    pub fn bundle(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        f: usize,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let fit = &self.fit;
        let model = fit.models.get(f).ok_or_else(|| {
            Error::Config(format!(
                "fold {f}: the reasoner has {} folds",
                fit.models.len()
            ))
        })?;
        let mut metrics = BTreeMap::new();
        // A reasoner remade from its bundles has no training log: no recall to record.
        if let Some(v) = (fit.epochs.get(f).zip(fit.best_epoch.get(f)))
            .and_then(|(log, &best)| log.get(best))
            .and_then(|e| e.valid_recall)
        {
            metrics.insert(format!("valid_recall_at_{}", s.slots), v);
        }
        metrics.insert("train_seconds".into(), self.seconds);
        metrics.insert("folds".into(), self.cfg.folds as f64);
        metrics.insert(FOLD_METRIC.into(), f as f64);
        metrics.insert("task_prompt".into(), f64::from(u8::from(s.task_prompt)));
        if let (Some(_), Some(&w)) = (&fit.prior, fit.prior_weight.get(f)) {
            metrics.insert(PriorWeight::LAMBDA_METRIC.into(), f64::from(w.lambda));
            metrics.insert(PriorWeight::MIX_METRIC.into(), f64::from(w.mix));
        }
        model.to_bundle(Some(data.ds.fingerprint()), metrics)
    }

    /// Every user's inferred sequence (the ranker's GBR input), with its provenance.
    pub fn sequences(&self, data: &Prepared, s: &ReasonerSettings) -> InferredSequences {
        InferredSequences::new(
            &data.ds,
            SequenceProvenance {
                dataset_fingerprint: data.ds.fingerprint(),
                protocol: data.mode,
                split: data.split,
                seed: s.seed,
                folds: self.cfg.folds,
                slots: s.slots,
                steps: s.steps,
                decoding: self.decoding_name(),
            },
            &self.fit.inferred,
        )
    }
}

fn paired_test(a: &[f64], b: &[f64], seed: u64) -> Result<PairedMean> {
    let (difference, lower, upper, p_value) = paired_mean_bootstrap(a, b, 1000, seed)?;
    Ok(PairedMean {
        difference,
        lower,
        upper,
        p_value,
    })
}

/// The lists a method gives and how they score.
#[derive(Clone)]
struct Scored {
    scores: OffLogScores,
    planted: Option<PlantedRecovery>,
}

impl Scored {
    fn method(&self) -> MethodScores {
        MethodScores {
            recall: self.scores.mean_recall(),
            ndcg: self.scores.mean_ndcg(),
            planted: self.planted.clone(),
        }
    }
}

/// Our lists against a baseline's, paired by user: Recall, and the planted recall on synthetic
/// worlds.
fn baseline_test(ours: &Scored, theirs: &Scored, seed: u64) -> Result<BaselineTest> {
    let planted_recall = match (&ours.planted, &theirs.planted) {
        (Some(a), Some(b)) => Some(paired_test(&a.partner_recalls, &b.partner_recalls, seed)?),
        _ => None,
    };
    Ok(BaselineTest {
        recall: paired_test(&ours.scores.recall, &theirs.scores.recall, seed)?,
        planted_recall,
    })
}

/// Scores the reasoner's inferences (every decoder, from the same fold models) against
/// popularity, co-occurrence kNN, knowledge kNN, and the off-log transition model and SASRec
/// (both fitted on the reasoner's supervision, fold by fold); `curve` also infers again at T = 1, 2, 4, …
/// and in threshold mode.
pub fn evaluate_reasoner(
    data: &Prepared,
    knowledge: &[Vec<f32>],
    r: &FittedReasoner,
    s: &ReasonerSettings,
    curve: bool,
) -> Result<ReasonerEvaluation> {
    let (ds, protocol) = (&data.ds, &data.protocol);
    let users = evaluated_users(ds, protocol);
    let k = s.slots;
    let score = |lists: &[Vec<u32>]| Scored {
        scores: score_lists(ds, protocol, &users, lists, k),
        planted: data
            .truth
            .as_ref()
            .map(|t| planted_recovery(ds, protocol, t, &users, lists, k)),
    };
    let ours = score(&r.fit.inferred);
    let baselines: Vec<Box<dyn OffLogBaseline>> = vec![
        Box::new(Popularity::new(ds, protocol)),
        Box::new(CoOccurrence::new(ds, protocol)),
        Box::new(KnowledgeKnn::new(knowledge.to_vec())),
    ];
    let mut table = BTreeMap::new();
    let mut paired = BTreeMap::new();
    let mut popularity_recall = Vec::new();
    for b in &baselines {
        let lists = baseline_lists(ds, protocol, b.as_ref(), &users, s.max_history, k);
        let theirs = score(&lists);
        paired.insert(b.name().to_owned(), baseline_test(&ours, &theirs, s.seed)?);
        if b.name() == "popularity" {
            popularity_recall = theirs.scores.recall.clone();
        }
        table.insert(b.name().to_owned(), theirs.method());
    }
    // The baseline with the reasoner's own supervision, cross-fitted over its folds.
    let lists = transition_lists(ds, protocol, &r.fit.fold, &users, s.max_history, k);
    let theirs = score(&lists);
    let name = "off-log transition";
    paired.insert(name.to_owned(), baseline_test(&ours, &theirs, s.seed)?);
    table.insert(name.to_owned(), theirs.method());
    // A standard sequential recommender with the same supervision and folds.
    let cfg = SasRecConfig {
        k,
        seed: s.seed,
        ..SasRecConfig::default()
    };
    // Left out, like a row with no users, when a fold leaves too few users to fit on.
    if let Some(lists) = sasrec_lists(ds, protocol, &r.fit.fold, &users, s.max_history, &cfg)? {
        let theirs = score(&lists);
        let name = "SASRec (off-log supervision)";
        paired.insert(name.to_owned(), baseline_test(&ours, &theirs, s.seed)?);
        table.insert(name.to_owned(), theirs.method());
    }
    let mut decoders = BTreeMap::new();
    for (name, scored) in decoder_runs(data, r, s, ours.clone(), &score)? {
        let vs_popularity = paired_test(&scored.scores.recall, &popularity_recall, s.seed)?;
        decoders.insert(
            name,
            DecoderScores {
                scores: scored.method(),
                vs_popularity,
            },
        );
    }
    let steps_curve = if curve {
        steps_curve(data, r, s, &users)?
    } else {
        Vec::new()
    };
    Ok(ReasonerEvaluation {
        format_version: ReasonerEvaluation::FORMAT_VERSION,
        dataset: ds.name.clone(),
        users: ours.scores.users.len(),
        k,
        steps: s.steps,
        decoding: r.decoding_name(),
        scores: ours.method(),
        decoders,
        baselines: table,
        paired_vs_baselines: paired,
        prior_weights: r.fit.prior_weight.clone(),
        prior_search: r.fit.prior_search.clone(),
        steps_curve,
        folds: r.cfg.folds,
        parameters: r.fit.model().num_parameters(),
        seconds: r.seconds,
        best_epochs: r.fit.best_epoch.clone(),
        epochs: r.fit.epochs.clone(),
        population: Some(population_report(
            ds,
            protocol,
            &users,
            &r.fit.inferred,
            s.max_history,
        )),
    })
}

/// A decoder besides the headline: how it decodes, its prior's name and each fold's weights.
type OtherDecoder<'a> = (Decoding, Option<&'a str>, Option<&'a [PriorWeight]>);

/// Both decoders (and the beam without its prior, and with the popularity-only choice when
/// co-occurrence could be mixed in), from the same fold models; the configured one first.
fn decoder_runs(
    data: &Prepared,
    r: &FittedReasoner,
    s: &ReasonerSettings,
    ours: Scored,
    score: &dyn Fn(&[Vec<u32>]) -> Scored,
) -> Result<Vec<(String, Scored)>> {
    let headline = r.decoding_name();
    let mut runs = vec![(headline.clone(), ours)];
    let beam = s.beam();
    let popularity_only = r.fit.popularity_only_weight();
    let mut others: Vec<OtherDecoder> = vec![(beam, None, None), (Decoding::Diffusion, None, None)];
    if r.fit.prior.as_ref().is_some_and(|q| q.has_cooccurrence()) {
        others.push((beam, Some(POPULARITY_PRIOR), Some(&popularity_only)));
    }
    for (d, prior, weights) in others {
        let name = describe(d, prior);
        if name == headline {
            continue;
        }
        let lists: Vec<Vec<u32>> = if d == Decoding::Diffusion {
            // Cross-fitting already ran the sampler for every user (the traces).
            r.fit
                .inferences
                .iter()
                .map(|o| o.as_ref().map(ranked).unwrap_or_default())
                .collect()
        } else {
            let decoder = Decoder {
                vocab: &r.vocab,
                fit: &r.fit,
                max_history: s.max_history,
                sampler: &r.cfg.sampler,
                decoding: d,
                weights,
            };
            infer_all(&data.ds, &data.protocol, &decoder, inference_threads())?.0
        };
        runs.push((name, score(&lists)));
    }
    Ok(runs)
}

/// Recall@M and forward passes per user at T = 1, 2, 4, … and in threshold mode (0.9).
fn steps_curve(
    data: &Prepared,
    r: &FittedReasoner,
    s: &ReasonerSettings,
    users: &[u32],
) -> Result<Vec<CurvePoint>> {
    let k = s.slots;
    let positions = k * r.vocab.levels();
    let mut settings: Vec<(usize, Option<f32>)> = [1usize, 2, 4, 8, 16, 32]
        .iter()
        .filter(|&&t| t <= positions)
        .map(|&t| (t, None))
        .collect();
    settings.push((positions, None));
    settings.push((positions, Some(0.9)));
    let mut out = Vec::new();
    for (steps, threshold) in settings {
        let sampler = SamplerConfig {
            steps,
            threshold,
            ..r.cfg.sampler.clone()
        };
        let decoder = Decoder {
            vocab: &r.vocab,
            fit: &r.fit,
            max_history: s.max_history,
            sampler: &sampler,
            decoding: Decoding::Diffusion,
            weights: None,
        };
        let (lists, outs) = infer_all(&data.ds, &data.protocol, &decoder, inference_threads())?;
        let sc = score_lists(&data.ds, &data.protocol, users, &lists, k);
        let passes: Vec<f64> = outs
            .iter()
            .flatten()
            .map(|o| o.forward_passes as f64)
            .collect();
        let mean_passes = passes.iter().sum::<f64>() / passes.len().max(1) as f64;
        out.push(CurvePoint {
            mode: match threshold {
                Some(t) => format!("threshold {t}"),
                None => format!("T = {steps}"),
            },
            recall: sc.mean_recall(),
            ndcg: sc.mean_ndcg(),
            forward_passes: mean_passes,
            tokens_per_pass: positions as f64 / mean_passes.max(1e-9),
        });
    }
    Ok(out)
}

/// One inferred item as `reaseq reasoner infer` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferredItem {
    pub item_id: String,
    pub title: String,
    pub semantic_id: String,
    /// Cosine with the user's history in knowledge space.
    pub consistency: f32,
    /// A real off-log event of the user.
    pub hit: bool,
}

/// The reasoner run for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInference {
    pub user: String,
    /// The logged history's titles.
    pub history: Vec<String>,
    pub off_log: usize,
    pub inferred: Vec<InferredItem>,
    /// The bundle is fold 0's reasoner: whether this user was outside its training folds.
    pub held_out: bool,
    pub forward_passes: usize,
    pub milliseconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<super::TraceStep>>,
}

/// Runs fold 0's reasoner for `user` (M and T of `s`, commit-threshold `threshold`), with
/// `vectors` the knowledge vectors for the consistency column; `trace` keeps every step.
#[allow(clippy::too_many_arguments)]
pub fn infer_user(
    data: &Prepared,
    model: &mut super::DiffusionReasoner,
    ids: &SemanticIds,
    vectors: &[Vec<f32>],
    s: &ReasonerSettings,
    user: &str,
    threshold: Option<f32>,
    trace: bool,
) -> Result<UserInference> {
    let ds = &data.ds;
    let vocab = ItemVocab::new(ids)?;
    if model.config.vocab != vocab.size() {
        return Err(Error::Config(
            "the reasoner's vocabulary does not match the semantic IDs: rerun `reaseq reasoner train`".into(),
        ));
    }
    let u = ds
        .users
        .get(user)
        .ok_or_else(|| Error::Config(format!("no user '{user}' in {}", ds.name)))?;
    let history = super::logged_history(ds, &data.protocol, u, s.max_history);
    let sampler = SamplerConfig {
        slots: s.slots,
        steps: s.steps,
        threshold,
        seed: s.seed,
        ..SamplerConfig::default()
    };
    let t = Instant::now();
    let x = super::excluded(ds, &data.protocol, u);
    let out = super::infer(model, &vocab, &history, &x, &sampler)?;
    let milliseconds = t.elapsed().as_secs_f64() * 1e3;
    let off = super::off_log_items(ds, &data.protocol, u);
    let title = |i: u32| ds.items[i as usize].display_title();
    let inferred = ranked(&out)
        .iter()
        .map(|&i| InferredItem {
            item_id: ds.items[i as usize].id.clone(),
            title: title(i),
            semantic_id: ids.display(i as usize),
            consistency: super::semantic_consistency(vectors, &history, i),
            hit: off.contains(&i),
        })
        .collect();
    let folds = super::crossfit::user_folds(ds.num_users(), s.folds.max(2), s.seed);
    Ok(UserInference {
        user: user.to_owned(),
        history: history.iter().map(|&i| title(i)).collect(),
        off_log: off.len(),
        inferred,
        held_out: folds[u as usize] == 0,
        forward_passes: out.forward_passes,
        milliseconds,
        trace: trace.then(|| out.trace.clone()),
    })
}

/// What `reaseq reasoner infer` prints.
impl std::fmt::Display for UserInference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "user {}: {} logged items, {} off-log; {} forward passes in {:.1} ms; {}",
            self.user,
            self.history.len(),
            self.off_log,
            self.forward_passes,
            self.milliseconds,
            if self.held_out {
                "held out from this reasoner's training"
            } else {
                "in this reasoner's training folds (its off-log items were supervision)"
            }
        )?;
        for s in self.trace.iter().flatten() {
            let commits: Vec<String> = s
                .commits
                .iter()
                .map(|c| {
                    format!(
                        "slot {} level {} = {} ({:.2})",
                        c.slot, c.level, c.token, c.prob
                    )
                })
                .collect();
            let remasked = if s.remasked.is_empty() {
                String::new()
            } else {
                format!(" — remasked slots {:?}", s.remasked)
            };
            writeln!(f, "step {}: {}{remasked}", s.step + 1, commits.join("; "))?;
        }
        for it in &self.inferred {
            writeln!(
                f,
                "{} {:<45} consistency {:.3}{}",
                it.semantic_id,
                it.title,
                it.consistency,
                if it.hit { "  ← real off-log" } else { "" }
            )?;
        }
        Ok(())
    }
}
