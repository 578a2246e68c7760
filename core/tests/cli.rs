//! The `reaseq` binary end to end: golden metric values from scikit-learn, and a clear
//! `file:line` error (exit 1, never a panic) for every kind of malformed input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use reaseq_core::artifact::from_json;
use reaseq_core::data::fetch::{fetch_minilm, minilm_dir};
use reaseq_core::experiment::{DrawStudy, ExperimentResults, FullRanking, GbrSource, StudyResults};
use reaseq_core::ranker::Variant;
use reaseq_core::reasoner::pipeline::ReasonerEvaluation;

/// Runs `reaseq` with no fetched data around.
fn reaseq(args: &[&str]) -> Output {
    reaseq_with_data(Path::new("/nonexistent-reaseq-data"), args)
}

/// Runs `reaseq` with `data` as its data directory.
fn reaseq_with_data(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reaseq"))
        .args(args)
        .env("REASEQ_DATA", data)
        .output()
        .expect("run reaseq")
}

/// Runs `reaseq` again with `--write-asset`, `assets` as its assets directory: it must
/// succeed and read back every finished part (a world, a draw) instead of refitting it.
fn reaseq_again_to_assets(data: &Path, assets: &Path, args: &[&str]) -> Output {
    let again = Command::new(env!("CARGO_BIN_EXE_reaseq"))
        .args([args, &["--write-asset"]].concat())
        .env("REASEQ_DATA", data)
        .env("REASEQ_ASSETS", assets)
        .output()
        .expect("run reaseq");
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    assert!(err.contains("finished before"), "{err}");
    assert!(!err.contains("fold 1/2"), "{err}");
    again
}

