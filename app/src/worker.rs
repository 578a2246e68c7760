//! The Web Worker and the page's handle on it. The page posts a [`Job`]; the worker loads what
//! the job needs (cached between jobs), runs it and posts [`Reply::Progress`] and then the
//! result. Cancelling terminates the worker; the next job starts a fresh one.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, ErrorEvent, MessageEvent, Worker};

use crate::error::{AppError, AppResult};
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
use crate::jobs::backend;
use crate::jobs::backend::{BackendChoice, BackendUsed};
use crate::jobs::{
    attention, cold, coldcat, compare, every, explain, full, open, reason, scores, slices,
    Envelope, Job, Reply,
};
use crate::loading::{experiment, reasoner};
use crate::loading::{fetch_required, load, Choice, Source, LOCAL_ROOT};
use crate::loading::{register_local, register_workspace};
use reaseq_core::reasoner::every_user::UserPrompt;
use reaseq_core::reasoner::{Inference, ItemVocab};

/// Where trunk puts the worker's loader (`data-type="worker" data-loader-shim`).
const SCRIPT: &str = "/reaseq-worker_loader.js";

// ---- the worker's side ----

thread_local! {
    /// The job running now, so a panic can be reported against it.
    static CURRENT: Cell<Option<u64>> = const { Cell::new(None) };
    static SOURCES: RefCell<HashMap<String, Rc<Source>>> = RefCell::new(HashMap::new());
    static RANKERS: RefCell<HashMap<String, Rc<experiment::Assets>>> = RefCell::new(HashMap::new());
    static REASONERS: RefCell<HashMap<String, Rc<reasoner::Assets>>> = RefCell::new(HashMap::new());
    static ROWS: RefCell<HashMap<String, Rc<experiment::ExperimentData>>> = RefCell::new(HashMap::new());
    static REASONER_DATA: RefCell<HashMap<String, Rc<reasoner::Data>>> = RefCell::new(HashMap::new());
    static COLD: RefCell<HashMap<String, Rc<reaseq_core::ranker::cold::ColdSpace>>> = RefCell::new(HashMap::new());
}

/// The experiment's data and rows, rebuilt once for Compare and the cold-start box alike.
async fn rows_for(
    choice: &Choice,
    assets: &experiment::Assets,
) -> AppResult<Rc<experiment::ExperimentData>> {
    let src = source_for(choice).await?;
    let dir = experiment::asset_dir(choice);
    cached(&ROWS, dir, async {
        experiment::experiment_data(assets, movielens(&src))
    })
    .await
}

/// Fold 0's reasoner and the data it was fitted on (with its decoding prior), loaded once for
/// the Reasoner, Every-user and What-if jobs alike.
async fn reasoner_for(choice: &Choice) -> AppResult<(Rc<reasoner::Assets>, Rc<reasoner::Data>)> {
    let dir = reasoner::asset_dir(choice);
    let assets = cached(&REASONERS, dir.clone(), reasoner::load_assets(choice)).await?;
    let src = source_for(choice).await?;
    let data = cached(&REASONER_DATA, dir, async {
        reasoner::data(&assets, movielens(&src))
    })
    .await?;
    Ok((assets, data))
}

/// The deployed rankers' REP space and its student, loaded once for the cold-start box, the
/// catalogue-as-new card and the what-if's typed items.
async fn cold_for(
    choice: &Choice,
    assets: &experiment::Assets,
) -> AppResult<Rc<reaseq_core::ranker::cold::ColdSpace>> {
    let dir = experiment::asset_dir(choice);
    cached(&COLD, dir.clone(), load_cold(&dir, assets)).await
}

async fn load_cold(
    dir: &str,
    assets: &experiment::Assets,
) -> AppResult<reaseq_core::ranker::cold::ColdSpace> {
    let base = format!("/{dir}");
    let how = "run `reaseq experiment --write-asset`";
    let m = fetch_required(&format!("{base}/student.json"), how).await?;
    let w = fetch_required(&format!("{base}/student.safetensors"), how).await?;
    let student = reaseq_core::knowledge::student::StudentEncoder::from_bundle(
        &format!("{base}/student"),
        &m,
        &w,
    )?;
    cold::cold_space(student, assets)
}

