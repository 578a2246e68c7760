//! AUC + GAUC throughput at 1M and 10M rows, single-threaded, and scikit-learn's
//! `roc_auc_score` on the same 1M rows in the same run.
//!
//! `cargo bench -p reaseq-core --bench metrics_throughput`. Builds a venv with scikit-learn
//! under `target/bench-venv` the first time (needs the PyPI registry); set `REASEQ_BENCH_PYTHON`
//! to use another Python that has scikit-learn.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use reaseq_core::metrics::{auc, gauc};
use reaseq_core::rng::SeededRng;

struct Rows {
    users: Vec<u32>,
    labels: Vec<bool>,
    scores: Vec<f64>,
}

/// `n` rows over n/100 users, 30% positives, scores that separate the classes imperfectly.
fn rows(n: usize, seed: u64) -> Rows {
    let mut r = SeededRng::new(seed);
    let n_users = (n / 100).max(1);
    let mut out = Rows {
        users: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let y = r.chance(0.3);
        out.users.push(r.below(n_users) as u32);
        out.labels.push(y);
        out.scores
            .push(((r.unit() + if y { 0.35 } else { 0.0 }) / 1.35).clamp(0.0, 1.0));
    }
    out
}

/// Best wall time of `reps` runs of AUC followed by GAUC; returns (seconds, auc, gauc).
fn time_ours(d: &Rows, reps: usize) -> (f64, f64, f64) {
    let mut best = f64::INFINITY;
    let (mut a, mut g) = (0.0, 0.0);
    for _ in 0..reps {
        let t = Instant::now();
        a = auc(&d.labels, &d.scores).expect("two classes");
        g = gauc(&d.users, &d.labels, &d.scores)
            .expect("two classes")
            .value;
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, a, g)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A Python with scikit-learn: `$REASEQ_BENCH_PYTHON`, else a venv built under target/.
fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("REASEQ_BENCH_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = target_dir().join("bench-venv");
    let py = venv.join("bin/python");
    let has_sklearn = |p: &Path| {
        Command::new(p)
            .args(["-c", "import sklearn"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_sklearn(&py) {
        return Ok(py);
    }
    eprintln!(
        "building {} with scikit-learn (first run only)…",
        venv.display()
    );
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("python3 -m venv: {e}"))?;
    if !ok.success() {
        return Err("python3 -m venv failed".into());
    }
    let out = Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "scikit-learn==1.7.2",
            "numpy",
        ])
        .output()
        .map_err(|e| format!("pip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pip install scikit-learn failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(py)
}

const SKLEARN: &str = r#"
import sys, time
import numpy as np
from sklearn.metrics import roc_auc_score
y = np.fromfile(sys.argv[1], dtype=np.uint8)
p = np.fromfile(sys.argv[2], dtype=np.float64)
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    a = roc_auc_score(y, p)
    best = min(best, time.perf_counter() - t)
# GAUC the usual Python way: one roc_auc_score per user with both classes, weighted by rows.
u = np.fromfile(sys.argv[3], dtype=np.uint32)
t = time.perf_counter()
order = np.argsort(u, kind="stable")
bounds = np.flatnonzero(np.diff(u[order])) + 1
num = den = 0.0
for idx in np.split(order, bounds):
    yy = y[idx]
    if 0 < yy.sum() < len(yy):
        num += len(idx) * roc_auc_score(yy, p[idx])
        den += len(idx)
gauc_secs = time.perf_counter() - t
import sklearn
print(best, repr(float(a)), sklearn.__version__, gauc_secs, repr(num / den))
"#;

struct Sklearn {
    auc_secs: f64,
    auc: f64,
    version: String,
    gauc_secs: f64,
    gauc: f64,
}

fn sklearn(d: &Rows) -> Result<Sklearn, String> {
    let py = python()?;
    let dir = target_dir().join("bench-data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (yf, pf, uf) = (
        dir.join("labels.u8"),
        dir.join("scores.f64"),
        dir.join("users.u32"),
    );
    let u: Vec<u8> = d.users.iter().flat_map(|u| u.to_le_bytes()).collect();
    std::fs::write(&uf, u).map_err(|e| e.to_string())?;
    let y: Vec<u8> = d.labels.iter().map(|&l| u8::from(l)).collect();
    let p: Vec<u8> = d.scores.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&yf, y).map_err(|e| e.to_string())?;
    std::fs::write(&pf, p).map_err(|e| e.to_string())?;
    let out = Command::new(&py)
        .args(["-c", SKLEARN])
        .arg(&yf)
        .arg(&pf)
        .arg(&uf)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.split_whitespace().collect();
    let num = |s: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("unexpected output: {text}"))
    };
    match parts.as_slice() {
        [t, a, v, gt, g] => Ok(Sklearn {
            auc_secs: num(t)?,
            auc: num(a)?,
            version: v.to_string(),
            gauc_secs: num(gt)?,
            gauc: num(g)?,
        }),
        _ => Err(format!("unexpected output: {text}")),
    }
}

fn main() {
    println!("AUC + GAUC, single-threaded, best of runs");
    let mut ours_1m = None;
    for (n, reps) in [(1_000_000usize, 5usize), (10_000_000, 3)] {
        let d = rows(n, 7);
        let (secs, a, g) = time_ours(&d, reps);
        println!(
            "  {:>10} rows: {:>7.1} ms  ({:.1} M rows/s)  auc {a:.6}  gauc {g:.6}",
            n,
            secs * 1e3,
            n as f64 / secs / 1e6
        );
        if n == 1_000_000 {
            let mut auc_secs = f64::INFINITY;
            for _ in 0..reps {
                let t = Instant::now();
                std::hint::black_box(auc(&d.labels, &d.scores).expect("two classes"));
                auc_secs = auc_secs.min(t.elapsed().as_secs_f64());
            }
            println!("  {:>10} rows: AUC alone {:.1} ms", n, auc_secs * 1e3);
            ours_1m = Some((d, auc_secs, a, g, secs));
        }
    }
    let Some((d, auc_secs, a, g, both_secs)) = ours_1m else {
        return;
    };
    match sklearn(&d) {
        Ok(sk) => {
            println!(
                "scikit-learn {} on the same 1M rows: roc_auc_score {:.1} ms (|diff| {:.1e}); per-user GAUC loop {:.0} ms (|diff| {:.1e})",
                sk.version,
                sk.auc_secs * 1e3,
                (sk.auc - a).abs(),
                sk.gauc_secs * 1e3,
                (sk.gauc - g).abs()
            );
            println!(
                "  speed-up at 1M: AUC {:.1}x; AUC+GAUC {:.1}x (vs sklearn AUC alone {:.1}x)",
                sk.auc_secs / auc_secs,
                (sk.auc_secs + sk.gauc_secs) / both_secs,
                sk.auc_secs / both_secs
            );
        }
        Err(e) => println!("scikit-learn comparison skipped: {e}"),
    }
}
