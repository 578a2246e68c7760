//! `reaseq reasoner …`: train the diffusion reasoner (cross-fitted over user folds) and measure
//! how well it infers real off-log behaviour against simple baselines.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use reaseq_core::data::{Dataset, Protocol};
use reaseq_core::data::{GroundTruth, SyntheticConfig};
use reaseq_core::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use reaseq_core::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use reaseq_core::reasoner::baselines::{CoOccurrence, KnowledgeKnn, OffLogBaseline, Popularity};
use reaseq_core::reasoner::codes::blended_codes;
use reaseq_core::reasoner::crossfit::{
    baseline_lists, cross_fit, evaluated_users, planted_recovery, ranked, score_lists,
    CrossFitConfig, Decoding,
};
use reaseq_core::reasoner::train::TrainConfig;
use reaseq_core::reasoner::{
    off_log_items, DecodingPrior, InferredSequences, ItemVocab, ReasonerConfig, SamplerConfig,
    SequenceProvenance,
};

use crate::source::{split, Source, Split};

#[derive(Subcommand)]
pub enum ReasonerCommand {
    /// Cross-fit the reasoner over user folds (early stopping on validation Recall@M), write
    /// fold 0's bundle and every user's inferred sequence (the ranker's GBR input).
    Train(EvalArgs),
    /// Write the workbench files of the trained reasoner (semantic IDs, the synthetic world's
    /// configuration) and, with --write-asset, copy them to assets/reasoner/{dataset}.
    Export(EvalArgs),
    /// Cross-fit the reasoner over user folds, infer every user's off-log behaviour, and score
    /// it (Recall@M, NDCG@M) next to popularity, co-occurrence kNN and knowledge kNN.
    Eval(EvalArgs),
    /// Run the trained reasoner (the bundle `eval` wrote) for one user: the inferred items and,
    /// with --trace, every denoising step.
    Infer(InferArgs),
}

