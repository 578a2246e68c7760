//! The workbench's synthetic world end to end, as `reaseq experiment --synthetic --controls
//! --seeds 3 --retrain` runs it: the reasoner's cross-fit and sequences, then the four variants
//! and every control, three seeds each, in a workspace of its own under the system's temporary
//! folder (nothing shipped is installed). Prints each phase's seconds and the total against the
//! target (under 8 minutes on 2 cores):
//! `cargo bench -p reaseq-core --features cli --bench synthetic_end_to_end`.

use std::time::Instant;

use reaseq_core::data::fetch::{fetch_minilm, minilm_dir};
use reaseq_core::data::{Prepared, WorldSpec};
use reaseq_core::experiment::{run_experiment, ExperimentConfig};
use reaseq_core::knowledge::teacher::TeacherEncoder;
use reaseq_core::progress::Silent;
use reaseq_core::workspace::Workspace;

// The allocator of the `reaseq` binary, whose run this measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The CLI's default reasoner epochs (`--reasoner-epochs`).
const REASONER_EPOCHS: usize = 30;
const TARGET_SECONDS: f64 = 480.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::temp_dir().join(format!("reaseq-bench-e2e-{}", std::process::id()));
    let result = run(&root);
    // The workspace holds only what this run made.
    let _ = std::fs::remove_dir_all(&root);
    result
}

fn run(root: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cfg = ExperimentConfig {
        jobs,
        controls: true,
        ..ExperimentConfig::defaults(true)
    };
    let ws = Workspace::new(root, root.join("no-assets")).retraining(true);
    let started = Instant::now();
    let data = Prepared::synthetic_seeded(WorldSpec::WORKBENCH, cfg.seed)?;
    // The world's knowledge build, with the teacher fetched into the workspace's data
    // directory (benches run in core/).
    let models = std::env::var_os("REASEQ_DATA").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
        std::path::PathBuf::from,
    );
    fetch_minilm(&models, &mut |l| eprintln!("{l}"))?;
    let teacher = TeacherEncoder::load(&minilm_dir(&models))?;
    let rep = ws.experiment_rep(&data, &teacher, &Silent)?;
    let setup = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let gbr = ws.experiment_gbr(&data, cfg.gbr, REASONER_EPOCHS, &Silent)?;
    let reasoner = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let run = run_experiment(&data, &rep, &gbr, &cfg, &Silent)?;
    let rankers = t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let r = &run.results;
    println!(
        "synthetic world end to end ({}; {} seeds, {} controls, {jobs} jobs):",
        WorldSpec::WORKBENCH.describe(),
        cfg.seeds,
        r.controls.len()
    );
    println!("  world, protocol and REP vectors (the knowledge build) {setup:.1} s");
    println!("  reasoner: cross-fit and sequences {reasoner:.1} s");
    println!("  rankers: four variants and the controls {rankers:.1} s");
    println!(
        "  total {total:.1} s ({:.1} min); target under {:.0} min: {}",
        total / 60.0,
        TARGET_SECONDS / 60.0,
        if total < TARGET_SECONDS {
            "met"
        } else {
            "not met"
        }
    );
    Ok(())
}
