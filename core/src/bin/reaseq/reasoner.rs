//! `reaseq reasoner …`: train the diffusion reasoner (cross-fitted over user folds) and measure
//! how well it infers real off-log behaviour against simple baselines. The work is
//! `reaseq_core::reasoner::pipeline`'s; this reads flags and writes files.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use reaseq_core::artifact::to_json;
use reaseq_core::data::Prepared;
use reaseq_core::reasoner::every_user::{self, EveryUser};
use reaseq_core::reasoner::pipeline::ReasonerSettings;
use reaseq_core::reasoner::pipeline::{evaluate_reasoner, infer_user, CodeSource, DecoderKind};
use reaseq_core::reasoner::{ItemVocab, SamplerConfig};

use crate::progress::Stderr;
use crate::source::DataArgs;
use crate::workspace::workspace;

#[derive(Subcommand)]
pub enum ReasonerCommand {
    /// Cross-fit the reasoner over user folds (early stopping on validation Recall@M), write
    /// fold 0's bundle and every user's inferred sequence (the ranker's GBR input).
    Train(EvalArgs),
    /// Write the workbench files of the trained reasoner (semantic IDs, the data and protocol it
    /// was fitted on) and, with --write-asset, copy them to assets/reasoner/{dataset}.
    Export(EvalArgs),
    /// Cross-fit the reasoner over user folds, infer every user's off-log behaviour, and score
    /// it (Recall@M, NDCG@M) next to popularity, co-occurrence kNN and knowledge kNN.
    Eval(EvalArgs),
    /// Run the trained reasoner (the bundle `eval` wrote) for one user: the inferred items and,
    /// with --trace, every denoising step. With --all-users: the shipped reasoner (the page's)
    /// for every user, as the Reasoner page's "every user" run measures it.
    Infer(InferArgs),
}

#[derive(Args)]
pub struct InferArgs {
    #[command(flatten)]
    eval: EvalArgs,
    /// The user id as written in the data (synthetic worlds: u0, u1, …).
    #[arg(long, required_unless_present = "all_users")]
    user: Option<String>,
    /// Every user with a logged history, with the reasoner the page runs (a synthetic world's
    /// shipped one, MovieLens-100k's from this workspace): forward passes, a fingerprint of
    /// every committed token, Recall@M and NDCG@M; with --write-asset also to
    /// assets/reasoner/{dataset}/every_user.json.
    #[arg(long, conflicts_with_all = ["user", "trace"])]
    all_users: bool,
    /// Commit every position at least this confident (threshold mode).
    #[arg(long)]
    threshold: Option<f32>,
    #[arg(long)]
    trace: bool,
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub data: DataArgs,
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
    /// Open self-supervised examples with their own task token (HELD_OUT), not BOS, so they
    /// teach the log without pulling the off-log answer to it [default: false; worlds true].
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
    /// The beam multiplies in training popularity (log p + λ · log popularity), λ chosen per
    /// fold on validation users from {0, .25, .5, 1, 1.5} (0 when the prior does not help);
    /// `--no-popularity-prior` decodes with the model alone. `eval` reports the beam both ways.
    #[arg(long = "no-popularity-prior", action = clap::ArgAction::SetFalse)]
    popularity_prior: bool,
    /// Mix co-occurrence with the logged history into the prior, (1 − β) · popularity + β ·
    /// co-occurrence, β chosen with λ from {0, .5, .9} on validation users. Off by default: on
    /// the synthetic world it only tied co-occurrence kNN and cost partner recall (README).
    #[arg(long)]
    cooccurrence_prior: bool,
    /// What the semantic IDs quantise: `knowledge` (the item knowledge vectors) or `blend`
    /// (joined with a behaviour embedding, so items the same users log share coarse codes).
    #[arg(long, default_value = "blend")]
    codes: String,
    /// Also infer again with T = 1, 2, 4, … and in threshold mode (0.9), from the same
    /// fold models: Recall@M and forward passes per user for each.
    #[arg(long)]
    curve: bool,
    /// Also ship the reasoner: every fold's bundle, its semantic IDs and protocol to
    /// assets/reasoner/{dataset}; `reaseq experiment` remakes the sequences from them. With
    /// `eval`: ship its measures instead (evaluation.json, the Reasoner view's population panel).
    #[arg(long)]
    write_asset: bool,
    #[arg(long)]
    json: bool,
}

