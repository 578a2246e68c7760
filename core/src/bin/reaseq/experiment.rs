//! `reaseq experiment`: the ablation. Trains Base, +REP, +GBR and ReaSeq on identical data and
//! seeds, scores the test impressions, and writes `results.json`, a Markdown report with SVG
//! charts, and the bundles the workbench loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser};
use reaseq_core::data::protocol::{impressions, Part, PopularityBucket, PopularityBuckets};
use reaseq_core::data::{Dataset, GroundTruth, LabelPolicy, Protocol};
use reaseq_core::knowledge::distill::{distill, DistillConfig};
use reaseq_core::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use reaseq_core::knowledge::student::{StudentConfig, StudentEncoder};
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent, KnowledgeCard};
use reaseq_core::metrics::{
    bootstrap_ci_seeds, evaluate, paired_bootstrap_seeds, rela_impr, BootstrapConfig, Metric,
};
use reaseq_core::ranker::cold::{rep_vectors, score_new_item, test_context, ColdSpace};
use reaseq_core::ranker::train::{score_all, train_ranker, RankerTrainConfig};
use reaseq_core::ranker::{
    ranker_examples, HistoryEvents, ItemFeatures, Ranker, RankerConfig, RankerExample, Variant,
};
use reaseq_core::reasoner::{off_log_items, InferredSequences};
use serde_json::{json, Value};

use crate::source::{split, Source, Split};

#[derive(Args)]
pub struct ExperimentArgs {
    #[command(flatten)]
    source: Source,
    /// A seeded synthetic world (planted benefits) instead of a dataset.
    #[arg(long)]
    synthetic: bool,
    #[arg(long, default_value_t = 300)]
    world_users: usize,
    #[arg(long, default_value_t = 200)]
    world_items: usize,
    /// Beyond-log mode: random or future.
    #[arg(long, default_value = "random")]
    mode: String,
    #[arg(long, default_value_t = 0.3)]
    rho: f64,
    /// Training seeds per variant (reported as mean ± std).
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Models trained at once (each is seeded, so the results do not depend on it).
    #[arg(long, default_value_t = default_jobs())]
    jobs: usize,
    /// Most epochs per model (early stopping on validation GAUC); default 12 on datasets, 30
    /// on the synthetic world, whose few thousand impressions make short epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Impressions per optimiser step; default 256 on datasets, 64 on the synthetic world.
    #[arg(long)]
    batch: Option<usize>,
    /// Epochs without a better validation GAUC before a model stops; default 2 on datasets, 4
    /// on the synthetic world.
    #[arg(long)]
    patience: Option<usize>,
    /// Sampled negatives per logged event (0: labels from ratings only).
    #[arg(long, default_value_t = 0)]
    negatives: usize,
    /// Where results.json, report.md and the charts go (default: {data}/reports/{dataset}).
    #[arg(long)]
    reports: Option<PathBuf>,
    /// The protocol's seed (also the reasoner's, whose sequences are reused).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reasoner epochs when its sequences must be (re)made.
    #[arg(long, default_value_t = 30)]
    reasoner_epochs: usize,
    /// Also copy the seed-0 bundles, results.json and (synthetic worlds only, whose rows may
    /// be shared) the GBR sequences and test scores to assets/ranker/{dataset}.
    #[arg(long)]
    write_asset: bool,
    /// Histories of every logged event instead of the liked ones only.
    #[arg(long)]
    all_events: bool,
    /// GBR = each user's real off-log events (the last `--oracle-slots`) instead of the
    /// reasoner's: the ceiling a perfect reasoner would reach. It reads the hidden events, so
    /// it is a diagnostic, never a result; the report says so.
    #[arg(long)]
    gbr_oracle: bool,
    #[arg(long, default_value_t = 10)]
    oracle_slots: usize,
    /// Cold start, with the saved bundles instead of training: place a new item with this
    /// title (and `--cold-text`) in the REP space and score it for `--cold-user` with every
    /// variant — what the workbench's new-item box shows.
    #[arg(long)]
    cold_title: Option<String>,
    #[arg(long, default_value = "")]
    cold_text: String,
    /// The new item's genres, comma-separated.
    #[arg(long, default_value = "")]
    cold_genres: String,
    /// A user by name (default: the first user with a test impression).
    #[arg(long)]
    cold_user: Option<String>,
    #[arg(long)]
    json: bool,
}

/// Runs `reaseq reasoner train` with the experiment's data and protocol.
#[derive(Parser)]
struct ReasonerTrain {
    #[command(flatten)]
    args: crate::reasoner::EvalArgs,
}

