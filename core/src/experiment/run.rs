//! Training the four variants on identical rows and seeds, and assembling `results.json`.
//! Native only (the ranker trains with candle on threads).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::data::protocol::PopularityBuckets;
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::knowledge::rep::{RepSource, RepVectors};
use crate::metrics::BootstrapConfig;
use crate::progress::Progress;
use crate::ranker::train::{score_all, train_ranker, RankerTrainConfig};
use crate::ranker::{HistoryEvents, ItemFeatures, Ranker, RankerConfig, Variant};
use crate::reasoner::pipeline::ReasonerSettings;
use crate::reasoner::{off_log_items, GbrSlots};

use super::controls::{control_input, Control, ControlInput};
use super::evaluation::{evaluate_controls, evaluate_test_set, SeedRun, SeedScores};
use super::results::{ControlResult, ExperimentResults, GbrSource, PartCounts};
use super::results::{TestSetEvaluation, TrainingSettings};
use super::rows::{ExperimentRows, RowSettings};
use super::verdicts::declared_verdicts;
use crate::artifact::Artifact;

/// What the ablation trains and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentConfig {
    /// Training seeds per variant (`first_seed`, +1, …).
    pub seeds: usize,
    /// The first model seed; a draw study gives each protocol draw seeds of its own.
    pub first_seed: u64,
    /// Models trained at once; each is seeded, so the results do not depend on it.
    pub jobs: usize,
    /// Epochs, batch, patience and learning rate of every model (the seed is each model's).
    pub training: RankerTrainConfig,
    /// Sampled negatives per logged event.
    pub negatives: usize,
    pub history: HistoryEvents,
    /// The protocol's seed: seeds the negatives and the bootstrap.
    pub seed: u64,
    pub gbr: GbrSource,
    /// Also train the controls (+GBR's architecture over sequences that carry no inference).
    pub controls: bool,
}

impl ExperimentConfig {
    /// Every model's seeds: `first_seed`, +1, … (`seeds` of them).
    pub fn model_seeds(&self) -> std::ops::Range<u64> {
        self.first_seed..self.first_seed.saturating_add(self.seeds as u64)
    }

    /// The same configuration on protocol seed `seed`, with the model seeds of that draw:
    /// `seed × seeds`, +1, … (so no two draws share a model seed). Refused when they overflow.
    pub fn with_protocol_seed(self, seed: u64) -> Result<Self> {
        let first_seed = seed
            .checked_mul(self.seeds as u64)
            .filter(|f| f.checked_add(self.seeds as u64).is_some())
            .ok_or_else(|| {
                Error::Config(format!(
                    "--seed {seed} with --seeds {}: the model seeds overflow",
                    self.seeds
                ))
            })?;
        Ok(Self {
            seed,
            first_seed,
            ..self
        })
    }

    /// The defaults for a dataset, or for the small synthetic world (whose few thousand
    /// impressions make short epochs): 30 epochs of 64 with patience 4 there.
    pub fn defaults(synthetic: bool) -> Self {
        let d = RankerTrainConfig::default();
        let training = if synthetic {
            RankerTrainConfig {
                epochs: 30,
                batch: 64,
                patience: 4,
                ..d
            }
        } else {
            d
        };
        Self {
            seeds: 3,
            first_seed: 0,
            jobs: 1,
            training,
            negatives: 0,
            history: HistoryEvents::Liked,
            seed: 0,
            gbr: GbrSource::Reasoner,
            controls: false,
        }
    }
}

/// The results, seed 0's models (the workbench's bundles) and every seed's test scores.
pub struct ExperimentRun {
    pub results: ExperimentResults,
    pub models: BTreeMap<Variant, Ranker>,
    pub scores: SeedScores,
}

/// One trained model: the model, its run and its test scores.
type Trained = (Ranker, SeedRun, Vec<f64>);

