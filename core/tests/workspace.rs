//! The workspace stages as a library, without the binary: the reasoner's files, the reuse of
//! its sequences, the experiment's bundles and the cold start on them.

#![cfg(feature = "train")]

use std::sync::Mutex;

use reaseq_core::artifact::from_json;
use reaseq_core::data::{Prepared, PreparedSpec, ProtocolMode, WorldSpec};
use reaseq_core::experiment::{run_experiment, ExperimentConfig, GbrSource};
use reaseq_core::knowledge::rep::RepSource;
use reaseq_core::knowledge::semantic_id::SemanticIdFile;
use reaseq_core::knowledge::vectors::TextEncoder;
use reaseq_core::layout::file;
use reaseq_core::progress::Progress;
use reaseq_core::ranker::cold::NewItem;
use reaseq_core::ranker::train::RankerTrainConfig;
use reaseq_core::reasoner::pipeline::{DecoderKind, ReasonerSettings};
use reaseq_core::reasoner::slots::logged_items;
use reaseq_core::reasoner::{GbrSlots, InferredSequences};
use reaseq_core::workspace::Workspace;

/// Every line a stage reports.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Progress for Lines {
    fn message(&self, line: &str) {
        if let Ok(mut l) = self.0.lock() {
            l.push(line.to_owned());
        }
    }
}

impl Lines {
    fn any(&self, needle: &str) -> bool {
        self.0
            .lock()
            .is_ok_and(|l| l.iter().any(|x| x.contains(needle)))
    }
}

/// A deterministic stand-in for the teacher: each text's words hashed into 32 buckets.
struct HashedWords;

impl TextEncoder for HashedWords {
    fn name(&self) -> &str {
        "hashed words"
    }

    fn embed(&self, texts: &[String]) -> reaseq_core::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = [0f32; 32];
                for w in t.split_whitespace() {
                    let h = w.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                    });
                    v[(h % 32) as usize] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter().map(|x| x / n).collect()
            })
            .collect())
    }
}

fn world() -> Prepared {
    let spec = WorldSpec::sized(40, 120, 0);
    Prepared::synthetic(spec).unwrap()
}

fn small_reasoner() -> ReasonerSettings {
    ReasonerSettings {
        epochs: 1,
        slots: 4,
        steps: 4,
        max_history: 8,
        dim: 16,
        layers: 1,
        ..ReasonerSettings::defaults(true)
    }
}

#[test]
fn the_stages_write_read_back_and_reuse_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().join("data"), dir.path().join("assets"));
    let data = world();

    // The reasoner: its bundle, sequences, vocabulary and protocol, copied to the assets.
    let lines = Lines::default();
    let (fitted, vectors) = ws
        .train_reasoner(&data, &small_reasoner(), true, &lines)
        .unwrap();
    assert!(lines.any("fold 1/2") && lines.any("assets →"));
    assert_eq!(vectors.len(), 120);
    let rdir = ws.reasoner_dir(&data);
    let read = |p: std::path::PathBuf| std::fs::read(p).unwrap();
    let seq: InferredSequences = from_json("inferred", &read(rdir.join(file::INFERRED))).unwrap();
    assert_eq!(seq.resolve("inferred", &data).unwrap(), fitted.fit.inferred);
    let spec: PreparedSpec = from_json("protocol", &read(rdir.join(file::PROTOCOL))).unwrap();
    assert_eq!(
        spec.prepare(None).unwrap().ds.fingerprint(),
        data.ds.fingerprint()
    );
    let assets = ws.assets.join("reasoner/synthetic");
    let ids: SemanticIdFile = from_json("ids", &read(assets.join(file::SEMANTIC_IDS))).unwrap();
    assert_eq!(ids.ids.codes.len(), 120);
    assert!(ws.reasoner_model(&data).is_ok());

    // Saved sequences are reused for the same seed, without training.
    let again = Lines::default();
    let gbr = ws.gbr_sequences(&data, 0, 1, &again).unwrap();
    assert_eq!(gbr, fitted.fit.inferred);
    assert!(!again.any("fold 1/2"));

    // Exporting with another seed than the fit's is refused: protocol.json would lie.
    let reseeded = Prepared { seed: 5, ..world() };
    let e = ws
        .export_reasoner(&reseeded, &small_reasoner(), false, &Lines::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("fitted with seed 0, not 5"), "{e}");
    assert!(ws
        .export_reasoner(&data, &small_reasoner(), false, &Lines::default())
        .is_ok());

    // Another protocol's data is refused by the bundle's fingerprint.
    let other = Prepared::dataset(data.ds.clone(), ProtocolMode::Random { rho: 0.3 }, 0).unwrap();
    let mut renamed = other;
    renamed.ds.interactions.pop();
    let e = ws.reasoner_model(&renamed).unwrap_err().to_string();
    assert!(e.contains("trained on other data"), "{e}");

    // The experiment's bundles, then the cold start on them.
    let cfg = ExperimentConfig {
        seeds: 1,
        jobs: 1,
        training: RankerTrainConfig {
            epochs: 1,
            ..ExperimentConfig::defaults(true).training
        },
        ..ExperimentConfig::defaults(true)
    };
    // The world's knowledge build is made on first use, then read back.
    let made = Lines::default();
    let rep = ws.experiment_rep(&data, &HashedWords, &made).unwrap();
    assert!(
        made.any("not found; the world's knowledge build (catalog and graph agents, hashed words)")
    );
    assert_eq!(rep.source.text_encoder, "hashed words");
    assert!(rep.source.graph && rep.vectors.len() == data.ds.num_items());
    let again = Lines::default();
    assert_eq!(ws.experiment_rep(&data, &HashedWords, &again).unwrap(), rep);
    assert!(!again.any("knowledge build"));
    // Another world's build in the same place is made anew for this one.
    let other = Prepared::synthetic(WorldSpec::sized(40, 120, 1)).unwrap();
    let rebuilt = Lines::default();
    let other_rep = ws.experiment_rep(&other, &HashedWords, &rebuilt).unwrap();
    assert!(rebuilt.any("made for other data"));
    assert_ne!(other_rep.vectors, rep.vectors);
    assert_ne!(other_rep.source.fingerprint, rep.source.fingerprint);
    assert!(other_rep.source.same_kind(&rep.source));
    let rep = ws
        .experiment_rep(&data, &HashedWords, &Lines::default())
        .unwrap();
    // Time-windowed sequences from the fitted folds: each user's last covers the whole log,
    // and the experiment trains on them.
    let windowed = fitted
        .windowed(&data, &small_reasoner(), 5, DecoderKind::Beam)
        .unwrap();
    assert!(windowed.windowed && windowed.len() > data.ds.num_users());
    let last = windowed.last_slot(data.ds.num_users());
    for (u, k) in last.iter().enumerate() {
        let logged = logged_items(&data.ds, &data.protocol, u as u32).len();
        assert_eq!(windowed.logged[k.unwrap()] as usize, logged);
    }
    let run = run_experiment(&data, &rep, &windowed, &cfg, &Lines::default()).unwrap();
    assert!(run
        .results
        .variant(reaseq_core::ranker::Variant::Gbr)
        .is_some());
    let gbr = GbrSlots::per_user(&data.ds, &data.protocol, gbr);
    let run = run_experiment(&data, &rep, &gbr, &cfg, &Lines::default()).unwrap();
    assert_eq!(run.results.rep.as_ref(), Some(&rep.source));
    ws.write_experiment_bundles(&data, &run).unwrap();
    let (rankers, _) = ws.experiment_bundles(&data).unwrap();
    assert_eq!(rankers.len(), 4);
    let item = NewItem {
        title: "A new film".into(),
        description: "about a planted genre".into(),
        genres: vec![data.ds.genres.name(0).to_owned()],
        user: None,
    };
    let r = ws.cold_start(&data, &item, 1, &Lines::default()).unwrap();
    assert_eq!(r.scores.len(), 4);

    // Shipped: the reasoner's every fold and the experiment's bundles and results, under the
    // assets; a fresh data directory remakes the sequences and installs the models from them.
    ws.write_experiment_assets(&data, &run, &Lines::default())
        .unwrap();
    shipped_models_remake_the_run(&ws, &data, (&rep.source, &fitted.fit.inferred), &cfg);

    // An oracle run read the hidden events: it never becomes the workbench's bundles.
    let mut oracle = run;
    oracle.results.gbr = GbrSource::Oracle { slots: 4 };
    let e = ws
        .write_experiment_bundles(&data, &oracle)
        .unwrap_err()
        .to_string();
    assert!(e.contains("hidden events"), "{e}");
}