#[derive(Args)]
pub struct InferArgs {
    #[command(flatten)]
    eval: EvalArgs,
    /// The user id as written in the data (synthetic worlds: u0, u1, …).
    #[arg(long)]
    user: String,
    /// Commit every position at least this confident (threshold mode).
    #[arg(long)]
    threshold: Option<f32>,
    #[arg(long)]
    trace: bool,
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub source: Source,
    /// Use a seeded synthetic world (planted off-log behaviour) instead of a dataset.
    #[arg(long)]
    synthetic: bool,
    /// Users and items of the synthetic world.
    #[arg(long, default_value_t = 300)]
    world_users: usize,
    #[arg(long, default_value_t = 200)]
    world_items: usize,
    /// Beyond-log mode for datasets: random or future (synthetic worlds use their planted one).
    #[arg(long, default_value = "random")]
    mode: String,
    #[arg(long, default_value_t = 0.3)]
    rho: f64,
    /// Items inferred per user (M); Recall and NDCG are measured at M.
    #[arg(long, default_value_t = 10)]
    slots: usize,
    /// Denoising steps (T).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    #[arg(long, default_value_t = 2)]
    folds: usize,
    /// Most epochs per fold; training stops earlier when validation recall stalls.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Epochs without a better validation Recall@M before a fold stops [default: 3; synthetic
    /// worlds 4].
    #[arg(long)]
    patience: Option<usize>,
    /// Share of each fold's training users held out for validation [default: 0.1; synthetic
    /// worlds 0.2, whose 300 users leave few to validate on].
    #[arg(long)]
    validation: Option<f64>,
    #[arg(long, default_value_t = 30)]
    max_history: usize,
    /// Self-supervised examples per training user: random logged items held out as targets
    /// [default: 8; synthetic worlds 4].
    #[arg(long)]
    augment: Option<usize>,
    /// Draw self-supervised examples from the training users' logged events only; by default
    /// the held-out fold's logged events are used too (their off-log events stay unseen).
    #[arg(long = "no-augment-all-users", action = clap::ArgAction::SetFalse)]
    augment_all_users: bool,
    /// Times each off-log example enters an epoch, against once for a self-supervised one
    /// [default: 1; synthetic worlds 12, whose planted off-log behaviour differs from the log].
    #[arg(long)]
    off_log_repeat: Option<usize>,
    /// Open self-supervised examples with their own task token (HELD_OUT) instead of BOS, so
    /// they teach the model the log without pulling its off-log answer (asked with BOS) towards
    /// it; matters where off-log behaviour differs from the logged kind [default: false;
    /// synthetic worlds true].
    #[arg(long, value_name = "BOOL")]
    task_prompt: Option<bool>,
    #[arg(long, default_value_t = 64)]
    dim: usize,
    #[arg(long, default_value_t = 2)]
    layers: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How each user's top-M list is decoded: `beam` (down the semantic-ID trie, one slot) or
    /// `diffusion` (the sampler's M slots). `eval` reports both.
    #[arg(long, default_value = "beam")]
    decoding: String,
    #[arg(long, default_value_t = 20)]
    beam_width: usize,
    /// The beam multiplies in training popularity (score = log p + λ · log popularity), λ
    /// chosen per fold on its validation users from {0, .25, .5, 1, 1.5}, so λ = 0 wins when
    /// the prior does not help; `--no-popularity-prior` decodes with the model alone. `eval`
    /// reports the beam both ways.
    #[arg(long = "no-popularity-prior", action = clap::ArgAction::SetFalse)]
    popularity_prior: bool,
    /// The prior may also mix in co-occurrence with the user's logged history, `(1 − β) ·
    /// popularity + β · co-occurrence`, β chosen with λ from {0, .5, .9} on validation users.
    /// `eval` then also reports the beam with the popularity-only choice. Off by default: on
    /// the synthetic world it only tied co-occurrence kNN and cost partner recall (README).
    #[arg(long)]
    cooccurrence_prior: bool,
    /// What the reasoner's semantic IDs quantise: `knowledge` (the item knowledge vectors, as
    /// the Knowledge view shows them) or `blend` (those joined with a behaviour embedding of the
    /// logged events, so that items the same users log share their coarse codes).
    #[arg(long, default_value = "blend")]
    codes: String,
    /// Also infer again with T = 1, 2, 4, … and in threshold mode (0.9), from the same
    /// fold models: Recall@M and forward passes per user for each.
    #[arg(long)]
    curve: bool,
    /// Also copy the bundle and its semantic IDs to assets/reasoner/{dataset} (for the
    /// workbench; only sensible for the synthetic world, whose data may be shared).
    #[arg(long)]
    write_asset: bool,
    #[arg(long)]
    json: bool,
}

/// Training settings whose defaults differ between datasets and the small synthetic world
/// (each chosen on validation recall, so the commands in the README need no flags).
impl EvalArgs {
    fn pick<T>(&self, given: Option<T>, dataset: T, synthetic: T) -> T {
        given.unwrap_or(if self.synthetic { synthetic } else { dataset })
    }

    fn patience(&self) -> usize {
        self.pick(self.patience, 3, 4)
    }

    fn validation(&self) -> f64 {
        self.pick(self.validation, 0.1, 0.2)
    }

    fn augment(&self) -> usize {
        self.pick(self.augment, 8, 4)
    }

    fn off_log_repeat(&self) -> usize {
        self.pick(self.off_log_repeat, 1, 12)
    }

    fn task_prompt(&self) -> bool {
        self.pick(self.task_prompt, false, true)
    }
}

/// The dataset, its protocol, semantic IDs and knowledge vectors.
struct Setup {
    ds: Dataset,
    protocol: Protocol,
    /// `BeyondLog::describe` of the mode.
    mode: String,
    ids: SemanticIds,
    vectors: Vec<Vec<f32>>,
    /// The synthetic world's ground truth (None for datasets).
    truth: Option<GroundTruth>,
}