/// The size of this thread's WebAssembly memory, which only grows: the peak so far.
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0.0, |m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as f64
        })
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(id: u64, body: Reply) {
    let text = serde_json::to_string(&Envelope { id, body }).unwrap_or_else(|e| {
        // Written by hand, so the page still hears which job failed.
        let why = serde_json::Value::from(e.to_string());
        format!("{{\"id\":{id},\"body\":{{\"Failed\":{{\"Worker\":{why}}}}}}}")
    });
    let _ = scope().post_message(&JsValue::from_str(&text));
}

/// Drops what earlier jobs loaded from opened data's files (keyed by their directory under
/// [`LOCAL_ROOT`]): a new opening replaces them.
fn forget_opened<T>(cache: &'static std::thread::LocalKey<RefCell<HashMap<String, Rc<T>>>>) {
    let dir = LOCAL_ROOT.trim_start_matches('/');
    cache.with(|c| c.borrow_mut().retain(|key, _| !key.starts_with(dir)));
}

/// Opens the files, and keeps the dataset and its workspace here for the jobs that follow.
fn adopt(id: u64, files: &[open::OpenedFile], lenient: bool) -> AppResult<open::Opened> {
    let last = Cell::new(0.0);
    let mut out = open::open(files, lenient, &|p| {
        // A message per 5% is plenty for a bar; each costs the page a redraw.
        if p - last.get() >= 0.05 {
            last.set(p);
            post(id, Reply::Progress(p));
        }
    })?;
    register_local(out.fingerprint.clone(), out.dataset.clone());
    register_workspace(open::named(files), &out.dataset.name);
    forget_opened(&RANKERS);
    forget_opened(&REASONERS);
    forget_opened(&ROWS);
    forget_opened(&REASONER_DATA);
    forget_opened(&COLD);
    out.worker_memory = wasm_memory_bytes();
    Ok(out)
}

/// Loads once per key; later jobs reuse it.
async fn cached<T, F>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<String, Rc<T>>>>,
    key: String,
    make: F,
) -> AppResult<Rc<T>>
where
    F: std::future::Future<Output = AppResult<T>>,
{
    if let Some(v) = cache.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(v);
    }
    let v = Rc::new(make.await?);
    cache.with(|c| c.borrow_mut().insert(key, v.clone()));
    Ok(v)
}

async fn source_for(choice: &Choice) -> AppResult<Rc<Source>> {
    // Opened data is already in memory (`register_local`): nothing to cache, nothing to forget.
    if let Choice::Local { .. } = choice {
        return load(choice.clone()).await.map(Rc::new);
    }
    cached(&SOURCES, format!("{choice:?}"), load(choice.clone())).await
}

async fn rankers_for(choice: &Choice) -> AppResult<Rc<experiment::Assets>> {
    let dir = experiment::asset_dir(choice);
    cached(&RANKERS, dir.clone(), experiment::load_assets(&dir)).await
}

/// The rankers and the test rows they score, each loaded once per data.
async fn rankers_and_rows(
    choice: &Choice,
) -> AppResult<(Rc<experiment::Assets>, Rc<experiment::ExperimentData>)> {
    let assets = rankers_for(choice).await?;
    let rows = rows_for(choice, &assets).await?;
    Ok((assets, rows))
}

fn movielens(s: &Source) -> Option<&reaseq_core::data::Dataset> {
    s.synthetic.is_none().then_some(&*s.dataset)
}