/// A fresh data directory beside `ws`'s assets: the shipped reasoner infers the very sequences
/// its fit made, the shipped experiment installs bundles that score what they shipped with,
/// and other settings, or `retrain`, fall back to training.
fn shipped_models_remake_the_run(
    ws: &Workspace,
    data: &Prepared,
    (rep, inferred): (&RepSource, &[Vec<u32>]),
    cfg: &ExperimentConfig,
) {
    let dir = tempfile::tempdir().unwrap();
    let fresh = Workspace::new(dir.path(), &ws.assets);
    let lines = Lines::default();
    let shipped = fresh
        .shipped_reasoner(data, &small_reasoner(), &lines)
        .unwrap();
    assert_eq!(shipped.unwrap().fit.inferred, inferred);
    assert!(lines.any("the shipped reasoner (2 folds"));
    let seq = fresh.reasoner_dir(data).join(file::INFERRED);
    assert!(seq.exists() && fresh.reasoner_model(data).is_ok());

    // Other settings than the fit's: not these models.
    let wider = ReasonerSettings {
        dim: 32,
        ..small_reasoner()
    };
    let other = Lines::default();
    assert!(fresh
        .shipped_reasoner(data, &wider, &other)
        .unwrap()
        .is_none());
    assert!(other.any("fitted with other settings"));
    let retrain = fresh.clone().retraining(true);
    assert!(retrain
        .shipped_reasoner(data, &small_reasoner(), &other)
        .unwrap()
        .is_none());

    let installed = fresh
        .install_shipped_experiment(data, cfg, (rep, inferred), &Lines::default())
        .unwrap()
        .unwrap();
    assert_eq!(installed.seed0.len(), 4);
    assert!(
        installed.largest_difference() <= 1e-9,
        "{}",
        installed.describe()
    );
    assert!(fresh.experiment_bundles(data).is_ok() && fresh.experiment_results(data).is_ok());
    let longer = ExperimentConfig {
        seeds: 2,
        ..cfg.clone()
    };
    let said = Lines::default();
    assert!(fresh
        .install_shipped_experiment(data, &longer, (rep, inferred), &said)
        .unwrap()
        .is_none());
    assert!(said.any("made with other settings"));
    // REP vectors of another source: not these models either.
    let graph_only = RepSource {
        text_encoder: "none".into(),
        ..rep.clone()
    };
    let said = Lines::default();
    assert!(fresh
        .install_shipped_experiment(data, cfg, (&graph_only, inferred), &said)
        .unwrap()
        .is_none());
    assert!(said.any("made with other settings"));

    // Sequences other than those the bundles were trained with score otherwise: refused.
    let mut shuffled = inferred.to_vec();
    shuffled.rotate_left(1);
    let e = fresh
        .install_shipped_experiment(data, cfg, (rep, &shuffled), &Lines::default())
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("--retrain")));
}
