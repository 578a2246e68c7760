//! Student encoder throughput in WebAssembly, in headless Chromium:
//! `cd core && CHROMEDRIVER=/usr/bin/chromedriver cargo bench --target wasm32-unknown-unknown --bench student_wasm`.
//! (Natively, `knowledge_throughput` measures the same encoder.)

#[cfg(target_arch = "wasm32")]
mod wasm {
    use reaseq_core::data::{SyntheticConfig, SyntheticWorld};
    use reaseq_core::knowledge::student::{StudentConfig, StudentEncoder};
    use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent};
    use wasm_bindgen_test::{wasm_bindgen_bench, Criterion};

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_bench]
    fn student_embed_400_cards(c: &mut Criterion) {
        let world = SyntheticWorld::generate(&SyntheticConfig::default()).expect("default world");
        let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
        let cards = build_cards(&world.dataset, &mut agents, &Critic).expect("cards");
        let texts: Vec<String> = cards.iter().map(|c| c.text()).collect();
        let student = StudentEncoder::init(StudentConfig::default(), 1);
        c.bench_function("student: embed 400 card texts (wasm)", |b| {
            b.iter(|| {
                for t in &texts {
                    std::hint::black_box(student.embed(t));
                }
            })
        });
    }
}