async fn run_job(id: u64, job: Job) -> AppResult<Reply> {
    match job {
        Job::Compare {
            choice,
            backend,
            slice,
        } => {
            let (assets, mut r) = rankers_and_rows(&choice).await?;
            if !slice.is_empty() {
                r = Rc::new(r.only(&slice)?);
            }
            let mut last = 0.0;
            let mut progress = |p: f64| {
                // A message per percent is plenty for a progress bar.
                if p - last >= 0.01 || p >= 1.0 {
                    last = p;
                    post(id, Reply::Progress(p));
                }
            };
            let t = crate::loading::now();
            let dir = experiment::asset_dir(&choice);
            let (columns, used) = match gpu_test_scores(backend, &dir, &assets, &r).await {
                Ok(on_gpu) => on_gpu,
                Err(used) => (
                    compare::score_test_set(&assets, &r, 0.8, &mut progress)?,
                    used,
                ),
            };
            let scored = crate::loading::now();
            let out = compare::evaluate(&assets, &r, columns, (t, scored), used, &mut progress)?;
            Ok(Reply::Compared(Box::new(out)))
        }
        Job::FullRanking { choice, backend } => {
            let out = full_ranking(id, &choice, backend).await?;
            Ok(Reply::Ranked(Box::new(out)))
        }
        Job::Reason { choice, settings } => {
            let (assets, data) = reasoner_for(&choice).await?;
            let out = reason::reason(&assets, &data, &settings)?;
            Ok(Reply::Reasoned(Box::new(out)))
        }
        Job::ColdCatalogue { choice, backend } => {
            let out = cold_catalogue(id, &choice, backend).await?;
            Ok(Reply::ColdPlaced(Box::new(out)))
        }
        Job::EveryUser {
            choice,
            settings,
            backend,
        } => {
            let out = every_user(id, &choice, &settings, backend).await?;
            Ok(Reply::EveryUserRan(Box::new(out)))
        }
        Job::ColdStart { choice, item } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            let space = cold_for(&choice, &assets).await?;
            let out = cold::cold_start(&space, &assets, &r, &item)?;
            Ok(Reply::ColdStarted(Box::new(out)))
        }
        Job::Explain { choice, what_if } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            let space = cold_for(&choice, &assets).await?;
            let (ra, rd) = reasoner_for(&choice).await?;
            let out = explain::explain((&assets, &r, &space), (&ra, &rd), &what_if)?;
            Ok(Reply::Explained(Box::new(out)))
        }
        Job::Slices {
            choice,
            pair,
            scores,
        } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            let last = Cell::new(0.0);
            let progress = |p: f64| {
                if p - last.get() >= 0.01 || p >= 1.0 {
                    last.set(p);
                    post(id, Reply::Progress(p));
                }
            };
            let out = slices::find(&assets, &r, (&pair, &scores), &progress)?;
            Ok(Reply::SlicesFound(Box::new(out)))
        }
        Job::SliceModels { choice, scores } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            Ok(Reply::SliceModels(slices::models(&assets, &r, &scores)?))
        }
        Job::SliceRows { choice } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            Ok(Reply::SliceRows(slices::rows(&assets, &r)?))
        }
        Job::Attention {
            choice,
            user,
            target,
        } => {
            let (assets, r) = rankers_and_rows(&choice).await?;
            let src = source_for(&choice).await?;
            if r.ds().fingerprint() != src.dataset.fingerprint() {
                return Err(AppError::Build(match assets.results.world {
                    Some(w) => format!(
                        "The ranker bundles were trained on another synthetic world: open ?data=synthetic&users={}&items={}&seed={} to see their attention.",
                        w.users, w.items, w.seed
                    ),
                    None => "The ranker bundles were trained on other data.".into(),
                }));
            }
            let out = attention::attention(&assets, &r, &user, target.as_deref())?;
            Ok(Reply::Attended(Box::new(out)))
        }
        Job::Knowledge { choice } => {
            let src = source_for(&choice).await?;
            let k = crate::loading::knowledge::load_knowledge(&src.dataset, &src.choice).await?;
            Ok(Reply::Knew(Box::new(k)))
        }
        Job::Scores { files, choice } => {
            // The slices need the dataset the page shows; without it they are left out.
            let src = source_for(&choice).await.ok();
            let ds = src.as_deref().map(|s| &*s.dataset);
            let out = scores::compare_scores(&files, ds)?;
            Ok(Reply::ScoresCompared(Box::new(out)))
        }
        Job::Open { files, lenient } => {
            post(id, Reply::Progress(0.0));
            let out = adopt(id, &files, lenient)?;
            post(id, Reply::Progress(1.0));
            Ok(Reply::Opened(Box::new(out)))
        }
    }
}

/// Every bundle's test-set scores on WebGPU, or (`Err`) the CPU must score them, and why.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
async fn gpu_test_scores(
    asked: BackendChoice,
    dir: &str,
    assets: &experiment::Assets,
    r: &experiment::ExperimentData,
) -> Result<(Vec<Vec<f64>>, BackendUsed), BackendUsed> {
    let g = backend::gpu(asked).await?;
    match compare::score_test_set_gpu(&g, dir, assets, r).await {
        Ok(c) => Ok((c, g.used(asked))),
        Err(e) => Err(BackendUsed::cpu(asked, Some(kernel_failed(&e)))),
    }
}