/// Trains Base, +REP, +GBR and ReaSeq for every seed on `data`, with `rep` the items' REP
/// vectors and `gbr` the GBR sequences (per user or time-windowed; each row reads its slot),
/// and evaluates them on the test rows.
pub fn run_experiment(
    data: &Prepared,
    rep: &RepVectors,
    gbr: &GbrSlots,
    cfg: &ExperimentConfig,
    progress: &dyn Progress,
) -> Result<ExperimentRun> {
    if cfg.seeds == 0 {
        return Err(Error::Config("--seeds must be at least 1".into()));
    }
    if cfg.first_seed.checked_add(cfg.seeds as u64).is_none() {
        return Err(Error::Config(format!(
            "model seeds from {} overflow",
            cfg.first_seed
        )));
    }
    let started = Instant::now();
    let ds = &data.ds;
    let cfg0 = RankerConfig::small(Variant::Base, ds.num_items(), ds.genres.len(), 0);
    let mut rows = ExperimentRows::build(
        data,
        &RowSettings {
            negatives: cfg.negatives,
            history: cfg.history,
            max_history: cfg0.max_history,
            seed: cfg.seed,
        },
    )?;
    for part in [&mut rows.train, &mut rows.valid, &mut rows.test] {
        gbr.assign(ds.num_users(), part)?;
    }
    progress.message(&format!(
        "{}: {} train, {} validation, {} test impressions; protocol {}",
        ds.name,
        rows.train.len(),
        rows.valid.len(),
        rows.test.len(),
        data.mode.describe()
    ));
    let inputs = arm_inputs(data, &rows, gbr, cfg)?;
    let trained_at = Instant::now();
    let done = train_all(data, &rep.vectors, &inputs, cfg, progress)?;
    let train_wall_seconds = trained_at.elapsed().as_secs_f64();
    let mut scores = SeedScores::new();
    let mut runs: BTreeMap<Variant, Vec<SeedRun>> = BTreeMap::new();
    let mut control_scores: BTreeMap<Control, (Vec<Vec<f64>>, Vec<SeedRun>)> = BTreeMap::new();
    let mut models = BTreeMap::new();
    for ((arm, seed), (model, run, col)) in done {
        match arm {
            Arm::Variant(v) => {
                runs.entry(v).or_default().push(run);
                scores.entry(v).or_default().push(col);
                if seed == cfg.first_seed {
                    models.insert(v, model);
                }
            }
            Arm::Control(c) => {
                let e = control_scores.entry(c).or_default();
                e.0.push(col);
                e.1.push(run);
            }
        }
    }
    let boot = BootstrapConfig {
        seed: cfg.seed,
        ..BootstrapConfig::default()
    };
    let pop = PopularityBuckets::new(
        &data.protocol.train_popularity(ds),
        PopularityBuckets::HEAD_SHARE,
    );
    let evaluation = evaluate_test_set(ds, &pop, &rows.test, &scores, &runs, &boot)?;
    let controls = evaluate_controls(&rows.test, &scores, &evaluation, &control_scores, &boot)?;
    let timing = Timing {
        train_seconds: runs
            .values()
            .flatten()
            .chain(control_scores.values().flat_map(|c| &c.1))
            .map(|r| r.seconds)
            .sum(),
        train_wall_seconds,
        seconds: started.elapsed().as_secs_f64(),
    };
    let results = assemble(
        data,
        cfg,
        (&rows, &rep.source),
        &models,
        (evaluation, controls),
        timing,
    );
    Ok(ExperimentRun {
        results,
        models,
        scores,
    })
}

/// How long the experiment took.
struct Timing {
    train_seconds: f64,
    train_wall_seconds: f64,
    seconds: f64,
}

/// `results.json` from the evaluation and what made it.
fn assemble(
    data: &Prepared,
    cfg: &ExperimentConfig,
    (rows, rep): (&ExperimentRows, &RepSource),
    models: &BTreeMap<Variant, Ranker>,
    (evaluation, controls): (TestSetEvaluation, BTreeMap<String, ControlResult>),
    timing: Timing,
) -> ExperimentResults {
    let ds = &data.ds;
    let t = &cfg.training;
    let mut results = ExperimentResults {
        format_version: ExperimentResults::FORMAT_VERSION,
        dataset: ds.name.clone(),
        dataset_fingerprint: format!("{:016x}", ds.fingerprint()),
        protocol: data.mode,
        split: data.split,
        world: data.world,
        seed: cfg.seed,
        seeds: cfg.seeds,
        negatives: cfg.negatives,
        training: TrainingSettings {
            epochs: t.epochs,
            batch: t.batch,
            patience: t.patience,
            lr: t.lr,
        },
        history: cfg.history,
        gbr: cfg.gbr,
        rep: Some(rep.clone()),
        impressions: PartCounts {
            train: rows.train.len(),
            valid: rows.valid.len(),
            test: rows.test.len(),
        },
        test_users: rows
            .test
            .iter()
            .map(|e| e.user)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        planted: data.truth.as_ref().map(|t| {
            rows.planted(t)
                .into_iter()
                .map(|(k, p)| (k.to_owned(), p))
                .collect()
        }),
        evaluation,
        controls,
        verdicts: Vec::new(),
        parameters: models
            .iter()
            .map(|(v, m)| (v.name().to_owned(), m.num_parameters()))
            .collect(),
        train_seconds: timing.train_seconds,
        train_wall_seconds: timing.train_wall_seconds,
        jobs: cfg.jobs.max(1).min(arms(cfg).len() * cfg.seeds),
        seconds: timing.seconds,
    };
    results.verdicts = declared_verdicts(&results);
    results
}