impl EvalArgs {
    /// The library's settings: the flags, with per-source defaults where a flag is not given.
    pub fn settings(&self) -> Result<ReasonerSettings> {
        let d = ReasonerSettings::defaults(self.data.synthetic);
        Ok(ReasonerSettings {
            slots: self.slots,
            steps: self.steps,
            folds: self.folds,
            epochs: self.epochs,
            patience: self.patience.unwrap_or(d.patience),
            validation: self.validation.unwrap_or(d.validation),
            max_history: self.max_history,
            augment: self.augment.unwrap_or(d.augment),
            augment_all_users: self.augment_all_users,
            off_log_repeat: self.off_log_repeat.unwrap_or(d.off_log_repeat),
            task_prompt: self.task_prompt.unwrap_or(d.task_prompt),
            dim: self.dim,
            layers: self.layers,
            seed: self.seed,
            decoding: DecoderKind::parse(&self.decoding)?,
            beam_width: self.beam_width,
            popularity_prior: self.popularity_prior,
            cooccurrence_prior: self.cooccurrence_prior,
            codes: CodeSource::parse(&self.codes)?,
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        self.data.prepare(self.slots, self.seed)
    }
}

/// `reaseq reasoner export`: the workbench files of an already trained reasoner.
fn export(args: EvalArgs) -> Result<ExitCode> {
    let data = args.prepare()?;
    workspace().export_reasoner(&data, &args.settings()?, args.write_asset, &Stderr)?;
    Ok(ExitCode::SUCCESS)
}

fn train_only(args: EvalArgs) -> Result<ExitCode> {
    let data = args.prepare()?;
    let (f, _) = workspace().train_reasoner(&data, &args.settings()?, args.write_asset, &Stderr)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&f.summary(&data))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn eval(args: EvalArgs) -> Result<ExitCode> {
    let data = args.prepare()?;
    let s = args.settings()?;
    // `eval --write-asset` ships the measures, not the reasoner it fitted for them: the shipped
    // reasoner is the one the shipped GBR sequences came from.
    let ws = workspace();
    let (fitted, vectors) = ws.train_reasoner(&data, &s, false, &Stderr)?;
    let e = evaluate_reasoner(&data, &vectors, &fitted, &s, args.curve)?;
    ws.write_reasoner_evaluation(&data, &e, args.write_asset, &Stderr)?;
    if args.json {
        println!("{}", String::from_utf8(to_json(&e)?)?);
    } else {
        print!("{e}");
    }
    Ok(ExitCode::SUCCESS)
}

fn infer_one(args: InferArgs) -> Result<ExitCode> {
    let a = &args.eval;
    let data = a.prepare()?;
    let s = a.settings()?;
    let ws = workspace();
    let Some(user) = &args.user else {
        return infer_every_user(&args, &data, &s);
    };
    let (ids, vectors) = ws.reasoner_knowledge(&data, &s)?;
    let mut model = ws.reasoner_model(&data)?;
    let o = infer_user(
        &data,
        &mut model,
        &ids,
        &vectors,
        &s,
        user,
        args.threshold,
        args.trace,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&o)?);
    } else {
        print!("{o}");
    }
    Ok(ExitCode::SUCCESS)
}

fn infer_every_user(args: &InferArgs, data: &Prepared, s: &ReasonerSettings) -> Result<ExitCode> {
    let ws = workspace();
    let (mut model, ids) = ws.page_reasoner(data)?;
    let vocab = ItemVocab::new(&ids)?;
    let sampler = SamplerConfig {
        slots: s.slots,
        steps: s.steps,
        threshold: args.threshold,
        seed: s.seed,
        ..SamplerConfig::default()
    };
    let max = every_user::max_history(&model, &vocab, s.slots);
    let prompts = every_user::prompts(&data.ds, &data.protocol, max);
    let t = std::time::Instant::now();
    let out = every_user::infer_all(&mut model, &vocab, &prompts, &sampler, &|_| {})?;
    eprintln!(
        "{} users in {:.1} s on one thread",
        prompts.len(),
        t.elapsed().as_secs_f64()
    );
    let e = EveryUser::new(
        &data.ds.name,
        &prompts,
        &out,
        &sampler,
        every_user::bootstrap(&sampler),
    )?;
    ws.write_every_user(data, &e, args.eval.write_asset, &Stderr)?;
    if args.eval.json {
        println!("{}", String::from_utf8(to_json(&e)?)?);
    } else {
        print!("{e}");
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