/// Per bundle (in `assets.rankers` order) its ranked lists and seconds, and where they ran.
type FullLists = (
    Vec<Vec<Vec<u32>>>,
    Vec<(reaseq_core::ranker::Variant, f64)>,
    BackendUsed,
);

/// Ranked lists per bundle (in `assets.rankers` order) on WebGPU with each one's seconds, or
/// (`Err`) the CPU must rank them, and why. `report(k, done)` hears bundle `k`'s users done.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
async fn gpu_full_lists(
    asked: BackendChoice,
    dir: &str,
    assets: &experiment::Assets,
    queries: &[reaseq_core::experiment::CatalogueQuery],
    report: &dyn Fn(usize, usize),
) -> Result<FullLists, BackendUsed> {
    let g = backend::gpu(asked).await?;
    let (mut lists, mut seconds) = (Vec::new(), Vec::new());
    for (k, m) in assets.rankers.iter().enumerate() {
        let t = crate::loading::now();
        let key = format!("{dir}/{}", m.config.variant.key());
        let l = full::rank_gpu(&g, &key, m, queries, &|done| report(k, done))
            .await
            .map_err(|e| BackendUsed::cpu(asked, Some(kernel_failed(&e))))?;
        lists.push(l);
        seconds.push((m.config.variant, (crate::loading::now() - t) / 1e3));
    }
    Ok((lists, seconds, g.used(asked)))
}

/// Every text's student vector on WebGPU, or (`Err`) the CPU must embed them, and why.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
async fn gpu_student_vectors(
    asked: BackendChoice,
    key: &str,
    student: &reaseq_core::knowledge::student::StudentEncoder,
    texts: &[String],
) -> Result<(Vec<Vec<f32>>, BackendUsed), BackendUsed> {
    let g = backend::gpu(asked).await?;
    let on_device = async {
        let s = g.student(key, student).await?;
        s.embed(&g.ctx, &g.student, texts).await
    };
    match on_device.await {
        Ok(v) => Ok((v, g.used(asked))),
        Err(e) => Err(BackendUsed::cpu(asked, Some(kernel_failed(&e)))),
    }
}

#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
async fn gpu_student_vectors(
    asked: BackendChoice,
    _: &str,
    _: &reaseq_core::knowledge::student::StudentEncoder,
    _: &[String],
) -> Result<(Vec<Vec<f32>>, BackendUsed), BackendUsed> {
    Err(BackendUsed::cpu(asked, Some(NO_BROWSER.into())))
}

/// Every user's inference on WebGPU, or (`Err`) the CPU must run it, and why.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
async fn gpu_every_user(
    asked: BackendChoice,
    dir: &str,
    a: &reasoner::Assets,
    (vocab, prompts): (&ItemVocab, &[UserPrompt]),
    cfg: &reaseq_core::reasoner::SamplerConfig,
    report: &dyn Fn(usize),
) -> Result<(Vec<Inference>, BackendUsed), BackendUsed> {
    let g = backend::gpu(asked).await?;
    match every::infer_gpu(&g, dir, a, vocab, prompts, cfg, report).await {
        Ok(out) => Ok((out, g.used(asked))),
        Err(e) => Err(BackendUsed::cpu(asked, Some(kernel_failed(&e)))),
    }
}

#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
async fn gpu_every_user(
    asked: BackendChoice,
    _: &str,
    _: &reasoner::Assets,
    _: (&ItemVocab, &[UserPrompt]),
    _: &reaseq_core::reasoner::SamplerConfig,
    _: &dyn Fn(usize),
) -> Result<(Vec<Inference>, BackendUsed), BackendUsed> {
    Err(BackendUsed::cpu(asked, Some(NO_BROWSER.into())))
}

/// Outside the browser, or in a build without the `webgpu` feature, the CPU runs.
#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
async fn gpu_test_scores(
    asked: BackendChoice,
    _: &str,
    _: &experiment::Assets,
    _: &experiment::ExperimentData,
) -> Result<(Vec<Vec<f64>>, BackendUsed), BackendUsed> {
    Err(BackendUsed::cpu(asked, Some(NO_BROWSER.into())))
}

#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
async fn gpu_full_lists(
    asked: BackendChoice,
    _: &str,
    _: &experiment::Assets,
    _: &[reaseq_core::experiment::CatalogueQuery],
    _: &dyn Fn(usize, usize),
) -> Result<FullLists, BackendUsed> {
    Err(BackendUsed::cpu(asked, Some(NO_BROWSER.into())))
}