struct Setup {
    ds: Dataset,
    protocol: Protocol,
    mode: String,
    rep: Vec<Vec<f32>>,
    /// The synthetic world's ground truth (None for datasets).
    truth: Option<GroundTruth>,
}

fn setup(a: &ExperimentArgs) -> Result<Setup> {
    let world = a.synthetic.then_some((a.world_users, a.world_items));
    let Split {
        ds,
        protocol,
        mode,
        truth,
    } = split(&a.source, world, &a.mode, a.rho, 10, a.seed)?;
    let rep = if a.synthetic {
        graph_embedding(&ds, &GraphEmbeddingConfig::default())?
    } else {
        crate::knowledge::read_rep_vectors(&ds)?
    };
    Ok(Setup {
        ds,
        protocol,
        mode: mode.describe(),
        rep,
        truth,
    })
}

/// On a synthetic world: per part, how many impressions and positives are items of the user's
/// partner genre (the planted off-platform taste), which says where +GBR can gain.
fn planted_composition(truth: &GroundTruth, parts: [(&str, &[RankerExample]); 3]) -> Value {
    let mut out = serde_json::Map::new();
    for (name, rows) in parts {
        let (mut positives, mut partner, mut partner_positives) = (0, 0, 0);
        for e in rows {
            let p = truth.in_partner_genre(e.user, e.target);
            positives += usize::from(e.label);
            partner += usize::from(p);
            partner_positives += usize::from(p && e.label);
        }
        out.insert(
            name.into(),
            json!({
                "impressions": rows.len(),
                "positives": positives,
                "partner_impressions": partner,
                "partner_positives": partner_positives,
            }),
        );
    }
    Value::Object(out)
}

/// A student encoder into the REP space of this experiment: on MovieLens-100k the one
/// `reaseq knowledge build` distilled (the REP vectors are its targets); on the synthetic world
/// one distilled here from the catalog and graph agents' cards to the graph vectors.
fn student(a: &ExperimentArgs, s: &Setup) -> Result<(Vec<u8>, Vec<u8>)> {
    if !a.synthetic {
        return crate::knowledge::student_bundle(&s.ds);
    }
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
    let cards = build_cards(&s.ds, &mut agents, &Critic)?;
    let texts: Vec<String> = cards.iter().map(KnowledgeCard::text).collect();
    let cfg = StudentConfig {
        // A few hundred template-made cards need far fewer buckets than real titles.
        buckets: 2048,
        dim: s.rep.first().map_or(0, Vec::len),
        ..StudentConfig::default()
    };
    let dc = DistillConfig {
        seed: a.seed,
        ..DistillConfig::default()
    };
    let (student, agreement) = distill(&texts, &s.rep, cfg, &dc)?;
    eprintln!(
        "student: held-out cosine {:.3}, neighbour overlap@10 {:.3}",
        agreement.heldout_cosine, agreement.heldout_overlap_at_10
    );
    let metrics = BTreeMap::from([
        ("heldout_cosine".to_owned(), agreement.heldout_cosine),
        (
            "heldout_overlap_at_10".to_owned(),
            agreement.heldout_overlap_at_10,
        ),
    ]);
    Ok(student.to_bundle(Some(s.ds.fingerprint()), metrics)?)
}

/// The cached GBR sequences for this data and protocol, made by the reasoner when missing.
fn gbr_sequences(a: &ExperimentArgs, s: &Setup) -> Result<Vec<Vec<u32>>> {
    let path = crate::default_data_dir()
        .join("reasoner")
        .join(&s.ds.name)
        .join("inferred.json");
    let name = path.display().to_string();
    if let Ok(bytes) = std::fs::read(&path) {
        let cached = InferredSequences::from_json(&name, &bytes).and_then(|seq| {
            if seq.provenance.seed != a.seed {
                return Err(reaseq_core::Error::Config(format!(
                    "{name}: made with seed {}, not {}",
                    seq.provenance.seed, a.seed
                )));
            }
            seq.resolve(&name, &s.ds, &s.mode)
        });
        match cached {
            Ok(v) => return Ok(v),
            Err(e) => eprintln!("{e}; training the reasoner again"),
        }
    }
    let mut argv: Vec<String> = vec!["reasoner".into(), "--seed".into(), a.seed.to_string()];
    argv.extend(["--epochs".into(), a.reasoner_epochs.to_string()]);
    if a.synthetic {
        argv.extend([
            "--synthetic".into(),
            "--world-users".into(),
            a.world_users.to_string(),
            "--world-items".into(),
            a.world_items.to_string(),
        ]);
    } else {
        argv.extend([
            "--mode".into(),
            a.mode.clone(),
            "--rho".into(),
            a.rho.to_string(),
        ]);
        if let Some(d) = &a.source.data {
            argv.extend(["--data".into(), d.display().to_string()]);
        }
        if let Some(i) = &a.source.interactions {
            argv.extend(["--interactions".into(), i.display().to_string()]);
        }
        if let Some(i) = &a.source.items {
            argv.extend(["--items".into(), i.display().to_string()]);
        }
    }
    let r = ReasonerTrain::try_parse_from(argv)?;
    crate::reasoner::train_only(r.args)?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {name}"))?;
    Ok(InferredSequences::from_json(&name, &bytes)?.resolve(&name, &s.ds, &s.mode)?)
}