/// A model of the ablation: a variant, or a control (+GBR's architecture on its own sequences,
/// or Base with a user embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Arm {
    Variant(Variant),
    Control(Control),
}

impl Arm {
    /// Its ranker, from the variants' common configuration `base`.
    fn ranker(self, base: RankerConfig, users: usize) -> RankerConfig {
        match self {
            Arm::Variant(variant) => RankerConfig { variant, ..base },
            Arm::Control(c) => c.ranker(base, users),
        }
    }

    fn name(self) -> String {
        match self {
            Arm::Variant(v) => v.name().to_owned(),
            Arm::Control(c) => format!("control {}", c.key()),
        }
    }
}

/// The variants, then (with `cfg.controls`) the controls.
fn arms(cfg: &ExperimentConfig) -> Vec<Arm> {
    let controls = if cfg.controls { &Control::ALL[..] } else { &[] };
    Variant::ALL
        .into_iter()
        .map(Arm::Variant)
        .chain(controls.iter().map(|&c| Arm::Control(c)))
        .collect()
}

/// Each arm's rows and second-block sequences: the variants read the reasoner's, each control
/// its own (seeded with the protocol's seed; made from the reasoner's input only).
fn arm_inputs<'a>(
    data: &Prepared,
    rows: &'a ExperimentRows,
    gbr: &'a GbrSlots,
    cfg: &ExperimentConfig,
) -> Result<Vec<(Arm, ControlInput<'a>)>> {
    let max_history = ReasonerSettings::defaults(data.world.is_some()).max_history;
    arms(cfg)
        .into_iter()
        .map(|arm| {
            let input = match arm {
                Arm::Variant(_) => ControlInput {
                    rows: Cow::Borrowed(rows),
                    sequences: Cow::Borrowed(&gbr.sequences),
                },
                Arm::Control(c) => control_input(c, data, rows, gbr, max_history, cfg.seed)?,
            };
            Ok((arm, input))
        })
        .collect()
}

/// Every (arm, seed) model, in the order Base 0, 1, …, +REP 0, …, then the controls: each is
/// independent and seeded, so `cfg.jobs` threads give the same models as one.
fn train_all(
    data: &Prepared,
    rep: &[Vec<f32>],
    inputs: &[(Arm, ControlInput)],
    cfg: &ExperimentConfig,
    progress: &dyn Progress,
) -> Result<Vec<((Arm, u64), Trained)>> {
    let ds = &data.ds;
    let features = ItemFeatures {
        genres: ds.items.iter().map(|i| i.genres.clone()).collect(),
        num_genres: ds.genres.len(),
        rep: Some(rep.to_vec()),
    };
    let rep_dim = rep.first().map_or(0, Vec::len);
    let jobs: Vec<(usize, u64)> = (0..inputs.len())
        .flat_map(|a| cfg.model_seeds().map(move |seed| (a, seed)))
        .collect();
    let train_one = |a: usize, seed: u64| -> Result<Trained> {
        progress.checkpoint()?;
        let t = Instant::now();
        let (arm, input) = &inputs[a];
        let (rows, seqs) = (&input.rows, &input.sequences);
        let small = RankerConfig::small(Variant::Base, ds.num_items(), ds.genres.len(), rep_dim);
        let mc = arm.ranker(small, ds.num_users());
        let init = Ranker::init(mc, &features, seed)?;
        let tc = RankerTrainConfig {
            seed,
            ..cfg.training.clone()
        };
        let (model, log) = train_ranker(&init, &rows.train, &rows.valid, seqs, &tc, &mut |e| {
            progress.message(&format!(
                "{} seed {seed}: epoch {} loss {:.4} validation GAUC {:.4}",
                arm.name(),
                e.epoch + 1,
                e.loss,
                e.valid_gauc
            ))
        })?;
        let col = score_all(&model, &rows.test, seqs)?;
        let run = SeedRun {
            seed,
            epochs: log.len(),
            seconds: t.elapsed().as_secs_f64(),
        };
        Ok((model, run, col))
    };
    let next = AtomicUsize::new(0);
    let threads = cfg.jobs.max(1).min(jobs.len());
    let mut done: Vec<(usize, Result<Trained>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(a, seed)) = jobs.get(k) else {
                            break;
                        };
                        out.push((k, train_one(a, seed)));
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
        return Err(Error::Model(format!(
            "a training thread stopped early ({} of {} models)",
            done.len(),
            jobs.len()
        )));
    }
    done.sort_by_key(|d| d.0);
    done.into_iter()
        .map(|(k, r)| r.map(|t| ((inputs[jobs[k].0].0, jobs[k].1), t)))
        .collect()
}

