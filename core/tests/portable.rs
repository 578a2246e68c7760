//! Runs natively and in headless Chromium (wasm-bindgen-test): the same seed and the same input
//! give the same numbers on both, and those numbers match scikit-learn.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use reaseq_core::data::load::read_scores_csv;
use reaseq_core::data::{
    BeyondLog, Part, Protocol, SplitConfig, Strictness, SyntheticConfig, SyntheticWorld,
};
use reaseq_core::knowledge::neighbours::item_neighbours;
use reaseq_core::knowledge::pipeline::KnowledgeBuildConfig;
use reaseq_core::knowledge::pipeline::{make_agents, page_knowledge, run_agents, MadeKnowledge};
use reaseq_core::metrics::{auc, bootstrap_ci, evaluate, BootstrapConfig, Metric};

/// Fingerprint of the default synthetic world (seed 42), pinned so that a change to the
/// generator, or a platform difference, is caught.
const DEFAULT_WORLD_FINGERPRINT: u64 = 12937397892802510530;

#[test]
fn synthetic_world_is_identical_on_every_platform() {
    let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
    assert_eq!(w.dataset.fingerprint(), DEFAULT_WORLD_FINGERPRINT);
    let p = Protocol::new(
        &w.dataset,
        SplitConfig::default(),
        &BeyondLog::Random { rho: 0.3 },
        1,
    )
    .unwrap();
    assert_eq!(
        [Part::Train, Part::Valid, Part::Test, Part::OffLog].map(|x| p.count(x)),
        PROTOCOL_COUNTS
    );
}

const PROTOCOL_COUNTS: [usize; 4] = [6575, 746, 1181, 3191];

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../tests/fixtures/metrics/", $name, ".csv")),
        )
    };
}

#[test]
fn metrics_match_scikit_learn_golden_values() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/metrics/golden.json")).unwrap();
    for (name, csv) in [
        fixture!("heavy_ties"),
        fixture!("skewed_users"),
        fixture!("single_class_users"),
        fixture!("extreme_scores"),
        fixture!("brief_example"),
    ] {
        let t = read_scores_csv(name, csv.as_bytes(), Strictness::Strict).unwrap();
        let e = evaluate(&t.user, &t.label, &t.score).unwrap();
        let want = &golden["cases"][name];
        for (key, got) in [("auc", e.auc), ("gauc", e.gauc), ("logloss", e.logloss)] {
            let w = want[key].as_f64().unwrap();
            assert!((got - w).abs() < 1e-9, "{name} {key}: {got} vs {w}");
        }
        assert_eq!(e.users_used as u64, want["users_used"].as_u64().unwrap());
    }
}

#[test]
fn bootstrap_is_reproducible_across_platforms() {
    let (_, csv) = fixture!("heavy_ties");
    let t = read_scores_csv("heavy_ties", csv.as_bytes(), Strictness::Strict).unwrap();
    let cfg = BootstrapConfig {
        replicates: 100,
        seed: 3,
        ..BootstrapConfig::default()
    };
    let ci = bootstrap_ci(Metric::Gauc, &t.user, &t.label, &t.score, &cfg).unwrap();
    assert_eq!(
        [ci.lower.to_bits(), ci.upper.to_bits()],
        BOOTSTRAP_BITS,
        "{ci:?}"
    );
    assert_eq!(auc(&[false, true, true], &[0.5, 0.9, 0.5]).unwrap(), 0.75);
}

const BOOTSTRAP_BITS: [u64; 2] = [4605561907260092070, 4605811300197246116];

#[test]
fn student_encoder_gives_the_same_vector_on_every_platform() {
    use reaseq_core::knowledge::student::{StudentConfig, StudentEncoder};
    let s = StudentEncoder::init(StudentConfig::default(), 3);
    let v = s.embed("Toy Story (1995). genres: Animation, Children's, Comedy. era: 1990s.");
    for (got, want) in v.iter().zip(STUDENT_PREFIX) {
        assert!((got - want).abs() < 1e-5, "{v:?}");
    }
    let (m, w) = s.to_bundle(None, Default::default()).unwrap();
    let back = StudentEncoder::from_bundle("student", &m, &w).unwrap();
    assert_eq!(
        back.embed("a film no log has seen"),
        s.embed("a film no log has seen")
    );
}

const STUDENT_PREFIX: [f32; 4] = [0.11017322, 0.0013399003, 0.15469518, 0.1588351];