/// The training settings, the same for every variant.
fn train_config(a: &ExperimentArgs, seed: u64) -> RankerTrainConfig {
    let d = RankerTrainConfig::default();
    let pick = |arg: Option<usize>, dataset: usize, synthetic: usize| {
        arg.unwrap_or(if a.synthetic { synthetic } else { dataset })
    };
    RankerTrainConfig {
        epochs: pick(a.epochs, d.epochs, 30),
        batch: pick(a.batch, d.batch, 64),
        patience: pick(a.patience, d.patience, 4),
        seed,
        ..d
    }
}

/// Each user's last `slots` off-log items, the GBR sequence of a perfect reasoner.
fn off_log_sequences(s: &Setup, slots: usize) -> Vec<Vec<u32>> {
    (0..s.ds.num_users() as u32)
        .map(|u| {
            let items = off_log_items(&s.ds, &s.protocol, u);
            items[items.len().saturating_sub(slots)..].to_vec()
        })
        .collect()
}

/// One trained model: the model, its epochs, its test scores and its seconds.
type Trained = (Ranker, usize, Vec<f64>, f64);

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, v.sqrt())
}

/// AUC of the rows selected by `keep`, averaged over seeds (None when a slice has one class).
fn slice_auc(labels: &[bool], columns: &[Vec<f64>], keep: &[bool]) -> Option<f64> {
    let l: Vec<bool> = labels
        .iter()
        .zip(keep)
        .filter(|p| *p.1)
        .map(|p| *p.0)
        .collect();
    let mut sum = 0.0;
    for c in columns {
        let s: Vec<f64> = c.iter().zip(keep).filter(|p| *p.1).map(|p| *p.0).collect();
        sum += reaseq_core::metrics::auc(&l, &s).ok()?;
    }
    Some(sum / columns.len() as f64)
}