/// Each user's last `slots` off-log items: the GBR sequence of a perfect reasoner (the
/// `--gbr-oracle` ceiling; it reads hidden events).
pub fn oracle_sequences(data: &Prepared, slots: usize) -> Vec<Vec<u32>> {
    (0..data.ds.num_users() as u32)
        .map(|u| {
            let items = off_log_items(&data.ds, &data.protocol, u);
            items[items.len().saturating_sub(slots)..].to_vec()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ProtocolMode, SplitKind, SyntheticConfig, SyntheticWorld};
    use crate::progress::Silent;
    use crate::rng::SeededRng;

    #[test]
    fn controls_train_beside_the_variants_under_a_global_domain_split() {
        let world = SyntheticWorld::generate(&SyntheticConfig {
            users: 40,
            items: 120,
            seed: 2,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let mode = ProtocolMode::Domain { share: 0.2 };
        let data = Prepared::dataset_split(world.dataset, mode, SplitKind::Global, 1).unwrap();
        let mut rng = SeededRng::new(4);
        let rep = RepVectors {
            source: RepSource::for_tests(8),
            vectors: (0..120)
                .map(|_| (0..8).map(|_| rng.gaussian() as f32).collect())
                .collect(),
        };
        let gbr = GbrSlots::per_user(&data.ds, &data.protocol, oracle_sequences(&data, 5));
        let cfg = ExperimentConfig {
            seeds: 2,
            jobs: 2,
            training: RankerTrainConfig {
                epochs: 1,
                ..ExperimentConfig::defaults(true).training
            },
            controls: true,
            ..ExperimentConfig::defaults(false)
        };
        let run = run_experiment(&data, &rep, &gbr, &cfg, &Silent).unwrap();
        let r = &run.results;
        assert_eq!((r.protocol, r.split), (mode, SplitKind::Global));
        assert_eq!(r.rep.as_ref(), Some(&rep.source));
        assert_eq!(r.controls.len(), Control::ALL.len());
        for c in r.controls.values() {
            let vs = c.result.vs_base.as_ref().unwrap();
            for d in [&vs.gauc, &c.gbr_vs_control.auc, &c.gbr_vs_control.gauc] {
                assert!(d.difference.is_finite() && (0.0..=1.0).contains(&d.p_value));
                assert_eq!(d.per_seed.len(), 2);
            }
        }
        // +GBR − a control is the same as (+GBR − Base) − (control − Base), seed by seed.
        let gbr_vs = &r
            .variant(Variant::Gbr)
            .unwrap()
            .vs_base
            .as_ref()
            .unwrap()
            .auc;
        let c = &r.controls["shuffled"];
        let own = &c.result.vs_base.as_ref().unwrap().auc;
        for s in 0..2 {
            let want = gbr_vs.per_seed[s] - own.per_seed[s];
            assert!((c.gbr_vs_control.auc.per_seed[s] - want).abs() < 1e-12);
        }
        let back: ExperimentResults =
            crate::artifact::from_json("results.json", &crate::artifact::to_json(r).unwrap())
                .unwrap();
        assert_eq!(back.split, SplitKind::Global);
        assert_eq!(
            back.controls.keys().collect::<Vec<_>>(),
            r.controls.keys().collect::<Vec<_>>()
        );
        assert!(super::super::markdown_table(r).contains("own-history"));
        // The declared family: three variants on two metrics, and +GBR against each control.
        assert_eq!(r.verdicts.len(), 6 + Control::ALL.len());
        assert_eq!(r.verdicts.iter().filter(|v| v.primary).count(), 1);
        assert!(r
            .verdicts
            .iter()
            .all(|v| v.p_holm >= v.p_value && v.p_holm <= 1.0));
    }
}
