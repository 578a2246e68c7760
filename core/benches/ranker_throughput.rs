//! Impressions scored per second by the ranker (ReaSeq variant, the default browser size, a
//! MovieLens-sized catalogue: 1682 items, 19 genres, 48-d REP vectors, 30 history and 10
//! inferred items per impression), natively: `cargo bench -p reaseq-core --bench ranker_throughput`;
//! in WebAssembly (headless Chromium):
//! `cd core && CHROMEDRIVER=/usr/bin/chromedriver cargo bench --target wasm32-unknown-unknown --bench ranker_throughput`.

use reaseq_core::ranker::{ItemFeatures, Ranker, RankerConfig, RankerInput, Variant};
use reaseq_core::rng::SeededRng;

const ITEMS: usize = 1682;
const IMPRESSIONS: usize = 2000;

struct Setup {
    model: Ranker,
    rows: Vec<(u32, Vec<u32>, Vec<u32>)>,
}

fn setup() -> Setup {
    let mut rng = SeededRng::new(3);
    let features = ItemFeatures {
        genres: (0..ITEMS).map(|i| vec![(i % 19) as u32]).collect(),
        num_genres: 19,
        rep: Some(
            (0..ITEMS)
                .map(|_| (0..48).map(|_| rng.gaussian() as f32).collect())
                .collect(),
        ),
    };
    let cfg = RankerConfig::small(Variant::ReaSeq, ITEMS, 19, 48);
    let model = Ranker::init(cfg, &features, 1).expect("model");
    let rows = (0..IMPRESSIONS)
        .map(|_| {
            let target = rng.below(ITEMS) as u32;
            let h = (0..30).map(|_| rng.below(ITEMS) as u32).collect();
            let g = (0..10).map(|_| rng.below(ITEMS) as u32).collect();
            (target, h, g)
        })
        .collect();
    Setup { model, rows }
}

fn score_all(s: &Setup) -> f32 {
    s.rows
        .iter()
        .map(|(t, h, g)| {
            s.model
                .score(&RankerInput {
                    target: *t,
                    history: h,
                    gbr: g,
                    user: None,
                })
                .expect("score")
                .probability
        })
        .sum()
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let s = setup();
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = std::time::Instant::now();
        std::hint::black_box(score_all(&s));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "ranker (native): ReaSeq, {} parameters: {:.0} impressions/s (median of 10 runs of {IMPRESSIONS})",
        s.model.num_parameters(),
        IMPRESSIONS as f64 / median
    );
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen_test::{wasm_bindgen_bench, Criterion};

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_bench]
    fn ranker_impressions(c: &mut Criterion) {
        let s = super::setup();
        c.bench_function(
            "ranker: 2000 impressions, ReaSeq (wasm) — impressions/s = 2000 / time",
            |b| b.iter(|| std::hint::black_box(super::score_all(&s))),
        );
    }
}

// The wasm-bindgen test runner calls the benchmark above; the binary itself does nothing.
#[cfg(target_arch = "wasm32")]
fn main() {}
