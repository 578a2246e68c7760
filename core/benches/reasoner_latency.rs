//! Per-user latency of the diffusion reasoner's sampler (M = 8 slots, T = 8 steps, 30 history
//! items, the CLI's default model size over a MovieLens-sized vocabulary) and of the ranked
//! decoder (a beam of 20 down the trie for the top 8), natively:
//! `cargo bench -p reaseq-core --bench reasoner_latency`; in WebAssembly (headless Chromium):
//! `cd core && CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_DRIVER_TIMEOUT=400 cargo bench --target wasm32-unknown-unknown --bench reasoner_latency`.

use reaseq_core::knowledge::semantic_id::SemanticIds;
use reaseq_core::reasoner::{
    BeamConfig, DiffusionReasoner, ItemVocab, ReasonerConfig, SamplerConfig,
};

/// 1682 items with three 32-code levels, like MovieLens-100k's semantic IDs.
fn setup() -> (
    DiffusionReasoner,
    ItemVocab,
    Vec<u32>,
    Vec<bool>,
    SamplerConfig,
) {
    let codes: Vec<Vec<u16>> = (0..1682u16)
        .map(|i| vec![i % 32, (i / 32) % 32, i / 1024, 0])
        .collect();
    let vocab = ItemVocab::new(&SemanticIds::from_codes(codes)).expect("vocabulary");
    let cfg = ReasonerConfig {
        vocab: vocab.size(),
        max_len: 2 + (30 + 8) * vocab.levels(),
        dim: 64,
        layers: 2,
        heads: 4,
        ffn: 128,
    };
    let model = DiffusionReasoner::init(cfg, 1).expect("model");
    let history: Vec<u32> = (0..30).map(|i| (i * 53) % 1682).collect();
    let mut excluded = vec![false; 1682];
    for &h in &history {
        excluded[h as usize] = true;
    }
    let sampler = SamplerConfig {
        slots: 8,
        steps: 8,
        ..SamplerConfig::default()
    };
    (model, vocab, history, excluded, sampler)
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let (mut model, vocab, history, excluded, sampler) = setup();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        std::hint::black_box(
            reaseq_core::reasoner::infer(&mut model, &vocab, &history, &excluded, &sampler)
                .expect("infer"),
        );
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "reasoner (native): one user, M = 8, T = 8, {} parameters: median {:.1} ms (min {:.1} ms)",
        model.num_parameters(),
        times[times.len() / 2],
        times[0]
    );
    let beam = BeamConfig {
        items: 8,
        width: 20,
    };
    let mut times = Vec::new();
    let mut passes = 0;
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let out = reaseq_core::reasoner::beam_items(&mut model, &vocab, &history, &excluded, &beam)
            .expect("beam");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        passes = std::hint::black_box(out).1;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "ranked decoder (native): one user, top 8 by a beam of 20, {passes} forward passes: median {:.1} ms (min {:.1} ms)",
        times[times.len() / 2],
        times[0]
    );
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen_test::{wasm_bindgen_bench, Criterion};

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_bench]
    fn reasoner_one_user(c: &mut Criterion) {
        let (mut model, vocab, history, excluded, sampler) = super::setup();
        c.bench_function("reasoner: one user, M = 8, T = 8 (wasm)", |b| {
            b.iter(|| {
                std::hint::black_box(
                    reaseq_core::reasoner::infer(&mut model, &vocab, &history, &excluded, &sampler)
                        .expect("infer"),
                )
            })
        });
        let beam = super::BeamConfig {
            items: 8,
            width: 20,
        };
        c.bench_function(
            "ranked decoder: one user, top 8 by a beam of 20 (wasm)",
            |b| {
                b.iter(|| {
                    std::hint::black_box(
                        reaseq_core::reasoner::beam_items(
                            &mut model, &vocab, &history, &excluded, &beam,
                        )
                        .expect("beam"),
                    )
                })
            },
        );
    }
}

// The wasm-bindgen test runner calls the benchmark above; the binary itself does nothing.
#[cfg(target_arch = "wasm32")]
fn main() {}