#[cfg(not(all(target_arch = "wasm32", feature = "webgpu")))]
const NO_BROWSER: &str = if cfg!(target_arch = "wasm32") {
    "this build has no WebGPU path (made without the webgpu feature)"
} else {
    "WebGPU runs in the browser only"
};

/// Why the CPU ran this job: a device or kernel error gives WebGPU up for the worker's later jobs;
/// a model the kernels refuse only this job.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
fn kernel_failed(e: &reaseq_core::error::Error) -> String {
    // A model the kernels do not take (too wide, too long) is this job's matter only.
    if !matches!(e, reaseq_core::error::Error::Gpu(_)) {
        return format!("the WebGPU kernels do not take this model, so the CPU ran ({e})");
    }
    let why = format!("the kernel failed, so the CPU ran ({e})");
    backend::failed(&why);
    web_sys::console::warn_1(&JsValue::from_str(&why));
    why
}

/// Every bundle ranks every test user's catalogue: on WebGPU when there is a device (all of it
/// again on the CPU should a kernel fail), else on the CPU.
async fn full_ranking(
    id: u64,
    choice: &Choice,
    asked: BackendChoice,
) -> AppResult<full::FullOutcome> {
    let assets = rankers_for(choice).await?;
    let r = rows_for(choice, &assets).await?;
    let (queries, without) = full::queries(&r);
    let cli = experiment::load_full_ranking(choice).await?;
    let total = (queries.len() * assets.rankers.len()).max(1) as f64;
    let dir = experiment::asset_dir(choice);
    // A message per percent is plenty for a bar (an atomic: the CPU path wants `Sync`).
    let last = std::sync::atomic::AtomicU32::new(0);
    let report = |k: usize, done: usize| {
        let p = (k * queries.len() + done) as f64 / total;
        let percent = (p * 100.0) as u32;
        if last.fetch_max(percent, std::sync::atomic::Ordering::Relaxed) < percent {
            post(id, Reply::Progress(p));
        }
    };
    let (lists, seconds, used) = match gpu_full_lists(asked, &dir, &assets, &queries, &report).await
    {
        Ok(on_gpu) => on_gpu,
        Err(used) => {
            let (mut lists, mut seconds) = (Vec::new(), Vec::new());
            for (k, m) in assets.rankers.iter().enumerate() {
                let t = crate::loading::now();
                lists.push(full::rank_cpu(m, &queries, &|done| report(k, done))?);
                seconds.push((m.config.variant, (crate::loading::now() - t) / 1e3));
            }
            (lists, seconds, used)
        }
    };
    let ranking = full::measure(&assets, &r, &queries, without, lists)?;
    post(id, Reply::Progress(1.0));
    Ok(full::FullOutcome {
        ranking,
        cli,
        backend: used,
        seconds,
    })
}

/// Every catalogue item placed as new: its text through the student on WebGPU when there is a
/// device (the CPU's vectors beside it, for the largest difference), else on the CPU.
async fn cold_catalogue(
    id: u64,
    choice: &Choice,
    asked: BackendChoice,
) -> AppResult<coldcat::ColdCatalogueOutcome> {
    use reaseq_core::ranker::cold_catalogue::{
        catalogue_texts, embed_all, largest_vector_difference, ColdCatalogue,
    };
    let dir = experiment::asset_dir(choice);
    let assets = rankers_for(choice).await?;
    let r = rows_for(choice, &assets).await?;
    let space = cold_for(choice, &assets).await?;
    let cli = experiment::load_cold_catalogue(choice).await?;
    post(id, Reply::Progress(0.1));
    let texts = catalogue_texts(r.ds());
    let t = crate::loading::now();
    let key = format!("{dir}/student");
    let (vectors, used, cpu_difference) =
        match gpu_student_vectors(asked, &key, &space.student, &texts).await {
            Ok((v, used)) => {
                let seconds = (crate::loading::now() - t) / 1e3;
                post(id, Reply::Progress(0.5));
                let cpu = embed_all(&space.student, &texts);
                let diff = largest_vector_difference(&v, &cpu);
                ((v, seconds), used, diff)
            }
            Err(used) => {
                let v = embed_all(&space.student, &texts);
                ((v, (crate::loading::now() - t) / 1e3), used, None)
            }
        };
    let (vectors, seconds) = vectors;
    post(id, Reply::Progress(0.7));
    let run = ColdCatalogue::new(&r.ds().name, &space.rep, &vectors)?;
    post(id, Reply::Progress(1.0));
    Ok(coldcat::ColdCatalogueOutcome {
        run,
        cli,
        backend: used,
        seconds,
        cpu_difference,
    })
}