/// `--cold-title`: the saved bundles place and score a new item (see `ranker::cold`).
fn cold_start(a: &ExperimentArgs, title: &str) -> Result<ExitCode> {
    let s = setup(a)?;
    let gbr = gbr_sequences(a, &s)?;
    let (ds, protocol) = (&s.ds, &s.protocol);
    let dir = crate::default_data_dir().join("ranker").join(&ds.name);
    let read = |name: String| {
        let p = dir.join(&name);
        std::fs::read(&p).with_context(|| format!("{}: run `reaseq experiment` first", p.display()))
    };
    let mut rankers = Vec::new();
    for v in Variant::ALL {
        let m = Ranker::from_bundle(
            v.key(),
            &read(format!("{}.json", v.key()))?,
            &read(format!("{}.safetensors", v.key()))?,
        )?;
        rankers.push(m);
    }
    let student = StudentEncoder::from_bundle(
        "student",
        &read("student.json".into())?,
        &read("student.safetensors".into())?,
    )?;
    let rep = rep_vectors(&rankers).context("the +REP bundle has no REP vectors")?;
    let space = ColdSpace::new(student, rep)?;
    let placed = space.place(title, &a.cold_text, 8)?;
    let mut genres = Vec::new();
    for g in a
        .cold_genres
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        genres.push(
            ds.genres
                .get(g)
                .with_context(|| format!("no genre '{g}' in {}", ds.name))?,
        );
    }
    // The user's history as their test impressions see it.
    let imp = impressions(ds, protocol, LabelPolicy::default(), a.negatives, a.seed)?;
    let which = if a.all_events {
        HistoryEvents::All
    } else {
        HistoryEvents::Liked
    };
    let max_history = rankers[0].config.max_history;
    let examples = ranker_examples(
        ds,
        protocol,
        &imp,
        LabelPolicy::default(),
        which,
        max_history,
    )?;
    let user = match &a.cold_user {
        Some(name) => Some(
            ds.users
                .get(name)
                .with_context(|| format!("no user '{name}'"))?,
        ),
        None => None,
    };
    let e = test_context(&examples, user).context("that user has no test impression")?;
    let scores = score_new_item(&rankers, &genres, &placed.rep, &e.history, e.gbr(&gbr))?;
    let neighbours: Vec<Value> = placed
        .neighbours
        .iter()
        .map(|&(i, c)| json!({"item_id": ds.items[i].id, "title": ds.items[i].display_title(), "cosine": c}))
        .collect();
    let out = json!({
        "user": ds.users.name(e.user),
        "history": e.history.len(),
        "semantic_id": placed.semantic_id,
        "neighbours": neighbours,
        "scores": scores.iter().map(|s| json!({
            "variant": s.variant.name(), "probability": s.probability, "rank": s.above + 1, "of": s.catalog + 1,
        })).collect::<Vec<_>>(),
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let id: Vec<String> = placed.semantic_id.iter().map(u16::to_string).collect();
        println!(
            "semantic ID {} — user {} ({} logged items)",
            id.join("-"),
            ds.users.name(e.user),
            e.history.len()
        );
        for &(i, c) in &placed.neighbours {
            println!("{c:.3}  {}", ds.items[i].display_title());
        }
        for s in &scores {
            println!(
                "{:<7} p = {:.3}, rank {} of {}",
                s.variant.name(),
                s.probability,
                s.above + 1,
                s.catalog + 1
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: ExperimentArgs) -> Result<ExitCode> {
    if let Some(title) = &a.cold_title {
        return cold_start(&a, title);
    }
    if a.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    if a.gbr_oracle && a.write_asset {
        bail!("--gbr-oracle reads the hidden events: its models cannot be workbench assets");
    }
    let started = Instant::now();
    let s = setup(&a)?;
    let gbr = if a.gbr_oracle {
        off_log_sequences(&s, a.oracle_slots)
    } else {
        gbr_sequences(&a, &s)?
    };
    let (ds, protocol) = (&s.ds, &s.protocol);
    let imp = impressions(ds, protocol, LabelPolicy::default(), a.negatives, a.seed)?;
    let cfg0 = RankerConfig::small(Variant::Base, ds.num_items(), ds.genres.len(), 0);
    let history = if a.all_events {
        HistoryEvents::All
    } else {
        HistoryEvents::Liked
    };
    let examples = ranker_examples(
        ds,
        protocol,
        &imp,
        LabelPolicy::default(),
        history,
        cfg0.max_history,
    )?;
    let part = |p: Part| -> Vec<RankerExample> {
        examples.iter().filter(|e| e.part == p).cloned().collect()
    };
    let (train, valid, test) = (part(Part::Train), part(Part::Valid), part(Part::Test));
    eprintln!(
        "{}: {} train, {} validation, {} test impressions; protocol {}",
        ds.name,
        train.len(),
        valid.len(),
        test.len(),
        s.mode
    );
    let features = ItemFeatures {
        genres: ds.items.iter().map(|i| i.genres.clone()).collect(),
        num_genres: ds.genres.len(),
        rep: Some(s.rep.clone()),
    };
    let rep_dim = s.rep.first().map_or(0, Vec::len);
    let users: Vec<u32> = test.iter().map(|e| e.user).collect();
    let labels: Vec<bool> = test.iter().map(|e| e.label).collect();
    // Every (variant, seed) model is independent and seeded, so they train in parallel with
    // the same results as one after another; assembled below in a fixed order.
    let jobs: Vec<(Variant, u64)> = Variant::ALL
        .into_iter()
        .flat_map(|v| (0..a.seeds as u64).map(move |seed| (v, seed)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = a.jobs.max(1).min(jobs.len());
    let train_one = |v: Variant, seed: u64| -> Result<Trained> {
        let t = Instant::now();
        let cfg = RankerConfig::small(v, ds.num_items(), ds.genres.len(), rep_dim);
        let init = Ranker::init(cfg, &features, seed)?;
        let tc = train_config(&a, seed);
        let (model, log) = train_ranker(&init, &train, &valid, &gbr, &tc, &mut |e| {
            eprintln!(
                "{} seed {seed}: epoch {} loss {:.4} validation GAUC {:.4}",
                v.name(),
                e.epoch + 1,
                e.loss,
                e.valid_gauc
            )
        })?;
        let col = score_all(&model, &test, &gbr)?;
        Ok((model, log.len(), col, t.elapsed().as_secs_f64()))
    };
    let trained_at = Instant::now();
    let mut done: Vec<(usize, Result<Trained>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(v, seed)) = jobs.get(k) else {
                            break;
                        };
                        out.push((k, train_one(v, seed)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    if done.len() != jobs.len() {
        bail!(
            "a training thread stopped early ({} of {} models)",
            done.len(),
            jobs.len()
        );
    }
    done.sort_by_key(|d| d.0);
    let train_wall = trained_at.elapsed().as_secs_f64();
    let mut train_secs = 0.0;
    let mut scores: BTreeMap<Variant, Vec<Vec<f64>>> = BTreeMap::new();
    let mut per_seed: BTreeMap<Variant, Vec<Value>> = BTreeMap::new();
    let mut models: BTreeMap<Variant, Ranker> = BTreeMap::new();
    for (k, r) in done {
        let (v, seed) = jobs[k];
        let (model, epochs, col, secs) = r?;
        let ev = evaluate(&users, &labels, &col)?;
        per_seed.entry(v).or_default().push(json!({
            "seed": seed, "auc": ev.auc, "gauc": ev.gauc, "logloss": ev.logloss,
            "epochs": epochs, "seconds": secs,
        }));
        train_secs += secs;
        scores.entry(v).or_default().push(col);
        if seed == 0 {
            models.insert(v, model);
        }
    }
    // Headline table: means ± std over seeds, user-bootstrap CIs of the seed-mean.
    let boot = BootstrapConfig {
        seed: a.seed,
        ..BootstrapConfig::default()
    };
    let cols = |v: Variant| -> Vec<&[f64]> { scores[&v].iter().map(Vec::as_slice).collect() };
    let stat = |v: Variant, k: &str| -> Vec<f64> {
        per_seed[&v]
            .iter()
            .map(|r| r[k].as_f64().unwrap_or(f64::NAN))
            .collect()
    };
    let base_auc = mean_std(&stat(Variant::Base, "auc")).0;
    let base_gauc = mean_std(&stat(Variant::Base, "gauc")).0;
    let mut variants = serde_json::Map::new();
    for v in Variant::ALL {
        let (auc, auc_sd) = mean_std(&stat(v, "auc"));
        let (gauc, gauc_sd) = mean_std(&stat(v, "gauc"));
        let (ll, ll_sd) = mean_std(&stat(v, "logloss"));
        let auc_ci = bootstrap_ci_seeds(Metric::Auc, &users, &labels, &cols(v), &boot)?;
        let gauc_ci = bootstrap_ci_seeds(Metric::Gauc, &users, &labels, &cols(v), &boot)?;
        let mut row = json!({
            "auc": auc, "auc_std": auc_sd, "gauc": gauc, "gauc_std": gauc_sd,
            "logloss": ll, "logloss_std": ll_sd,
            "auc_ci": [auc_ci.lower, auc_ci.upper], "gauc_ci": [gauc_ci.lower, gauc_ci.upper],
            "rela_impr_auc": rela_impr(auc, base_auc)?, "rela_impr_gauc": rela_impr(gauc, base_gauc)?,
            "per_seed": per_seed[&v],
        });
        if v != Variant::Base {
            let mut vs = serde_json::Map::new();
            for (m, name) in [(Metric::Auc, "auc"), (Metric::Gauc, "gauc")] {
                let d = paired_bootstrap_seeds(
                    m,
                    &users,
                    &labels,
                    &cols(v),
                    &cols(Variant::Base),
                    &boot,
                )?;
                // The bootstrap resamples users, not seeds: say how many seeds agree with it.
                let per_seed: Vec<f64> = stat(v, name)
                    .iter()
                    .zip(stat(Variant::Base, name))
                    .map(|(x, b)| x - b)
                    .collect();
                let ahead = per_seed.iter().filter(|&&x| x > 0.0).count();
                vs.insert(
                    name.into(),
                    json!({"difference": d.estimate, "ci": [d.lower, d.upper], "p_value": d.p_value,
                           "per_seed": per_seed, "seeds_ahead": ahead}),
                );
            }
            row["vs_base"] = Value::Object(vs);
        }
        variants.insert(v.name().into(), row);
    }
    // Slices: item popularity, history length, genre (AUC, seed-mean).
    let pop = PopularityBuckets::new(&protocol.train_popularity(ds), 0.5);
    let mut slices = serde_json::Map::new();
    for sl in reaseq_core::ranker::slices(ds, &pop, &test) {
        let mut keep = vec![false; test.len()];
        sl.rows.iter().for_each(|&i| keep[i] = true);
        let mut row = json!({"impressions": sl.rows.len()});
        for v in Variant::ALL {
            row[v.name()] = json!(slice_auc(&labels, &scores[&v], &keep));
        }
        let entry = slices
            .entry(sl.kind.key().to_string())
            .or_insert_with(|| Value::Object(Default::default()));
        entry[sl.name] = row;
    }
    // Where ReaSeq stands on the sparse items, with a paired interval.
    let sparse: Vec<usize> = (0..test.len())
        .filter(|&i| pop.of(test[i].target) != PopularityBucket::Head)
        .collect();
    let sparse_diff = {
        let pick = |c: &[f64]| -> Vec<f64> { sparse.iter().map(|&i| c[i]).collect() };
        let su: Vec<u32> = sparse.iter().map(|&i| users[i]).collect();
        let sl: Vec<bool> = sparse.iter().map(|&i| labels[i]).collect();
        let a_cols: Vec<Vec<f64>> = scores[&Variant::ReaSeq].iter().map(|c| pick(c)).collect();
        let b_cols: Vec<Vec<f64>> = scores[&Variant::Base].iter().map(|c| pick(c)).collect();
        let ar: Vec<&[f64]> = a_cols.iter().map(Vec::as_slice).collect();
        let br: Vec<&[f64]> = b_cols.iter().map(Vec::as_slice).collect();
        paired_bootstrap_seeds(Metric::Auc, &su, &sl, &ar, &br, &boot)
            .map(|d| json!({"impressions": sparse.len(), "auc_difference": d.estimate, "ci": [d.lower, d.upper], "p_value": d.p_value}))
            .unwrap_or(Value::Null)
    };
    let seconds = started.elapsed().as_secs_f64();
    let t = train_config(&a, 0);
    let training =
        json!({"epochs": t.epochs, "batch": t.batch, "patience": t.patience, "lr": t.lr});
    let results = json!({
        "dataset": ds.name,
        "dataset_fingerprint": format!("{:016x}", ds.fingerprint()),
        "protocol": s.mode,
        "world": if a.synthetic { json!({"users": a.world_users, "items": a.world_items, "seed": a.seed}) } else { Value::Null },
        "seed": a.seed,
        "seeds": a.seeds,
        "negatives": a.negatives,
        "training": training,
        "history": if a.all_events { "all logged events" } else { "liked logged events" },
        "gbr": if a.gbr_oracle { format!("oracle: the last {} real off-log events (a ceiling, not a result)", a.oracle_slots) } else { "the reasoner's inferred sequences".into() },
        "impressions": {"train": train.len(), "valid": valid.len(), "test": test.len()},
        "test_users": users.iter().collect::<std::collections::BTreeSet<_>>().len(),
        "planted": s.truth.as_ref().map(|t| planted_composition(t, [("train", &train), ("valid", &valid), ("test", &test)])),
        "variants": variants,
        "slices": slices,
        "reaseq_vs_base_cold_long_tail": sparse_diff,
        "parameters": models.iter().map(|(v, m)| (v.name().to_string(), json!(m.num_parameters()))).collect::<serde_json::Map<_, _>>(),
        "train_seconds": train_secs,
        "train_wall_seconds": train_wall,
        "jobs": threads,
        "seconds": seconds,
    });
    let text = serde_json::to_string_pretty(&results)?;
    // Models that read hidden events (the oracle) get their own report and never reach the
    // workbench.
    let (reports_name, bundle_dir) = if a.gbr_oracle {
        (format!("{}-gbr-oracle", ds.name), None)
    } else {
        let dir = crate::default_data_dir().join("ranker").join(&ds.name);
        workbench_outputs(&a, &s, &dir, &models, &per_seed, &text)?;
        (ds.name.clone(), Some(dir))
    };
    let reports = a
        .reports
        .clone()
        .unwrap_or_else(|| crate::default_data_dir().join("reports").join(reports_name));
    std::fs::create_dir_all(&reports).with_context(|| format!("creating {}", reports.display()))?;
    std::fs::write(reports.join("results.json"), &text)?;
    write_report(&reports, &results)?;
    // `--gbr-oracle` refuses `--write-asset` above, so with it the bundles exist.
    if let Some(dir) = bundle_dir.as_ref().filter(|_| a.write_asset) {
        write_assets(&a, ds, dir, &scores, &text)?;
    }
    if a.json {
        println!("{text}");
    } else {
        print!("{}", markdown_table(&results));
        eprintln!("results, report and charts → {}", reports.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Bundles (seed 0), the student and the results next to them, for the workbench.
fn workbench_outputs(
    a: &ExperimentArgs,
    s: &Setup,
    bundle_dir: &std::path::Path,
    models: &BTreeMap<Variant, Ranker>,
    per_seed: &BTreeMap<Variant, Vec<Value>>,
    text: &str,
) -> Result<()> {
    let ds = &s.ds;
    std::fs::create_dir_all(bundle_dir)
        .with_context(|| format!("creating {}", bundle_dir.display()))?;
    for (v, m) in models {
        let metrics = BTreeMap::from([
            (
                "test_auc".to_string(),
                per_seed[v][0]["auc"].as_f64().unwrap_or(f64::NAN),
            ),
            (
                "test_gauc".to_string(),
                per_seed[v][0]["gauc"].as_f64().unwrap_or(f64::NAN),
            ),
        ]);
        let (manifest, weights) = m.to_bundle(Some(ds.fingerprint()), metrics)?;
        let stem = bundle_dir.join(v.key());
        std::fs::write(stem.with_extension("json"), manifest)?;
        std::fs::write(stem.with_extension("safetensors"), weights)?;
    }
    // The student that places a new item's text in these rankers' REP space (the workbench's
    // cold-start box).
    let (manifest, weights) = student(a, s)?;
    std::fs::write(bundle_dir.join("student.json"), manifest)?;
    std::fs::write(bundle_dir.join("student.safetensors"), weights)?;
    std::fs::write(bundle_dir.join("results.json"), text)?;
    Ok(())
}

/// `--write-asset`: the bundles, results and (synthetic worlds, whose rows may be shared) the
/// GBR sequences and test scores under assets/ranker/{dataset}.
fn write_assets(
    a: &ExperimentArgs,
    ds: &Dataset,
    bundle_dir: &std::path::Path,
    scores: &BTreeMap<Variant, Vec<Vec<f64>>>,
    text: &str,
) -> Result<()> {
    let dir = crate::assets_dir().join("ranker").join(&ds.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for stem in Variant::ALL.iter().map(|v| v.key()).chain(["student"]) {
        for ext in ["json", "safetensors"] {
            let name = format!("{stem}.{ext}");
            std::fs::copy(bundle_dir.join(&name), dir.join(&name))
                .with_context(|| format!("copying {name} to {}", dir.display()))?;
        }
    }
    std::fs::write(dir.join("results.json"), text)?;
    if a.synthetic {
        let scores0: serde_json::Map<String, Value> = Variant::ALL
            .iter()
            .map(|v| (v.name().to_string(), json!(scores[v][0])))
            .collect();
        std::fs::write(dir.join("test_scores.json"), serde_json::to_vec(&scores0)?)?;
        let seq = crate::default_data_dir()
            .join("reasoner")
            .join(&ds.name)
            .join("inferred.json");
        std::fs::copy(&seq, dir.join("inferred.json"))
            .with_context(|| format!("copying {}", seq.display()))?;
    }
    eprintln!("assets → {}", dir.display());
    Ok(())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn markdown_table(r: &Value) -> String {
    let mut out = String::from(
        "| variant | AUC (mean ± std) | AUC 95% CI | GAUC (mean ± std) | GAUC 95% CI | logloss | RelaImpr (GAUC) | AUC − Base [95% CI], p | GAUC − Base [95% CI], p | seeds ahead of Base (AUC / GAUC) |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let seeds = r["seeds"].as_u64().unwrap_or(0);
    for v in Variant::ALL {
        let x = &r["variants"][v.name()];
        // Base has no difference from itself: its three comparison cells are dashes.
        let [auc_vs, gauc_vs, ahead] = if v == Variant::Base {
            ["—".to_string(), "—".to_string(), "—".to_string()]
        } else {
            let vs = &x["vs_base"];
            let diff = |d: &Value| {
                format!(
                    "{:+.4} [{:+.4}, {:+.4}], p = {:.3}",
                    f(&d["difference"]),
                    f(&d["ci"][0]),
                    f(&d["ci"][1]),
                    f(&d["p_value"])
                )
            };
            [
                diff(&vs["auc"]),
                diff(&vs["gauc"]),
                format!(
                    "{} / {} of {seeds}",
                    vs["auc"]["seeds_ahead"], vs["gauc"]["seeds_ahead"]
                ),
            ]
        };
        out.push_str(&format!(
            "| {} | {:.4} ± {:.4} | [{:.4}, {:.4}] | {:.4} ± {:.4} | [{:.4}, {:.4}] | {:.4} | {:+.2}% | {} | {} | {} |\n",
            v.name(),
            f(&x["auc"]),
            f(&x["auc_std"]),
            f(&x["auc_ci"][0]),
            f(&x["auc_ci"][1]),
            f(&x["gauc"]),
            f(&x["gauc_std"]),
            f(&x["gauc_ci"][0]),
            f(&x["gauc_ci"][1]),
            f(&x["logloss"]),
            f(&x["rela_impr_gauc"]),
            auc_vs,
            gauc_vs,
            ahead
        ));
    }
    out
}

fn slice_table(r: &Value, kind: &str) -> String {
    let mut out = format!(
        "| {kind} | impressions | {} |\n|---|---|{}\n",
        Variant::ALL.map(|v| v.name()).join(" | "),
        "---|".repeat(4)
    );
    if let Some(m) = r["slices"][kind].as_object() {
        for (name, row) in m {
            let cells: Vec<String> = Variant::ALL
                .iter()
                .map(|v| {
                    row[v.name()]
                        .as_f64()
                        .map_or("—".into(), |x| format!("{x:.4}"))
                })
                .collect();
            out.push_str(&format!(
                "| {name} | {} | {} |\n",
                row["impressions"],
                cells.join(" | ")
            ));
        }
    }
    out
}

/// The report's sentence on the planted partner genre (empty for datasets).
fn planted_line(p: &Value) -> String {
    if p.is_null() {
        return String::new();
    }
    let share = |part: &str, of: &str| {
        let x = &p[part];
        let (n, d) = (f(&x[format!("partner_{of}")]), f(&x[of]));
        if d > 0.0 {
            100.0 * n / d
        } else {
            0.0
        }
    };
    format!(
        "Items of the user's partner genre (the planted off-platform taste) are {:.1}% of training impressions and {:.1}% of training positives, {:.1}% of test impressions and {:.1}% of test positives.\n\n",
        share("train", "impressions"),
        share("train", "positives"),
        share("test", "impressions"),
        share("test", "positives"),
    )
}

fn write_report(dir: &Path, r: &Value) -> Result<()> {
    let bars: Vec<(String, f64, f64, f64)> = Variant::ALL
        .iter()
        .map(|v| {
            let x = &r["variants"][v.name()];
            (
                v.name().to_string(),
                f(&x["gauc"]),
                f(&x["gauc_ci"][0]),
                f(&x["gauc_ci"][1]),
            )
        })
        .collect();
    std::fs::write(
        dir.join("gauc.svg"),
        reaseq_core::report::bar_chart("Test GAUC (95% CI)", &bars)?,
    )?;
    let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
    if let Some(m) = r["slices"]["popularity"].as_object() {
        for (name, row) in m {
            groups.push((
                name.clone(),
                Variant::ALL.iter().map(|v| f(&row[v.name()])).collect(),
            ));
        }
    }
    let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
    std::fs::write(
        dir.join("popularity.svg"),
        reaseq_core::report::grouped_bars("AUC by item popularity", &names, &groups)?,
    )?;
    let sparse = &r["reaseq_vs_base_cold_long_tail"];
    let planted = planted_line(&r["planted"]);
    let md = format!(
        "# ReaSeq ablation on {}\n\nProtocol `{}`, seed {}, {} training seeds per variant; {} test impressions of {} users. Made by `reaseq experiment` in {:.0} s.\n\n{}{}\n![GAUC](gauc.svg)\n\n## Slices (test AUC, mean over seeds)\n\n{}\n{}\n{}\n![AUC by popularity](popularity.svg)\n\nReaSeq − Base on cold and long-tail items: AUC {:+.4} [{:+.4}, {:+.4}], p = {:.3} ({} impressions).\n",
        r["dataset"].as_str().unwrap_or(""),
        r["protocol"].as_str().unwrap_or(""),
        r["seed"],
        r["seeds"],
        r["impressions"]["test"],
        r["test_users"],
        f(&r["seconds"]),
        planted,
        markdown_table(r),
        slice_table(r, "popularity"),
        slice_table(r, "history_length"),
        slice_table(r, "genre"),
        f(&sparse["auc_difference"]),
        f(&sparse["ci"][0]),
        f(&sparse["ci"][1]),
        f(&sparse["p_value"]),
        sparse["impressions"],
    );
    std::fs::write(dir.join("report.md"), md)?;
    Ok(())
}