/// The reasoner's sampler over a seeded model: items and trace, bit for bit, on every platform.
#[test]
fn reasoner_inference_is_identical_on_every_platform() {
    use reaseq_core::hash::Fnv1a;
    use reaseq_core::knowledge::semantic_id::SemanticIds;
    use reaseq_core::reasoner::{
        infer, DiffusionReasoner, ItemVocab, ReasonerConfig, SamplerConfig,
    };
    let codes: Vec<Vec<u16>> = (0..64u16).map(|i| vec![i % 8, (i / 8) % 8, 0]).collect();
    let vocab = ItemVocab::new(&SemanticIds::from_codes(codes)).unwrap();
    let cfg = ReasonerConfig {
        max_len: 2 + (10 + 4) * vocab.levels(),
        ..ReasonerConfig::small(vocab.size())
    };
    let mut model = DiffusionReasoner::init(cfg, 11).unwrap();
    let history = [3, 17, 42, 5, 60, 8];
    let mut excluded = vec![false; 64];
    for &h in &history {
        excluded[h as usize] = true;
    }
    let sampler = SamplerConfig {
        slots: 4,
        steps: 4,
        temperature: 0.7,
        seed: 5,
        ..SamplerConfig::default()
    };
    let out = infer(&mut model, &vocab, &history, &excluded, &sampler).unwrap();
    let mut h = Fnv1a::default();
    for c in out.trace.iter().flat_map(|s| &s.commits) {
        h.u64(c.token as u64).u64(c.prob.to_bits() as u64);
    }
    let items: Vec<u32> = out.items.iter().flatten().copied().collect();
    assert_eq!(items.len(), 4);
    // The ranked decoder over the same model: items and their log-probabilities.
    let (beam, _) = reaseq_core::reasoner::beam_items(
        &mut model,
        &vocab,
        &history,
        &excluded,
        &reaseq_core::reasoner::BeamConfig { items: 5, width: 8 },
    )
    .unwrap();
    let mut b = Fnv1a::default();
    for (i, lp) in &beam {
        b.u64(*i as u64).u64(lp.to_bits() as u64);
    }
    assert_eq!(
        (items, h.finish(), b.finish()),
        (
            REASONER_ITEMS.to_vec(),
            REASONER_TRACE_HASH,
            REASONER_BEAM_HASH
        ),
        "beam {beam:?}"
    );
}

const REASONER_ITEMS: [u32; 4] = [0, 45, 40, 25];
const REASONER_TRACE_HASH: u64 = 15685654660160260197;
const REASONER_BEAM_HASH: u64 = 14121156922741065389;

/// The committed synthetic ranker bundles (`reaseq experiment --synthetic --write-asset`) score
/// the whole test set exactly as the CLI did natively: to 1e-5, in the browser too.
#[test]
fn bundled_rankers_score_the_test_set_like_native() {
    use reaseq_core::artifact::from_json;
    use reaseq_core::data::WorldSpec;
    use reaseq_core::experiment::{ExperimentResults, ExperimentRows, TestScores};
    use reaseq_core::ranker::{Ranker, Variant};
    use reaseq_core::reasoner::InferredSequences;
    macro_rules! asset {
        ($name:literal) => {
            include_bytes!(concat!("../../assets/ranker/synthetic/", $name)).as_slice()
        };
    }
    let results: ExperimentResults = from_json("results.json", asset!("results.json")).unwrap();
    assert_eq!(results.world, Some(WorldSpec::sized(300, 200, 0)));
    let data = results.spec().prepare(None).unwrap();
    let gbr = InferredSequences::from_json("inferred.json", asset!("inferred.json"))
        .unwrap()
        .resolve("inferred.json", &data)
        .unwrap();
    let bundles = [
        (
            Variant::Base,
            asset!("base.json"),
            asset!("base.safetensors"),
        ),
        (Variant::Rep, asset!("rep.json"), asset!("rep.safetensors")),
        (Variant::Gbr, asset!("gbr.json"), asset!("gbr.safetensors")),
        (
            Variant::ReaSeq,
            asset!("reaseq.json"),
            asset!("reaseq.safetensors"),
        ),
    ];
    let want: TestScores = from_json("test_scores.json", asset!("test_scores.json")).unwrap();
    for (v, manifest, weights) in bundles {
        let m = Ranker::from_bundle(v.name(), manifest, weights).unwrap();
        assert_eq!(m.config.variant, v);
        let rows = ExperimentRows::of_results(&data, &results, std::slice::from_ref(&m)).unwrap();
        let want = &want.scores[v.name()];
        assert_eq!(rows.test.len(), want.len());
        for (e, &w) in rows.test.iter().zip(want) {
            let s = m.score(&e.input(&gbr)).unwrap();
            assert!(
                (f64::from(s.probability) - w).abs() < 1e-5,
                "{v:?}: {} vs {w}",
                s.probability
            );
        }
    }
    // A bundle whose weights do not match its manifest is refused.
    let mut bad = asset!("base.safetensors").to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let e = Ranker::from_bundle("base", asset!("base.json"), &bad).unwrap_err();
    assert!(e.to_string().contains("base"), "{e}");
}

/// What the Knowledge view shows for item 0 of the default world: its nearest items in graph
/// space and its semantic ID, pinned so that the page and the CLI's library agree.
const KNOWLEDGE_NEIGHBOURS_OF_0: [usize; 5] = [108, 283, 157, 305, 342];
const SEMANTIC_ID_OF_0: &str = "17-0-19-0";

#[test]
fn the_knowledge_view_is_the_same_on_every_platform() {
    let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
    let k = page_knowledge(&w.dataset, MadeKnowledge::default()).unwrap();
    let vectors = k.vectors.unwrap();
    let nn: Vec<usize> = item_neighbours(&vectors, 0, 5)
        .unwrap()
        .iter()
        .map(|x| x.0)
        .collect();
    let id = k.semantic_ids.unwrap().display(0);
    assert_eq!(nn, KNOWLEDGE_NEIGHBOURS_OF_0);
    assert_eq!(id, SEMANTIC_ID_OF_0);
    // The timed card stage runs in the browser too (its clock reads 0 there).
    let mut agents = make_agents(&KnowledgeBuildConfig::defaults(), None).unwrap();
    let (cards, stats) = run_agents(&w.dataset, &mut agents).unwrap();
    assert_eq!(cards.cards, k.cards);
    assert_eq!(stats.cards, w.dataset.num_items());
}