/// The reasoner's sampler for every user: on WebGPU when there is a device (all of it again
/// on the CPU should a kernel fail), else on the CPU.
async fn every_user(
    id: u64,
    choice: &Choice,
    s: &reason::Settings,
    asked: BackendChoice,
) -> AppResult<every::EveryOutcome> {
    let dir = reasoner::asset_dir(choice);
    let (assets, data) = reasoner_for(choice).await?;
    let cli = reasoner::load_every_user(choice).await?;
    let cfg = every::sampler(s);
    let (vocab, prompts) = every::prompts(&assets, &data, s.slots)?;
    let total = prompts.len().max(1) as f64;
    let last = Cell::new(0u32);
    let report = |done: usize| {
        let p = done as f64 / total;
        let percent = (p * 100.0) as u32;
        if percent > last.get() {
            last.set(percent);
            post(id, Reply::Progress(p));
        }
    };
    let t = crate::loading::now();
    let (inferences, used) =
        match gpu_every_user(asked, &dir, &assets, (&vocab, &prompts), &cfg, &report).await {
            Ok(on_gpu) => on_gpu,
            Err(used) => (
                every::infer_cpu(&assets, &vocab, &prompts, &cfg, &report)?,
                used,
            ),
        };
    let seconds = (crate::loading::now() - t) / 1e3;
    let run = every::measure(&data, &prompts, &inferences, &cfg)?;
    post(id, Reply::Progress(1.0));
    Ok(every::EveryOutcome {
        run,
        cli,
        backend: used,
        seconds,
    })
}

/// The worker's entry: take jobs until terminated.
pub fn serve() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if let Some(id) = CURRENT.with(Cell::get) {
            let why = format!("the worker crashed: {info}");
            post(id, Reply::Failed(AppError::Worker(why)));
        }
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let text = ev.data().as_string().unwrap_or_default();
        let job: Envelope<Job> = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                let why = format!("the worker could not read a job: {e}");
                return post(0, Reply::Failed(AppError::Worker(why)));
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            CURRENT.with(|c| c.set(Some(job.id)));
            let reply = run_job(job.id, job.body)
                .await
                .unwrap_or_else(Reply::Failed);
            CURRENT.with(|c| c.set(None));
            post(job.id, reply);
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(0, Reply::Ready);
}

// ---- the page's side ----

struct Pending {
    progress: Rc<dyn Fn(f64)>,
    /// None for a job nobody awaits (a fresh worker's adoption of the opened data).
    settle: Option<(js_sys::Function, js_sys::Function)>,
}