fn setup(args: &EvalArgs) -> Result<Setup> {
    let world = args
        .synthetic
        .then_some((args.world_users, args.world_items));
    let Split {
        ds,
        protocol,
        mode,
        truth,
    } = split(
        &args.source,
        world,
        &args.mode,
        args.rho,
        args.slots,
        args.seed,
    )?;
    let mode = mode.describe();
    if args.synthetic {
        let vectors = graph_embedding(&ds, &GraphEmbeddingConfig::default())?;
        let ids = reasoner_codes(args, &ds, &protocol, &vectors)?;
        return Ok(Setup {
            ds,
            protocol,
            mode,
            ids,
            vectors,
            truth,
        });
    }
    let dir = crate::default_data_dir().join("knowledge").join(&ds.name);
    let ids_path = dir.join("semantic_ids.json");
    let ids: SemanticIds =
        serde_json::from_slice(&std::fs::read(&ids_path).with_context(|| {
            format!("{}: run `reaseq knowledge build` first", ids_path.display())
        })?)
        .with_context(|| format!("{}: not a semantic-ID file", ids_path.display()))?;
    let vectors = crate::knowledge::read_knowledge_vectors(&ds)?;
    if ids.codes.len() != ds.num_items() {
        bail!(
            "{}: {} items, the dataset has {}: rebuild the knowledge",
            ids_path.display(),
            ids.codes.len(),
            ds.num_items()
        );
    }
    let ids = match args.codes.as_str() {
        "knowledge" => ids,
        _ => reasoner_codes(args, &ds, &protocol, &vectors)?,
    };
    Ok(Setup {
        ds,
        protocol,
        mode,
        ids,
        vectors,
        truth,
    })
}

/// The reasoner's semantic IDs: residual k-means over the knowledge vectors, or (`--codes
/// blend`) over each knowledge vector joined with the item's behaviour embedding of the logged
/// (train and validation) events, both halves unit length.
fn reasoner_codes(
    args: &EvalArgs,
    ds: &Dataset,
    protocol: &Protocol,
    knowledge: &[Vec<f32>],
) -> Result<SemanticIds> {
    let rq = RqConfig {
        seed: args.seed,
        ..RqConfig::default()
    };
    Ok(match args.codes.as_str() {
        "knowledge" => residual_quantise(knowledge, &rq)?,
        "blend" => blended_codes(ds, protocol, knowledge, &rq)?,
        other => bail!("--codes {other}: expected knowledge or blend"),
    })
}

fn reasoner_dir(ds: &Dataset) -> PathBuf {
    crate::default_data_dir().join("reasoner").join(&ds.name)
}

fn decoding(args: &EvalArgs) -> Result<Decoding> {
    Ok(match args.decoding.as_str() {
        "beam" => Decoding::Beam {
            width: args.beam_width.max(args.slots),
        },
        "diffusion" => Decoding::Diffusion,
        other => bail!("--decoding {other}: expected beam or diffusion"),
    })
}

/// A cross-fitted reasoner and everything it was made from.
struct Fitted {
    setup: Setup,
    vocab: ItemVocab,
    cfg: CrossFitConfig,
    fit: reaseq_core::reasoner::crossfit::CrossFit,
    seconds: f64,
}