/// A fresh data directory whose `models/` holds the teacher (all-MiniLM-L6-v2), which a
/// synthetic world's knowledge build needs: fetched once per test run into the target's
/// temporary folder (pip, pinned sha256) and linked, not copied.
fn data_dir_with_teacher() -> tempfile::TempDir {
    static SHARED: OnceLock<PathBuf> = OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("teacher");
        fetch_minilm(&dir, &mut |l| eprintln!("{l}")).expect("fetch the teacher");
        minilm_dir(&dir)
    });
    let data = tempfile::tempdir().unwrap();
    let linked = minilm_dir(data.path());
    std::fs::create_dir_all(linked.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(shared, &linked).unwrap();
    data
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/metrics")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn metrics_json_matches_scikit_learn_golden_values() {
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("golden.json")).unwrap()).unwrap();
    let cases = golden["cases"].as_object().unwrap();
    assert!(cases.len() >= 5);
    for (name, want) in cases {
        let path = fixtures().join(format!("{name}.csv"));
        let out = reaseq(&["metrics", "--scores", path.to_str().unwrap(), "--json"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON object");
        let got: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        for key in ["auc", "gauc", "logloss"] {
            let (g, w) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!(
                (g - w).abs() < 1e-9,
                "{name} {key}: {g} vs scikit-learn {w}"
            );
        }
        for key in ["n", "users_total", "users_used"] {
            assert_eq!(got[key], want[key], "{name} {key}");
        }
    }
}

#[test]
fn metrics_bootstrap_adds_intervals() {
    let path = fixtures().join("heavy_ties.csv");
    let out = reaseq(&[
        "metrics",
        "--scores",
        path.to_str().unwrap(),
        "--json",
        "--bootstrap",
        "200",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (lo, hi, auc) = (
        v["auc_ci"][0].as_f64().unwrap(),
        v["auc_ci"][1].as_f64().unwrap(),
        v["auc"].as_f64().unwrap(),
    );
    assert!(lo < auc && auc < hi);
}

#[test]
fn metrics_with_data_slice_each_models_rows_by_the_dataset() {
    let d = dir_with(&[
        ("items.csv", b"item_id,title,genres\nhit,Hit,Drama\nrare,Rare,Comedy\n"),
        (
            "interactions.csv",
            b"user_id,item_id,timestamp\nu1,hit,1\nu2,hit,2\nu3,hit,3\nu1,rare,4\n",
        ),
        (
            "scores.csv",
            b"user_id,label,item_id,a,b\nu1,1,hit,0.9,0.2\nu1,0,rare,0.1,0.8\nu2,1,rare,0.7,0.4\nu2,0,hit,0.2,0.6\n",
        ),
    ]);
    let scores = d.path().join("scores.csv");
    let data = d.path().to_str().unwrap();
    let args = [
        "metrics",
        "--scores",
        scores.to_str().unwrap(),
        "--data",
        data,
    ];
    let out = reaseq(&[&args[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slices = &v["slices"];
    assert_eq!(slices["matched"], 4);
    let genre: Vec<&str> = slices["slices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "Genre")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(genre, ["Drama", "Comedy"]);
    let text = String::from_utf8_lossy(&reaseq(&args).stdout).into_owned();
    assert!(
        text.contains("AUC by slice (4 of 4 rows matched in "),
        "{text}"
    );
    // Without --data, the figures alone.
    let out = reaseq(&["metrics", "--scores", scores.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("slices").is_none());
}

/// Writes `files` into a fresh directory and returns it.
fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

/// Asserts exit code 1 (not a panic's 101) and that stderr names `needle` (a `file:line` prefix
/// and reason).
fn assert_rejected(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in stderr:\n{err}");
    }
}

const ITEMS: &[u8] = b"item_id,title,genres,year\ni1,Alpha,Drama|War,1990\ni2,\"Beta, the \"\"film\"\"\",Comedy,2001\n";
const INTER: &[u8] = b"user_id,item_id,timestamp,rating\nu1,i1,100,5\nu1,i2,200,3\nu2,i2,150,4\n";

fn validate(inter: &[u8], items: Option<&[u8]>) -> (tempfile::TempDir, Output) {
    let mut files: Vec<(&str, &[u8])> = vec![("interactions.csv", inter)];
    if let Some(i) = items {
        files.push(("items.csv", i));
    }
    let d = dir_with(&files);
    let inter_path = d.path().join("interactions.csv");
    let items_path = d.path().join("items.csv");
    let mut args = vec![
        "data",
        "validate",
        "--interactions",
        inter_path.to_str().unwrap(),
    ];
    if items.is_some() {
        args.extend(["--items", items_path.to_str().unwrap()]);
    }
    let out = reaseq(&args);
    (d, out)
}

/// `reaseq data stats --data DIR --json`, which must succeed.
fn stats_json(dir: &Path) -> serde_json::Value {
    let out = reaseq(&["data", "stats", "--data", dir.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn valid_files_pass_and_stats_report_counts() {
    let (d, out) = validate(INTER, Some(ITEMS));
    assert!(out.status.success(), "{}", stderr(&out));
    let v = stats_json(d.path());
    assert_eq!(
        (
            v["users"].as_u64(),
            v["items"].as_u64(),
            v["interactions"].as_u64()
        ),
        (Some(2), Some(2), Some(3))
    );
}

#[test]
fn every_malformed_interactions_file_is_rejected_with_its_line() {
    let big = format!("user_id,item_id,timestamp\nu1,i1,{}\n", "9".repeat(3 << 20));
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "bad number",
            b"user_id,item_id,timestamp\nu1,i1,12x\n".to_vec(),
            vec!["interactions.csv:2: timestamp: not a timestamp"],
        ),
        (
            "missing field",
            b"user_id,item_id,timestamp\nu1,i1\n".to_vec(),
            vec!["interactions.csv:2: record: expected 3 fields, found 2"],
        ),
        (
            "empty field",
            b"user_id,item_id,timestamp\n,i1,5\n".to_vec(),
            vec!["interactions.csv:2: user_id: missing value"],
        ),
        (
            "unterminated quote",
            b"user_id,item_id,timestamp\nu1,\"i1,5\nu2,i1,6\n".to_vec(),
            vec!["interactions.csv:2: item_id: quoted field is never closed"],
        ),
        (
            "stray quote",
            b"user_id,item_id,timestamp\nu1,i\"1,5\n".to_vec(),
            vec!["interactions.csv:2: item_id: quote inside an unquoted field"],
        ),
        (
            "text after quote",
            b"user_id,item_id,timestamp\nu1,\"i1\"x,5\n".to_vec(),
            vec!["interactions.csv:2: item_id: unexpected character after a closing quote"],
        ),
        (
            "not UTF-8",
            b"user_id,item_id,timestamp\nu\xff1,i1,5\n".to_vec(),
            vec!["interactions.csv:2: user_id: not valid UTF-8"],
        ),
        (
            "label not 0/1",
            b"user_id,item_id,timestamp,label\nu1,i1,5,2\n".to_vec(),
            vec!["interactions.csv:2: label: label must be 0 or 1, found '2'"],
        ),
        (
            "empty file",
            b"".to_vec(),
            vec!["interactions.csv:1: header: file is empty"],
        ),
        (
            "header only",
            b"user_id,item_id,timestamp\n".to_vec(),
            vec!["interactions.csv:1: header: header only"],
        ),
        (
            "wrong header",
            b"customer,product,when\nu1,i1,5\n".to_vec(),
            vec!["interactions.csv:1: header: missing column 'user_id'"],
        ),
        (
            "field of megabytes",
            big.into_bytes(),
            vec!["interactions.csv:2: timestamp: field of 3145728 bytes is over"],
        ),
        (
            "non-finite rating",
            b"user_id,item_id,timestamp,rating\nu1,i1,5,inf\n".to_vec(),
            vec!["interactions.csv:2: rating: not a finite number"],
        ),
    ];
    for (what, body, needles) in cases {
        let (_d, out) = validate(&body, None);
        eprintln!("case: {what}");
        assert_rejected(&out, &needles);
    }
}

#[test]
fn item_problems_and_unknown_items_are_all_reported() {
    let items = b"item_id,title,year\ni1,A,1990\ni1,Again,1991\ni2,B,19x0\ni3,\"C \xff\",2000\n";
    let inter = b"user_id,item_id,timestamp\nu1,i1,1\nu1,i9,2\n";
    let (_d, out) = validate(inter, Some(items));
    assert_rejected(
        &out,
        &[
            "items.csv:3: item_id: duplicate item id 'i1'",
            "items.csv:4: year: not a year: '19x0'",
            "items.csv:5: title: not valid UTF-8",
            "interactions.csv:3: item_id: unknown item 'i9' (not in ",
        ],
    );
    let description = "x".repeat(2 << 20);
    let items = format!("item_id,title,description\ni1,A,{description}\n");
    let (_d, out) = validate(
        b"user_id,item_id,timestamp\nu1,i1,1\n",
        Some(items.as_bytes()),
    );
    assert_rejected(
        &out,
        &["items.csv:2: description: field of 2097152 bytes is over"],
    );
}

#[test]
fn lenient_stats_skip_bad_rows_and_count_them() {
    let d = dir_with(&[(
        "interactions.csv",
        b"user_id,item_id,timestamp\nu1,i1,1\nu1,i2,zz\nu2,i1,3\n",
    )]);
    let out = reaseq(&[
        "data",
        "stats",
        "--data",
        d.path().to_str().unwrap(),
        "--json",
        "--lenient",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interactions"], 2);
    assert_eq!(v["skipped_rows"], 1);
    let out = reaseq(&["data", "stats", "--data", d.path().to_str().unwrap()]);
    assert_rejected(&out, &["interactions.csv:3: timestamp"]);
}

#[test]
fn recbole_atomic_files_load_with_typed_headers() {
    let d = dir_with(&[
        ("toy.inter", b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t881250949\n2\t10\t2\t881250950\n"),
        ("toy.item", b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n10\tToy Story\t1995\tAnimation Children's Comedy\n"),
        ("toy.link", b"item_id:token\tentity_id:token\n10\tm.1\n"),
        ("toy.kg", b"head_id:token\trelation_id:token\ttail_id:token\nm.1\tfilm.film.directed_by\tm.2\n"),
    ]);
    let v = stats_json(d.path());
    assert_eq!(v["kg_triples"], 1);
    assert_eq!(v["items_linked_to_kg"], 1);
    assert_eq!(v["genres"][0][0], "Animation");
    let d = dir_with(&[("bad.inter", b"user_id\titem_id:token\n1\t10\n")]);
    let out = reaseq(&["data", "validate", "--data", d.path().to_str().unwrap()]);
    assert_rejected(
        &out,
        &["bad.inter:1: header: column 'user_id' needs a RecBole type"],
    );
}

#[test]
fn malformed_score_files_exit_1_with_their_line() {
    let cases: Vec<(&str, &[u8], &str)> = vec![
        (
            "one class",
            b"user_id,label,score\na,1,0.5\nb,1,0.7\n",
            "AUC is undefined with one class",
        ),
        (
            "NaN",
            b"user_id,label,score\na,1,0.5\na,0,NaN\n",
            "scores.csv:3: score: score 'NaN' is not finite",
        ),
        (
            "inf",
            b"user_id,label,score\na,1,inf\na,0,0.1\n",
            "scores.csv:2: score: score 'inf' is not finite",
        ),
        (
            "out of range",
            b"user_id,label,score\na,1,1.2\na,0,0.1\n",
            "scores.csv:2: score: score 1.2 is outside [0, 1]",
        ),
        (
            "negative",
            b"user_id,label,score\na,1,-0.2\na,0,0.1\n",
            "scores.csv:2: score: score -0.2 is outside [0, 1]",
        ),
        (
            "label",
            b"user_id,label,score\na,2,0.2\na,0,0.1\n",
            "scores.csv:2: label: label must be 0 or 1",
        ),
        (
            "malformed row",
            b"user_id,label,score\na,1\na,0,0.1\n",
            "scores.csv:2: record: expected 3 fields, found 2",
        ),
        (
            "bad quoting",
            b"user_id,label,score\n\"a,1,0.2\na,0,0.1\n",
            "scores.csv:2: user_id: quoted field is never closed",
        ),
        (
            "wrong header",
            b"uid,y_true,p\na,1,0.2\n",
            "scores.csv:1: header: missing column 'user_id'",
        ),
        ("empty", b"", "scores.csv:1: header: file is empty"),
        (
            "header only",
            b"user_id,label,score\n",
            "scores.csv:1: header: header only",
        ),
    ];
    for (what, body, needle) in cases {
        let d = dir_with(&[("scores.csv", body)]);
        let path = d.path().join("scores.csv");
        eprintln!("case: {what}");
        for json in [false, true] {
            let mut args = vec!["metrics", "--scores", path.to_str().unwrap()];
            if json {
                args.push("--json");
            }
            assert_rejected(&reaseq(&args), &[needle]);
        }
    }
}

#[test]
fn stats_without_fetched_data_says_what_to_do() {
    let out = reaseq(&["data", "stats"]);
    assert_rejected(&out, &["reaseq data fetch"]);
}

#[test]
fn synth_writes_files_that_validate() {
    let d = tempfile::tempdir().unwrap();
    let out = reaseq(&[
        "data",
        "synth",
        "--out",
        d.path().to_str().unwrap(),
        "--users",
        "30",
        "--items",
        "150",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = reaseq(&["data", "validate", "--data", d.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid: 30 users, 150 items"));
}

#[test]
fn knowledge_build_writes_cards_and_llm_agents_need_a_backend() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let world = d.path().join("world");
    let out = reaseq(&[
        "data",
        "synth",
        "--out",
        world.to_str().unwrap(),
        "--users",
        "20",
        "--items",
        "150",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // `reaseq knowledge ARGS --data WORLD` with its own data directory.
    let knowledge = |args: &[&str]| {
        let mut all = vec!["knowledge"];
        all.extend_from_slice(args);
        all.extend(["--data", world.to_str().unwrap()]);
        reaseq_with_data(&data, &all)
    };
    let out = knowledge(&["build", "--encoder", "none"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(data.join("knowledge/world").join(f)).unwrap())
            .unwrap()
    };
    let cards = read("cards.json");
    assert_eq!(cards["format_version"], 1);
    assert_eq!(cards["cards"].as_array().unwrap().len(), 150);
    let summary = read("build.json");
    assert_eq!(summary["cards"]["cards"], 150);
    assert_eq!(summary["encoder"], "none");
    assert!(summary["vectors"].is_null());
    let out = knowledge(&["show", "--item", "i0"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("genres:"),
        "{}",
        stderr(&out)
    );
    let out = knowledge(&[
        "build",
        "--agents",
        "catalog,llm",
        "--llm",
        "ollama",
        "--encoder",
        "none",
    ]);
    assert_rejected(&out, &["--llm 'ollama'", "smollm2 or the http(s) URL"]);
    let out = knowledge(&["build", "--agents", "oracle"]);
    assert_rejected(&out, &["unknown agent 'oracle'"]);
}

#[test]
fn reasoner_eval_reports_recall_and_baselines_as_json_and_writes_its_bundle() {
    let data = tempfile::tempdir().unwrap();
    let out = reaseq_with_data(
        data.path(),
        &[
            "reasoner",
            "eval",
            "--synthetic",
            "--world-users",
            "40",
            "--world-items",
            "120",
            "--slots",
            "4",
            "--steps",
            "4",
            "--epochs",
            "1",
            "--max-history",
            "8",
            "--dim",
            "16",
            "--layers",
            "1",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: ReasonerEvaluation = from_json("stdout", &out.stdout).unwrap();
    assert_eq!(v.k, 4);
    assert!((0.0..=1.0).contains(&v.scores.recall));
    for b in [
        "popularity",
        "co-occurrence kNN",
        "knowledge kNN",
        "off-log transition",
    ] {
        assert!(v.baselines[b].recall.is_finite(), "{b}");
        assert!(v.paired_vs_baselines[b].planted_recall.is_some(), "{b}");
    }
    assert!(v.users > 10);
    for f in ["reasoner.json", "reasoner.safetensors", "inferred.json"] {
        assert!(
            data.path().join("reasoner/synthetic").join(f).exists(),
            "{f}"
        );
    }
}

#[test]
fn experiment_trains_four_variants_reports_them_and_reuses_the_reasoner() {
    let data = data_dir_with_teacher();
    let args = [
        "experiment",
        "--synthetic",
        "--world-users",
        "40",
        "--world-items",
        "120",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--reasoner-epochs",
        "1",
        "--json",
    ];
    let parallel = [&args[..], &["--jobs", "2"]].concat();
    let out = reaseq_with_data(data.path(), &parallel);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: ExperimentResults = from_json("stdout", &out.stdout).unwrap();
    let base = v.variant(Variant::Base).unwrap();
    for variant in Variant::ALL {
        let x = v.variant(variant).unwrap();
        for m in [x.auc, x.gauc, x.logloss] {
            assert!(m.is_finite(), "{variant:?}");
        }
        assert_eq!(x.per_seed.len(), 2);
        assert!(x.gauc_ci[0] <= x.gauc_ci[1]);
        if variant == Variant::Base {
            assert!(x.vs_base.is_none());
            continue;
        }
        let vs = x.vs_base.as_ref().unwrap();
        assert!((0.0..=1.0).contains(&vs.gauc.p_value));
        // Per-seed differences from Base, and how many of them are positive.
        let d = &vs.auc;
        assert!((d.per_seed[1] - (x.per_seed[1].auc - base.per_seed[1].auc)).abs() < 1e-12);
        let ahead = d.per_seed.iter().filter(|&&s| s > 0.0).count();
        assert_eq!(d.seeds_ahead, ahead);
    }
    assert!(v.evaluation.slices["popularity"].len() > 1);
    // The planted partner genre: rare in the log, common in the test period.
    let planted = v.planted.as_ref().unwrap();
    let share = |part: &str, n: usize| {
        let p = planted[part];
        assert!(p.partner_positives <= p.partner_impressions, "{p:?}");
        assert_eq!(p.impressions, n, "{p:?}");
        p.partner_impressions as f64 / p.impressions as f64
    };
    let (train_share, test_share) = (
        share("train", v.impressions.train),
        share("test", v.impressions.test),
    );
    assert!(
        train_share < 0.1 && test_share > 2.0 * train_share,
        "{planted:?}"
    );
    assert!(
        stderr(&out).contains("fold 1/2"),
        "the reasoner was trained"
    );
    let reports = data.path().join("reports/synthetic");
    for f in ["results.json", "report.md", "gauc.svg", "popularity.svg"] {
        assert!(reports.join(f).exists(), "{f}");
    }
    let report = std::fs::read_to_string(reports.join("report.md")).unwrap();
    assert!(report.contains("seeds ahead of Base"), "{report}");
    assert!(report.contains("partner genre"), "{report}");
    // The REP vectors are the world's knowledge build's (card text and graph), named.
    let rep = v.rep.as_ref().unwrap();
    assert_eq!(
        (rep.text_encoder.as_str(), rep.graph, rep.dims),
        ("all-MiniLM-L6-v2", true, 48)
    );
    assert!(report.contains(&rep.describe()), "{report}");
    assert!(data
        .path()
        .join("knowledge/synthetic/rep.safetensors")
        .exists());
    for f in ["base", "rep", "gbr", "reaseq"] {
        assert!(data
            .path()
            .join(format!("ranker/synthetic/{f}.safetensors"))
            .exists());
    }
    // Again, one model at a time: the reasoner's sequences are reused, and the numbers repeat.
    let serial = [&args[..], &["--jobs", "1"]].concat();
    let again = reaseq_with_data(data.path(), &serial);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!stderr(&again).contains("fold 1/2"), "{}", stderr(&again));
    let w: ExperimentResults = from_json("stdout", &again.stdout).unwrap();
    for variant in Variant::ALL {
        let (x, y) = (v.variant(variant).unwrap(), w.variant(variant).unwrap());
        assert_eq!(
            (x.auc, x.gauc, x.logloss, x.gauc_ci),
            (y.auc, y.gauc, y.logloss, y.gauc_ci),
            "{variant:?}"
        );
    }
    // The saved bundles rank every test user's whole catalogue; threads change nothing.
    let full = |jobs: &str| {
        let args = [&args[..], &["--full-ranking", "--jobs", jobs]].concat();
        let out = reaseq_with_data(data.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let f: FullRanking = from_json("stdout", &out.stdout).unwrap();
        f
    };
    let f = full("2");
    assert_eq!(f, full("1"));
    assert_eq!(f.variants.len(), 4);
    assert!(
        f.users > 0 && f.items == 120,
        "{} users of {}",
        f.users,
        f.items
    );
    for row in &f.variants {
        assert_eq!(row.figures.len(), 9, "{:?}", row.variant);
        for x in &row.figures {
            assert!((0.0..=1.0).contains(&x.mean) && x.ci[0] <= x.mean && x.mean <= x.ci[1]);
            assert_eq!(x.vs_base.is_some(), row.variant != Variant::Base);
        }
    }
    let written: FullRanking = from_json(
        "full_ranking.json",
        &std::fs::read(data.path().join("ranker/synthetic/full_ranking.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written, f);
    // The oracle ceiling reads hidden events: its own report, never the workbench's bundles.
    let bundle = data.path().join("ranker/synthetic/gbr.safetensors");
    let before = std::fs::read(&bundle).unwrap();
    let oracle = [&args[..], &["--jobs", "1", "--gbr-oracle"]].concat();
    let out = reaseq_with_data(data.path(), &oracle);
    assert!(out.status.success(), "{}", stderr(&out));
    let o: ExperimentResults = from_json("stdout", &out.stdout).unwrap();
    assert_eq!(o.gbr, GbrSource::Oracle { slots: 10 });
    assert!(data
        .path()
        .join("reports/synthetic-gbr-oracle/results.json")
        .exists());
    assert_eq!(std::fs::read(&bundle).unwrap(), before);
    let refused = reaseq_with_data(data.path(), &[&oracle[..], &["--write-asset"]].concat());
    assert_rejected(&refused, &["--gbr-oracle", "workbench"]);
}

#[test]
fn a_study_runs_every_world_with_its_controls_and_resumes_the_finished_ones() {
    let data = data_dir_with_teacher();
    let args = [
        "study",
        "--synthetic",
        "--worlds",
        "2",
        "--world-seed-start",
        "7",
        "--world-users",
        "30",
        "--world-items",
        "120",
        "--partner-off-log",
        "0.6",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--reasoner-epochs",
        "1",
        "--json",
    ];
    let out = reaseq_with_data(data.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let s: StudyResults = from_json("stdout", &out.stdout).unwrap();
    assert_eq!(s.world_seeds, vec![7, 8]);
    assert_eq!(s.worlds.len(), 2);
    assert_eq!(s.world.partner_off_log, 0.6);
    // Two different worlds, each with the variants and every control.
    assert_ne!(s.worlds[0].test_impressions, 0);
    for w in &s.worlds {
        assert!(w.verdicts.iter().any(|v| v.primary));
        assert!(w.verdicts.iter().any(|v| v.comparison == "+GBR − shuffled"));
    }
    let primary = s.verdicts.iter().find(|v| v.primary).unwrap();
    assert_eq!(primary.per_world.len(), 2);
    assert_eq!(primary.positive + primary.negative, 2);
    // Two worlds can never give a sign test below 0.5.
    assert!(s.verdicts.iter().all(|v| v.sign_p >= 0.5));
    let dir = data.path().join("study/synthetic");
    for f in [
        "study.json",
        "report.md",
        "world-7/results.json",
        "world-8/results.json",
        // Each world's REP vectors come from its own knowledge build.
        "world-7/knowledge/synthetic/rep.safetensors",
        "world-8/knowledge/synthetic/build.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // Again: both worlds are read back, not refitted, and the figures repeat; the aggregates
    // go to the assets.
    let assets = tempfile::tempdir().unwrap();
    let again = reaseq_again_to_assets(data.path(), assets.path(), &args);
    let t: StudyResults = from_json("stdout", &again.stdout).unwrap();
    assert_eq!(t.verdicts[0].per_world, s.verdicts[0].per_world);
    let shipped: StudyResults = from_json(
        "study.json",
        &std::fs::read(assets.path().join("study/synthetic/study.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(shipped.world_seeds, vec![7, 8]);
    // A study draws worlds: a dataset is refused, as is a share out of range.
    assert_rejected(&reaseq_with_data(data.path(), &["study"]), &["--synthetic"]);
    let bad = reaseq_with_data(
        data.path(),
        &["study", "--synthetic", "--partner-off-log", "1.5"],
    );
    assert_rejected(&bad, &["partner_off_log"]);
}

#[test]
fn draws_redraw_the_protocol_the_reasoner_and_the_seeds_and_pool_the_comparisons() {
    let data = data_dir_with_teacher();
    let args = [
        "experiment",
        "--synthetic",
        "--world-users",
        "30",
        "--world-items",
        "120",
        "--seed",
        "3",
        "--draws",
        "2",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--reasoner-epochs",
        "1",
        "--controls",
        "--json",
    ];
    let out = reaseq_with_data(data.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let s: DrawStudy = from_json("stdout", &out.stdout).unwrap();
    // One world (the first draw's seed), two protocol draws, each with model seeds of its own.
    assert_eq!(s.world.map(|w| w.seed), Some(3));
    let seeds: Vec<(u64, Vec<u64>)> = s
        .draws
        .iter()
        .map(|d| (d.protocol_seed, d.model_seeds.clone()))
        .collect();
    assert_eq!(seeds, vec![(3, vec![6, 7]), (4, vec![8, 9])]);
    let primary = s.verdicts.iter().find(|v| v.primary).unwrap();
    assert_eq!(primary.per_draw.len(), 2);
    assert_ne!(primary.per_draw[0], primary.per_draw[1]);
    let p = &primary.pooled;
    assert!(p.lower <= p.estimate && p.estimate <= p.upper && p.se > 0.0);
    assert!(s.verdicts.iter().any(|v| v.comparison == "+GBR − shuffled"));
    let dir = data.path().join("study/synthetic/draws");
    for f in [
        "draws.json",
        "report.md",
        "draw-3/results.json",
        "draw-4/results.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // Each draw fitted its own reasoner, in its own workspace.
    for d in ["draw-3", "draw-4"] {
        assert!(
            dir.join(d)
                .join("reasoner/synthetic/inferred.json")
                .exists(),
            "{d}"
        );
    }
    // Again: read back, the same figures; the aggregates go to the assets.
    let assets = tempfile::tempdir().unwrap();
    let again = reaseq_again_to_assets(data.path(), assets.path(), &args);
    let t: DrawStudy = from_json("stdout", &again.stdout).unwrap();
    // Equal up to JSON's last digit (serde_json parses floats to within an ulp).
    for (a, b) in t.verdicts.iter().zip(&s.verdicts) {
        assert_eq!(
            (&a.comparison, &a.metric, a.outcome),
            (&b.comparison, &b.metric, b.outcome)
        );
        assert!((a.pooled.estimate - b.pooled.estimate).abs() < 1e-12);
        assert!((a.pooled.upper - b.pooled.upper).abs() < 1e-12);
    }
    let shipped: DrawStudy = from_json(
        "draws.json",
        &std::fs::read(assets.path().join("study/synthetic/draws.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(shipped.draws.len(), 2);
    // One draw has no spread to pool.
    let one = reaseq_with_data(data.path(), &["experiment", "--synthetic", "--draws", "1"]);
    assert_rejected(&one, &["--draws", "at least 2"]);
}

/// `reasoner infer --all-users` runs the shipped reasoner (the page's) for every user of the
/// synthetic world, with no workspace needed, and commits exactly the tokens of the shipped
/// `every_user.json` — the file the Reasoner page's run is held to.
#[test]
fn reasoner_infer_all_users_reproduces_the_shipped_run() {
    use reaseq_core::reasoner::every_user::EveryUser;
    let data = tempfile::tempdir().unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_reaseq"))
            .args(["reasoner", "infer", "--synthetic", "--all-users"])
            .args(args)
            .env("REASEQ_DATA", data.path())
            .env("REASEQ_ASSETS", &assets)
            .output()
            .expect("run reaseq")
    };
    let out = run(&["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ran: EveryUser = from_json("stdout", &out.stdout).unwrap();
    let shipped: EveryUser = from_json(
        "every_user.json",
        &std::fs::read(assets.join("reasoner/synthetic/every_user.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(ran, shipped);
    assert_eq!(ran.users, 300);
    // One user and every user at once are refused together.
    assert!(!run(&["--user", "u0"]).status.success());
}

/// `experiment --cold-catalogue` places the synthetic world's catalogue with the shipped student
/// and REP vectors (the page's files) and gives the shipped `cold_catalogue.json`'s figures.
#[test]
fn experiment_cold_catalogue_reproduces_the_shipped_figures() {
    use reaseq_core::ranker::cold_catalogue::ColdCatalogue;
    let data = tempfile::tempdir().unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let out = Command::new(env!("CARGO_BIN_EXE_reaseq"))
        .args(["experiment", "--synthetic", "--cold-catalogue", "--json"])
        .env("REASEQ_DATA", data.path())
        .env("REASEQ_ASSETS", &assets)
        .output()
        .expect("run reaseq");
    assert!(out.status.success(), "{}", stderr(&out));
    let ran: ColdCatalogue = from_json("stdout", &out.stdout).unwrap();
    let shipped: ColdCatalogue = from_json(
        "cold_catalogue.json",
        &std::fs::read(assets.join("ranker/synthetic/cold_catalogue.json")).unwrap(),
    )
    .unwrap();
    assert!(ran.largest_difference(&shipped) < 1e-12);
    assert_eq!(ran.items, 200);
}

/// Runs `reaseq` on the shipped synthetic bundles (the page's files), in an empty data dir.
fn reaseq_on_shipped(args: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    Command::new(env!("CARGO_BIN_EXE_reaseq"))
        .args(args)
        .env("REASEQ_DATA", data.path())
        .env("REASEQ_ASSETS", &assets)
        .output()
        .expect("run reaseq")
}

/// `explain`: no edit leaves every figure as it was; an edit moves the scores, the history is
/// edited in the documented order, and a bad edit is an error naming it.
#[test]
fn explain_edits_a_history_and_names_a_bad_edit() {
    use reaseq_core::experiment::Explanation;
    let out = reaseq_on_shipped(&["explain", "--synthetic", "--user", "u5", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let same: Explanation = from_json("stdout", &out.stdout).unwrap();
    assert_eq!(same.before, same.after);
    assert_eq!(same.after.variants.len(), 4);
    assert_eq!(same.after.inferred.len(), 10);
    let logged: Vec<&str> = same.before.history.iter().map(|h| h.id.as_str()).collect();
    let gone = logged[1];
    let add = ["i3", "i4", "i5"]
        .into_iter()
        .find(|i| !logged.contains(i))
        .unwrap();
    let out = reaseq_on_shipped(&[
        "explain",
        "--synthetic",
        "--user",
        "u5",
        "--remove",
        gone,
        "--add",
        add,
        "--new",
        "Puppet of the Balloon",
        "--new-genres",
        "Animation",
        "--move",
        "new-1:0",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let x: Explanation = from_json("stdout", &out.stdout).unwrap();
    assert_eq!(x.before, same.before);
    let ids: Vec<&str> = x.after.history.iter().map(|h| h.id.as_str()).collect();
    let mut want: Vec<&str> = logged.iter().copied().filter(|&i| i != gone).collect();
    want.insert(0, "new-1");
    want.push(add);
    assert_eq!(ids, want);
    assert!(x.after.history[0].typed);
    for (b, a) in x.before.variants.iter().zip(&x.after.variants) {
        assert_ne!(a.probability, b.probability, "{}", a.variant);
        assert_eq!(a.history_effect.len(), want.len());
        assert!(a.top.iter().all(|t| !want.contains(&t.id.as_str())));
    }
    // Base reads no inferred items: their leave-one-out effects are exactly 0.
    assert!(x.after.variants[0]
        .inferred_effect
        .iter()
        .all(|&e| e == 0.0));
    for (args, needle) in [
        (vec!["--remove", "i199999"], "no item 'i199999'"),
        (vec!["--add", logged[0]], "already in user u5's history"),
        (vec!["--move", "i3"], "ITEM_ID:POSITION"),
        (
            vec!["--move", &format!("{}:999", logged[0])],
            "past the history's end",
        ),
    ] {
        let out =
            reaseq_on_shipped(&[&["explain", "--synthetic", "--user", "u5"][..], &args].concat());
        assert!(!out.status.success());
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

/// `slices`: every tested slice meets the minimum, q is never below p, the pair swapped
/// negates the differences, and on the synthetic world the partner genre leads +GBR's gains
/// over Base, general first (docs/results/slice-finder.md).
#[test]
fn slices_rank_the_partner_genre_first_for_gbr_against_base() {
    use reaseq_core::experiment::SliceFinding;
    let run = |a: &str, b: &str, more: &[&str]| -> SliceFinding {
        let mut args = vec!["slices", "--synthetic", "--a", a, "--b", b, "--json"];
        args.extend(more);
        let out = reaseq_on_shipped(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        from_json("stdout", &out.stdout).unwrap()
    };
    let f = run("Base", "+GBR", &[]);
    assert!(f.slices.len() > 10);
    assert!(f
        .slices
        .iter()
        .all(|s| s.size >= 100 && s.users >= 20 && s.q >= s.p - 1e-12));
    // The world's ground truth, general first: the planted partner genre is +GBR's first
    // significant gain, reported once; its intersections come after as its refinements.
    assert_eq!(f.slices[0].name(), "partner_genre=yes", "{}", f.markdown(5));
    assert!(f.slices[0].significant && f.slices[0].ci[0] > 0.0 && f.slices[0].q < 0.05);
    let refinements: Vec<_> = f.slices.iter().filter(|s| s.refines.is_some()).collect();
    assert!(refinements
        .iter()
        .any(|s| s.refines.as_deref() == Some(&f.slices[0].conditions[..])));
    // By the lower end alone, two of its intersections outrank it
    // (docs/results/slice-finder.md).
    let surest = run("Base", "+GBR", &["--ranking", "lower-end"]);
    assert!(surest.slices[0].name().contains("partner_genre=yes"));
    assert_ne!(surest.slices[0].name(), "partner_genre=yes");
    let out = base_against_gbr(&["--ranking", "best"]);
    assert!(
        stderr(&out).contains("general-first or lower-end"),
        "{}",
        stderr(&out)
    );
    let g = run("+GBR", "Base", &[]);
    let back = g
        .slices
        .iter()
        .find(|s| s.conditions == f.slices[0].conditions)
        .unwrap();
    assert!((back.diff + f.slices[0].diff).abs() < 1e-12);
    let out = reaseq_on_shipped(&["slices", "--synthetic", "--a", "Base", "--b", "GBR++"]);
    assert!(
        stderr(&out).contains("no model 'GBR++'"),
        "{}",
        stderr(&out)
    );
}

/// `reaseq slices --synthetic --a Base --b +GBR` with `more` flags, on the shipped bundles.
fn base_against_gbr(more: &[&str]) -> Output {
    let mut args = vec!["slices", "--synthetic", "--a", "Base", "--b", "+GBR"];
    args.extend(more);
    reaseq_on_shipped(&args)
}

/// `slices --write-rows` writes the test impressions with every variant's probability; a
/// model scored on them (here a copy of +GBR's column) is read back with `--scores` and sliced
/// as +GBR is; a file missing an impression is refused by name.
#[test]
fn slices_read_your_models_scores_matched_to_the_test_rows() {
    use reaseq_core::experiment::SliceFinding;
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.csv");
    let rows_s = rows.to_str().unwrap();
    let out = base_against_gbr(&["--write-rows", rows_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&rows).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("user_id,item_id,label,Base,+REP,+GBR,ReaSeq")
    );
    // Keep user, item, label and +GBR's column, renamed "mine".
    let mine: Vec<String> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{}", f[0], f[1], f[2], f[5])
        })
        .collect();
    let file = dir.path().join("mine.csv");
    std::fs::write(
        &file,
        format!("user_id,item_id,label,mine\n{}\n", mine.join("\n")),
    )
    .unwrap();
    let against_base = |b: &str, scores: &Path| {
        let s = scores.to_str().unwrap();
        reaseq_on_shipped(&[
            "slices",
            "--synthetic",
            "--a",
            "Base",
            "--b",
            b,
            "--scores",
            s,
            "--json",
        ])
    };
    let run = |b: &str| -> SliceFinding {
        let out = against_base(b, &file);
        assert!(out.status.success(), "{}", stderr(&out));
        from_json("stdout", &out.stdout).unwrap()
    };
    let theirs = run("mine");
    let ours = run("+GBR");
    assert_eq!(theirs.b, "mine");
    assert_eq!(theirs.slices, ours.slices);
    let short = dir.path().join("short.csv");
    std::fs::write(
        &short,
        format!("user_id,item_id,label,mine\n{}\n", mine[1..].join("\n")),
    )
    .unwrap();
    let out = against_base("mine", &short);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("short.csv") && stderr(&out).contains("no row for user"),
        "{}",
        stderr(&out)
    );
}