struct Handle {
    worker: Worker,
    ready: Cell<bool>,
    /// Jobs posted before the worker said it was ready (it would drop them).
    queue: RefCell<Vec<String>>,
    pending: RefCell<BTreeMap<u64, Pending>>,
    next: Cell<u64>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Handle {
    fn spawn() -> AppResult<Rc<Self>> {
        let worker = Worker::new(SCRIPT)
            .map_err(|e| AppError::Worker(format!("cannot start the worker: {e:?}")))?;
        let handle = Rc::new_cyclic(|me: &Weak<Handle>| {
            let me_msg = me.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                if let Some(h) = me_msg.upgrade() {
                    h.receive(&ev.data().as_string().unwrap_or_default());
                }
            });
            let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
                // An uncaught error leaves the worker unusable: fail its jobs, start afresh next time.
                reset(AppError::Worker(format!(
                    "the worker failed: {}",
                    ev.message()
                )));
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Handle {
                worker,
                ready: Cell::new(false),
                queue: RefCell::new(Vec::new()),
                pending: RefCell::new(BTreeMap::new()),
                next: Cell::new(1),
                _on_message: on_message,
                _on_error: on_error,
            }
        });
        Ok(handle)
    }

    fn receive(&self, text: &str) {
        let Ok(msg) = serde_json::from_str::<Envelope<Reply>>(text) else {
            return;
        };
        match msg.body {
            Reply::Ready => {
                self.ready.set(true);
                for job in self.queue.borrow_mut().drain(..) {
                    let _ = self.worker.post_message(&JsValue::from_str(&job));
                }
            }
            Reply::Progress(p) => {
                let progress = self
                    .pending
                    .borrow()
                    .get(&msg.id)
                    .map(|j| j.progress.clone());
                if let Some(progress) = progress {
                    progress(p);
                }
            }
            Reply::Failed(e) if msg.id == 0 => self.fail_all(&e),
            // A job's result or failure: `run` reads which from the text.
            _ => {
                let job = self.pending.borrow_mut().remove(&msg.id);
                if let Some((resolve, _)) = job.and_then(|j| j.settle) {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(text));
                }
            }
        }
    }

    /// Rejects every pending job with `why`, as JSON for `run` to read back.
    fn fail_all(&self, why: &AppError) {
        let text = serde_json::to_string(why).unwrap_or_else(|_| why.to_string());
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (_, reject) in pending.into_values().filter_map(|j| j.settle) {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&text));
        }
    }

    fn post(&self, job: &Job, pending: Pending) -> AppResult<()> {
        let id = self.next.get();
        self.next.set(id + 1);
        let text = serde_json::to_string(&Envelope { id, body: job })
            .map_err(|e| AppError::Worker(e.to_string()))?;
        self.pending.borrow_mut().insert(id, pending);
        if self.ready.get() {
            self.worker
                .post_message(&JsValue::from_str(&text))
                .map_err(|e| AppError::Worker(format!("cannot post to the worker: {e:?}")))?;
        } else {
            self.queue.borrow_mut().push(text);
        }
        Ok(())
    }
}

thread_local! {
    static HANDLE: RefCell<Option<Rc<Handle>>> = const { RefCell::new(None) };
    /// The files opened in this page and how strictly, which every new worker is given first.
    static OPENED: RefCell<Option<Job>> = const { RefCell::new(None) };
}

fn handle() -> AppResult<Rc<Handle>> {
    if let Some(h) = HANDLE.with(|h| h.borrow().clone()) {
        return Ok(h);
    }
    let h = Handle::spawn()?;
    // A worker started after a cancel or a crash has none of the opened data: it opens the
    // same files again before any job of the views.
    if let Some(job) = OPENED.with(|o| o.borrow().clone()) {
        let progress = Rc::new(|_| {});
        h.post(
            &job,
            Pending {
                progress,
                settle: None,
            },
        )?;
    }
    HANDLE.with(|slot| *slot.borrow_mut() = Some(h.clone()));
    Ok(h)
}

/// Remembers the [`Job::Open`] that succeeded last, for the next worker.
pub fn keep_opened(job: Job) {
    OPENED.with(|o| *o.borrow_mut() = Some(job));
}

/// Terminates the worker and fails its jobs with `why`.
fn reset(why: AppError) {
    if let Some(h) = HANDLE.with(|h| h.borrow_mut().take()) {
        h.worker.terminate();
        h.fail_all(&why);
        // Dropped on a later turn: `reset` may run inside one of the handle's own callbacks.
        wasm_bindgen_futures::spawn_local(async move { drop(h) });
    }
}

/// Stops every running job (they fail with "cancelled").
pub fn cancel() {
    reset(AppError::cancelled());
}

/// Runs `job` in the worker; `progress` hears the share done.
pub async fn run(job: &Job, progress: impl Fn(f64) + 'static) -> AppResult<Reply> {
    let h = handle()?;
    let mut slot = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
    let (resolve, reject) =
        slot.ok_or_else(|| AppError::Worker("the browser did not start a promise".into()))?;
    h.post(
        job,
        Pending {
            progress: Rc::new(progress),
            settle: Some((resolve, reject)),
        },
    )?;
    drop(h);
    let text = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(rejected)?;
    let msg: Envelope<Reply> = serde_json::from_str(&text.as_string().unwrap_or_default())
        .map_err(|e| AppError::Worker(format!("the worker's reply did not parse: {e}")))?;
    match msg.body {
        Reply::Failed(e) => Err(e),
        r => Ok(r),
    }
}

/// The error a job's promise was rejected with (see [`Handle::fail_all`]).
fn rejected(e: JsValue) -> AppError {
    match e.as_string() {
        Some(text) => serde_json::from_str(&text).unwrap_or(AppError::Worker(text)),
        None => AppError::Worker(format!("{e:?}")),
    }
}
