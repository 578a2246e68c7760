//! The reasoner's training throughput on MovieLens-100k (`random` mode, the dataset defaults:
//! fold 0's training users, self-supervised examples of every other user), in examples per
//! second over one epoch; with `REASEQ_BENCH_FULL=1` also the whole cross-fit (every fold,
//! early stopping, the prior's search, every user's sequence) and its validation recall.
//! Reads the fetched data and knowledge build under `$REASEQ_DATA` (else `./data`):
//! `reaseq data fetch && reaseq knowledge build`, then
//! `cargo bench -p reaseq-core --features cli --bench reasoner_training`.

use std::path::PathBuf;
use std::time::Instant;

use reaseq_core::data::fetch::ml100k_dir;
use reaseq_core::data::load::load_dir;
use reaseq_core::data::{LoadOptions, Prepared, ProtocolMode};
use reaseq_core::progress::Silent;
use reaseq_core::reasoner::crossfit::user_folds;
use reaseq_core::reasoner::pipeline::{fit_reasoner, ReasonerSettings};
use reaseq_core::reasoner::train::{examples, train, TrainConfig};
use reaseq_core::reasoner::{DiffusionReasoner, ItemVocab};
use reaseq_core::workspace::Workspace;

// The allocator of the `reaseq` binary, whose training this measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = std::env::var_os("REASEQ_DATA").map_or_else(|| "data".into(), PathBuf::from);
    // `cargo bench` runs in the package's directory; the data sits in the workspace's.
    let data_dir = if data_dir.is_relative() && !data_dir.exists() {
        PathBuf::from("..").join(data_dir)
    } else {
        data_dir
    };
    let dir = ml100k_dir(&data_dir);
    if !dir.exists() {
        println!(
            "no MovieLens-100k in {}: run `reaseq data fetch && reaseq knowledge build` first",
            dir.display()
        );
        return Ok(());
    }
    let ds = load_dir(&dir, LoadOptions::default())?.dataset;
    let data = Prepared::dataset(ds, ProtocolMode::Random { rho: 0.3 }, 0)?;
    let ws = Workspace::new(data_dir.clone(), data_dir.join("../assets"));
    let s = ReasonerSettings::defaults(false);
    let (ids, _) = ws.reasoner_knowledge(&data, &s)?;
    let vocab = ItemVocab::new(&ids)?;
    let cfg = s.crossfit(&vocab);
    let (ds, protocol) = (&data.ds, &data.protocol);

    // One epoch of fold 0's examples, as the cross-fit draws them.
    let fold = user_folds(ds.num_users(), cfg.folds, cfg.seed);
    let train_users: Vec<u32> = (0..ds.num_users() as u32)
        .filter(|&u| fold[u as usize] != 0)
        .collect();
    let everyone: Vec<u32> = (0..ds.num_users() as u32).collect();
    let ex = examples(
        ds,
        protocol,
        &train_users,
        &everyone,
        cfg.max_history,
        cfg.sampler.slots,
        cfg.augment,
        cfg.seed,
    );
    let init = DiffusionReasoner::init(cfg.model, cfg.seed)?;
    let tc = TrainConfig {
        epochs: 1,
        ..cfg.train.clone()
    };
    let t = Instant::now();
    let mut loss = f64::NAN;
    train(&init, &vocab, &mut |_| ex.clone(), &tc, &mut |r, _| {
        loss = r.loss;
        Ok(true)
    })?;
    let secs = t.elapsed().as_secs_f64();
    // The loss, to the last digit, shows whether a faster graph still trains the same model.
    println!(
        "reasoner training, MovieLens-100k: {} examples (batch {}, {} parameters) in {secs:.1} s = {:.1} examples/s; epoch loss {loss:.9}",
        ex.len(),
        tc.batch,
        init.num_parameters(),
        ex.len() as f64 / secs
    );

    if std::env::var_os("REASEQ_BENCH_FULL").is_some() {
        let fitted = fit_reasoner(&data, &ids, &s, &Silent)?;
        let recall: Vec<String> = fitted
            .fit
            .epochs
            .iter()
            .zip(&fitted.fit.best_epoch)
            .map(|(log, &b)| {
                log.get(b)
                    .and_then(|e| e.valid_recall)
                    .map_or("—".into(), |r| format!("{r:.4}"))
            })
            .collect();
        println!(
            "whole cross-fit, MovieLens-100k: {:.0} s ({:.1} min); best epochs {:?}; validation Recall@{} per fold (model alone) {}",
            fitted.seconds,
            fitted.seconds / 60.0,
            fitted.fit.best_epoch.iter().map(|e| e + 1).collect::<Vec<_>>(),
            s.slots,
            recall.join(", ")
        );
    }
    Ok(())
}