/// Cross-fits the reasoner, then writes fold 0's bundle and the GBR sequences of every user.
fn fit(args: &EvalArgs) -> Result<Fitted> {
    let setup = setup(args)?;
    let (ds, protocol) = (&setup.ds, &setup.protocol);
    let vocab = ItemVocab::new(&setup.ids)?;
    let levels = vocab.levels();
    let cfg = CrossFitConfig {
        folds: args.folds.max(2),
        max_history: args.max_history,
        augment: args.augment(),
        augment_all_users: args.augment_all_users,
        off_log_repeat: args.off_log_repeat(),
        model: ReasonerConfig {
            vocab: vocab.size(),
            max_len: 2 + (args.max_history + args.slots) * levels,
            dim: args.dim,
            layers: args.layers,
            heads: 4,
            ffn: args.dim * 2,
        },
        train: TrainConfig {
            epochs: args.epochs,
            task_prompt: args.task_prompt(),
            seed: args.seed,
            ..TrainConfig::default()
        },
        sampler: SamplerConfig {
            slots: args.slots,
            steps: args.steps,
            seed: args.seed,
            ..SamplerConfig::default()
        },
        validation: args.validation(),
        patience: args.patience(),
        popularity_prior: args.popularity_prior,
        cooccurrence_prior: args.cooccurrence_prior,
        decoding: decoding(args)?,
        seed: args.seed,
    };
    let t = Instant::now();
    let fit = cross_fit(ds, protocol, &vocab, &cfg, &mut |l| eprintln!("{l}"))?;
    let seconds = t.elapsed().as_secs_f64();
    let dir = reasoner_dir(ds);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut metrics = BTreeMap::new();
    let best = fit.best_epoch[0];
    if let Some(v) = fit.epochs[0].get(best).and_then(|e| e.valid_recall) {
        metrics.insert(format!("valid_recall_at_{}", args.slots), v);
    }
    // What the workbench's pipeline overview shows: how long cross-fitting took, natively.
    metrics.insert("train_seconds".into(), seconds);
    metrics.insert("folds".into(), cfg.folds as f64);
    metrics.insert(
        "task_prompt".into(),
        f64::from(u8::from(args.task_prompt())),
    );
    // The bundled (fold 0) model's λ and β, so the workbench ranks as the GBR sequences were
    // ranked.
    if let (Some(_), Some(&w)) = (&fit.prior, fit.prior_weight.first()) {
        metrics.insert("popularity_prior_weight".into(), f64::from(w.lambda));
        metrics.insert("cooccurrence_prior_mix".into(), f64::from(w.mix));
    }
    let (manifest, weights) = fit.model().to_bundle(Some(ds.fingerprint()), metrics)?;
    std::fs::write(dir.join("reasoner.json"), manifest)?;
    std::fs::write(dir.join("reasoner.safetensors"), weights)?;
    let sequences = InferredSequences::new(
        ds,
        SequenceProvenance {
            dataset_fingerprint: ds.fingerprint(),
            protocol: setup.mode.clone(),
            seed: args.seed,
            folds: cfg.folds,
            slots: args.slots,
            steps: args.steps,
            decoding: describe(cfg.decoding, prior_name(&fit.prior)),
        },
        &fit.inferred,
    );
    let path = dir.join("inferred.json");
    std::fs::write(&path, serde_json::to_vec(&sequences)?)
        .with_context(|| format!("writing {}", path.display()))?;
    write_workbench_files(args, &setup)?;
    eprintln!(
        "{}: best epochs {:?}, {} parameters, {seconds:.0} s → {}",
        ds.name,
        fit.best_epoch.iter().map(|e| e + 1).collect::<Vec<_>>(),
        fit.model().num_parameters(),
        dir.display()
    );
    Ok(Fitted {
        setup,
        vocab,
        cfg,
        fit,
        seconds,
    })
}

/// Writes what the browser needs next to the bundle (its semantic IDs, and the synthetic world's
/// configuration), and with `--write-asset` copies them to assets/reasoner/{dataset}.
fn write_workbench_files(args: &EvalArgs, setup: &Setup) -> Result<()> {
    let dir = reasoner_dir(&setup.ds);
    // The vocabulary travels with the model, so the directory is all the browser needs.
    std::fs::write(
        dir.join("semantic_ids.json"),
        serde_json::to_vec(&setup.ids)?,
    )?;
    let world = dir.join("world.json");
    if args.synthetic {
        let cfg = SyntheticConfig {
            users: args.world_users,
            items: args.world_items,
            seed: args.seed,
            ..SyntheticConfig::default()
        };
        std::fs::write(&world, serde_json::to_vec(&cfg)?)?;
    } else if world.exists() {
        std::fs::remove_file(&world)?;
    }
    if args.write_asset {
        let assets = crate::assets_dir().join("reasoner").join(&setup.ds.name);
        std::fs::create_dir_all(&assets)
            .with_context(|| format!("creating {}", assets.display()))?;
        for f in [
            "reasoner.json",
            "reasoner.safetensors",
            "semantic_ids.json",
            "world.json",
        ] {
            if !dir.join(f).exists() {
                continue;
            }
            std::fs::copy(dir.join(f), assets.join(f))
                .with_context(|| format!("copying {f} to {}", assets.display()))?;
        }
        eprintln!("assets → {}", assets.display());
    }
    Ok(())
}

/// `reaseq reasoner export`: the workbench files of an already trained reasoner.
pub fn export(args: EvalArgs) -> Result<ExitCode> {
    let setup = setup(&args)?;
    let dir = reasoner_dir(&setup.ds);
    let manifest = dir.join("reasoner.json");
    let bytes = std::fs::read(&manifest)
        .with_context(|| format!("{}: run `reaseq reasoner train` first", manifest.display()))?;
    let m: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a bundle manifest", manifest.display()))?;
    let want = format!("{:016x}", setup.ds.fingerprint());
    if m["dataset_fingerprint"].as_str() != Some(want.as_str()) {
        bail!(
            "{}: trained on other data (fingerprint {}, this data {want}): train again",
            manifest.display(),
            m["dataset_fingerprint"]
        );
    }
    write_workbench_files(&args, &setup)?;
    Ok(ExitCode::SUCCESS)
}

pub fn train_only(args: EvalArgs) -> Result<ExitCode> {
    let f = fit(&args)?;
    if args.json {
        let out = serde_json::json!({
            "dataset": f.setup.ds.name,
            "best_epochs": f.fit.best_epoch,
            "epochs": f.fit.epochs,
            "parameters": f.fit.model().num_parameters(),
            "seconds": f.seconds,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a decoder's prior is called in reports (None: the model alone).
fn prior_name(prior: &Option<DecodingPrior>) -> Option<&'static str> {
    prior.as_ref().map(|q| {
        if q.has_cooccurrence() {
            "popularity/co-occurrence prior"
        } else {
            POPULARITY_PRIOR
        }
    })
}

const POPULARITY_PRIOR: &str = "popularity prior";

/// A decoder's name in reports.
fn describe(d: Decoding, prior: Option<&str>) -> String {
    match prior {
        Some(p) => format!("{} + {p}", d.describe()),
        None => d.describe(),
    }
}

/// Paired user bootstrap (1000 replicates) of `a − b`: the estimate under `key`, its 95% CI
/// and p-value.
fn paired_test(a: &[f64], b: &[f64], seed: u64, key: &str) -> Result<serde_json::Value> {
    let (est, lo, hi, p) =
        reaseq_core::metrics::bootstrap::paired_mean_bootstrap(a, b, 1000, seed)?;
    Ok(serde_json::json!({key: est, "lower": lo, "upper": hi, "p_value": p}))
}

fn eval(args: EvalArgs) -> Result<ExitCode> {
    let Fitted {
        setup,
        vocab,
        cfg,
        fit,
        seconds: fit_secs,
    } = fit(&args)?;
    let users = evaluated_users(&setup.ds, &setup.protocol);
    let k = args.slots;
    let Setup {
        ds,
        protocol,
        vectors,
        truth,
        ..
    } = setup;
    // Synthetic worlds: how much of the planted off-platform genre a method's lists hold.
    let planted = |lists: &[Vec<u32>]| {
        truth
            .as_ref()
            .map(|t| planted_recovery(&ds, &protocol, t, &users, lists, k))
    };
    let levels = vocab.levels();
    let ours = score_lists(&ds, &protocol, &users, &fit.inferred, k);
    let our_planted = planted(&fit.inferred);
    let baselines: Vec<Box<dyn OffLogBaseline>> = vec![
        Box::new(Popularity::new(&ds, &protocol)),
        Box::new(CoOccurrence::new(&ds, &protocol)),
        Box::new(KnowledgeKnn::new(vectors)),
    ];
    let mut table = BTreeMap::new();
    let mut paired = BTreeMap::new();
    let mut popularity_recall = Vec::new();
    for b in &baselines {
        let lists = baseline_lists(&ds, &protocol, b.as_ref(), &users, args.max_history, k);
        let s = score_lists(&ds, &protocol, &users, &lists, k);
        let mut row = paired_test(&ours.recall, &s.recall, args.seed, "recall_difference")?;
        let theirs = planted(&lists);
        // Synthetic worlds: the same paired test on the planted (partner-genre) recall.
        if let (Some(a), Some(b)) = (&our_planted, &theirs) {
            row["planted_recall_difference"] = paired_test(
                &a.partner_recalls,
                &b.partner_recalls,
                args.seed,
                "difference",
            )?;
        }
        paired.insert(b.name().to_owned(), row);
        if b.name() == "popularity" {
            popularity_recall = s.recall.clone();
        }
        table.insert(
            b.name().to_owned(),
            serde_json::json!({
                format!("recall_at_{k}"): s.mean_recall(),
                format!("ndcg_at_{k}"): s.mean_ndcg(),
                "planted": theirs,
            }),
        );
    }
    // Both decoders (and the beam without its prior, and with the popularity-only choice when
    // co-occurrence could be mixed in) from the same fold models: the configured one is the
    // headline. Each with its paired difference from popularity.
    let mut decoders = BTreeMap::new();
    let headline = describe(cfg.decoding, prior_name(&fit.prior));
    let mut runs = vec![(headline.clone(), ours.clone(), our_planted.clone())];
    let beam = Decoding::Beam {
        width: args.beam_width.max(k),
    };
    let popularity_only = fit.popularity_only_weight();
    let mut others: Vec<(Decoding, Option<&str>, Option<&[_]>)> =
        vec![(beam, None, None), (Decoding::Diffusion, None, None)];
    if fit.prior.as_ref().is_some_and(|q| q.has_cooccurrence()) {
        others.push((beam, Some(POPULARITY_PRIOR), Some(&popularity_only)));
    }
    for (d, prior, weights) in others {
        let name = describe(d, prior);
        if name == headline {
            continue;
        }
        let lists: Vec<Vec<u32>> = if d == Decoding::Diffusion {
            // Cross-fitting already ran the sampler for every user (the traces).
            fit.inferences
                .iter()
                .map(|o| o.as_ref().map(ranked).unwrap_or_default())
                .collect()
        } else {
            reaseq_core::reasoner::crossfit::infer_all(
                &ds,
                &protocol,
                &vocab,
                &fit,
                args.max_history,
                &cfg.sampler,
                d,
                weights,
            )?
            .0
        };
        runs.push((
            name,
            score_lists(&ds, &protocol, &users, &lists, k),
            planted(&lists),
        ));
    }
    for (name, s, p) in runs {
        let vs = paired_test(
            &s.recall,
            &popularity_recall,
            args.seed,
            "recall_difference",
        )?;
        decoders.insert(
            name,
            serde_json::json!({
                format!("recall_at_{k}"): s.mean_recall(),
                format!("ndcg_at_{k}"): s.mean_ndcg(),
                "vs_popularity": vs,
                "planted": p,
            }),
        );
    }
    let mut curve = Vec::new();
    if args.curve {
        let positions = k * levels;
        let mut settings: Vec<(usize, Option<f32>)> = [1usize, 2, 4, 8, 16, 32]
            .iter()
            .filter(|&&t| t <= positions)
            .map(|&t| (t, None))
            .collect();
        settings.push((positions, None));
        settings.push((positions, Some(0.9)));
        for (steps, threshold) in settings {
            let sampler = SamplerConfig {
                steps,
                threshold,
                ..cfg.sampler.clone()
            };
            let (lists, outs) = reaseq_core::reasoner::crossfit::infer_all(
                &ds,
                &protocol,
                &vocab,
                &fit,
                args.max_history,
                &sampler,
                Decoding::Diffusion,
                None,
            )?;
            let s = score_lists(&ds, &protocol, &users, &lists, k);
            let passes: Vec<f64> = outs
                .iter()
                .flatten()
                .map(|o| o.forward_passes as f64)
                .collect();
            let mean_passes = passes.iter().sum::<f64>() / passes.len().max(1) as f64;
            let mode = match threshold {
                Some(t) => format!("threshold {t}"),
                None => format!("T = {steps}"),
            };
            curve.push(serde_json::json!({
                "mode": mode,
                format!("recall_at_{k}"): s.mean_recall(),
                format!("ndcg_at_{k}"): s.mean_ndcg(),
                "forward_passes": mean_passes,
                "tokens_per_pass": positions as f64 / mean_passes.max(1e-9),
            }));
        }
    }
    let out = serde_json::json!({
        "dataset": ds.name,
        "users": ours.users.len(),
        format!("recall_at_{k}"): ours.mean_recall(),
        format!("ndcg_at_{k}"): ours.mean_ndcg(),
        "decoding": headline,
        "planted": our_planted,
        "decoders": decoders,
        "prior_weights": fit.prior_weight,
        "prior_search": fit.prior_search,
        "baselines": table,
        "paired_vs_baselines": paired,
        "steps_curve": curve,
        "folds": cfg.folds,
        "parameters": fit.model().num_parameters(),
        "seconds": fit_secs,
        "best_epochs": fit.best_epoch,
        "epochs": fit.epochs,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} users, M = {k}, T = {}, {} folds, {} parameters, {:.0} s",
        ds.name,
        ours.users.len(),
        args.steps,
        cfg.folds,
        fit.model().num_parameters(),
        fit_secs
    );
    println!(
        "{:<40} {:>10} {:>10} {:>14} {:>15}",
        "method",
        format!("Recall@{k}"),
        format!("NDCG@{k}"),
        "partner share",
        "partner recall"
    );
    let rows = decoders
        .iter()
        .map(|(name, row)| (format!("reasoner, {name}"), row))
        .chain(
            baselines
                .iter()
                .map(|b| (b.name().to_owned(), &table[b.name()])),
        );
    for (name, row) in rows {
        // The planted columns exist for synthetic worlds only.
        let planted = |f: &str| {
            row["planted"][f]
                .as_f64()
                .map_or("-".to_owned(), |v| format!("{v:.4}"))
        };
        println!(
            "{:<40} {:>10.4} {:>10.4} {:>14} {:>15}",
            name,
            row[format!("recall_at_{k}")].as_f64().unwrap_or(f64::NAN),
            row[format!("ndcg_at_{k}")].as_f64().unwrap_or(f64::NAN),
            planted("partner_share"),
            planted("partner_recall")
        );
    }
    if !curve.is_empty() {
        println!(
            "{:<16} {:>10} {:>14} {:>16}",
            "sampler",
            format!("Recall@{k}"),
            "passes/user",
            "tokens/pass"
        );
        for c in &curve {
            println!(
                "{:<16} {:>10.4} {:>14.1} {:>16.2}",
                c["mode"].as_str().unwrap_or(""),
                c[format!("recall_at_{k}")].as_f64().unwrap_or(f64::NAN),
                c["forward_passes"].as_f64().unwrap_or(f64::NAN),
                c["tokens_per_pass"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    for (name, p) in &paired {
        println!(
            "reasoner − {name}: Recall {:+.4} [{:+.4}, {:+.4}], p = {:.3}",
            p["recall_difference"].as_f64().unwrap_or(f64::NAN),
            p["lower"].as_f64().unwrap_or(f64::NAN),
            p["upper"].as_f64().unwrap_or(f64::NAN),
            p["p_value"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn infer_one(args: InferArgs) -> Result<ExitCode> {
    use reaseq_core::reasoner::crossfit::{excluded, ranked};
    use reaseq_core::reasoner::semantic_consistency;
    use reaseq_core::reasoner::train::logged_history;
    use reaseq_core::reasoner::{infer, DiffusionReasoner};
    let a = &args.eval;
    let Setup {
        ds,
        protocol,
        ids,
        vectors,
        ..
    } = setup(a)?;
    let vocab = ItemVocab::new(&ids)?;
    let Some(user) = ds.users.get(&args.user) else {
        bail!("no user '{}' in {}", args.user, ds.name);
    };
    let dir = reasoner_dir(&ds);
    let (mp, wp) = (dir.join("reasoner.json"), dir.join("reasoner.safetensors"));
    let read = |p: &std::path::Path| {
        std::fs::read(p)
            .with_context(|| format!("{}: run `reaseq reasoner train` first", p.display()))
    };
    let mut model = DiffusionReasoner::from_bundle("reasoner", &read(&mp)?, &read(&wp)?)?;
    if model.config.vocab != vocab.size() {
        bail!("{}: the model's vocabulary does not match the semantic IDs: rerun `reaseq reasoner train`", mp.display());
    }
    let history = logged_history(&ds, &protocol, user, a.max_history);
    // The bundle is fold 0's reasoner: trained on the other folds' users only.
    let held_out =
        reaseq_core::reasoner::crossfit::user_folds(ds.num_users(), a.folds.max(2), a.seed)
            [user as usize]
            == 0;
    let sampler = SamplerConfig {
        slots: a.slots,
        steps: a.steps,
        threshold: args.threshold,
        seed: a.seed,
        ..SamplerConfig::default()
    };
    let t = Instant::now();
    let out = infer(
        &mut model,
        &vocab,
        &history,
        &excluded(&ds, &protocol, user),
        &sampler,
    )?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let off = off_log_items(&ds, &protocol, user);
    let items: Vec<serde_json::Value> = ranked(&out)
        .iter()
        .map(|&i| {
            serde_json::json!({
                "item_id": ds.items[i as usize].id,
                "title": ds.items[i as usize].display_title(),
                "semantic_id": ids.display(i as usize),
                "consistency": semantic_consistency(&vectors, &history, i),
                "hit": off.contains(&i),
            })
        })
        .collect();
    let title = |i: u32| ds.items[i as usize].display_title();
    if a.json {
        let mut v = serde_json::json!({
            "user": args.user,
            "history": history.iter().map(|&i| title(i)).collect::<Vec<_>>(),
            "inferred": items,
            "held_out": held_out,
            "forward_passes": out.forward_passes,
            "milliseconds": ms,
        });
        if args.trace {
            v["trace"] = serde_json::to_value(&out.trace)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "user {}: {} logged items, {} off-log; {} forward passes in {ms:.1} ms; {}",
        args.user,
        history.len(),
        off.len(),
        out.forward_passes,
        if held_out {
            "held out from this reasoner's training"
        } else {
            "in this reasoner's training folds (its off-log items were supervision)"
        }
    );
    if args.trace {
        for s in &out.trace {
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
            println!("step {}: {}{remasked}", s.step + 1, commits.join("; "));
        }
    }
    for it in &items {
        println!(
            "{} {:<45} consistency {:.3}{}",
            it["semantic_id"].as_str().unwrap_or(""),
            it["title"].as_str().unwrap_or(""),
            it["consistency"].as_f64().unwrap_or(0.0),
            if it["hit"].as_bool() == Some(true) {
                "  ← real off-log"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(cmd: ReasonerCommand) -> Result<ExitCode> {
    match cmd {
        ReasonerCommand::Train(args) => train_only(args),
        ReasonerCommand::Export(args) => export(args),
        ReasonerCommand::Eval(args) => eval(args),
        ReasonerCommand::Infer(args) => infer_one(args),
    }
}
