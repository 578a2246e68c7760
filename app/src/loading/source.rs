//! The dataset a view works on, chosen by the URL query: `?data=ml-100k` (MovieLens-100k, when
//! the build carries it) or `?data=synthetic&users=&items=&seed=` (the seeded synthetic world).
//! Without `data=`, MovieLens-100k when present, else the synthetic world.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::data::load::{load_recbole_bytes, RecboleFiles};
use reaseq_core::data::WorldSpec;
use reaseq_core::data::{BeyondLog, Dataset, LoadOptions, SyntheticConfig, SyntheticWorld};

use reaseq_core::artifact::{from_json, Artifact};
use reaseq_core::layout::BuildIndex;

use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Choice {
    /// MovieLens-100k if it was deployed; `explicit` when the URL asked for it.
    MovieLens {
        explicit: bool,
    },
    Synthetic(SyntheticConfig),
    /// Data the researcher opened in this page, named by its fingerprint (never its content).
    Local {
        fingerprint: String,
    },
}

/// Where a build carries MovieLens-100k's files (under `layout::PAGE_FILES`).
pub const ML_DIR: &str = "/files/data/ml-100k";

pub fn choice_from_query() -> Memo<Choice> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.get();
        let d = WorldSpec::WORKBENCH.config();
        let num =
            |k: &str, default: usize| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
        let synthetic = SyntheticConfig {
            users: num("users", d.users),
            items: num("items", d.items),
            seed: q.get("seed").and_then(|v| v.parse().ok()).unwrap_or(d.seed),
            ..d
        };
        match q.get("data").as_deref() {
            Some("synthetic") => Choice::Synthetic(synthetic),
            Some("local") => Choice::Local {
                fingerprint: q.get("fp").unwrap_or_default(),
            },
            Some("ml-100k") => Choice::MovieLens { explicit: true },
            _ if q.get("users").is_some() || q.get("seed").is_some() => {
                Choice::Synthetic(synthetic)
            }
            _ => Choice::MovieLens { explicit: false },
        }
    })
}

/// A loaded dataset with the beyond-log mode its views use.
#[derive(Clone, PartialEq)]
pub struct Source {
    pub label: String,
    pub dataset: Arc<Dataset>,
    /// Planted off-log behaviour for the synthetic world; `random`, rho 0.3, for real data.
    pub mode: BeyondLog,
    pub seed: u64,
    pub synthetic: Option<SyntheticConfig>,
    /// The data this is, as a choice (a fallback names what it shows, not what was asked), so
    /// a view that loads more for it never pairs one dataset with another's files.
    pub choice: Choice,
    pub load_ms: f64,
    /// Why MovieLens-100k is not shown, when it was asked for implicitly and is absent.
    pub note: Option<String>,
}

/// Milliseconds from the page's (or the worker's) clock.
#[cfg(target_arch = "wasm32")]
pub fn now() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// Natively (the app's unit tests) there is no performance clock.
#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> f64 {
    0.0
}

fn synthetic(cfg: &SyntheticConfig, note: Option<String>) -> AppResult<Source> {
    let t = now();
    let w = SyntheticWorld::generate(cfg)?;
    Ok(Source {
        label: format!("synthetic world (seed {})", cfg.seed),
        mode: BeyondLog::Planted {
            off_log: w.truth.off_log.clone(),
        },
        dataset: Arc::new(w.dataset),
        seed: cfg.seed,
        synthetic: Some(cfg.clone()),
        choice: Choice::Synthetic(cfg.clone()),
        load_ms: now() - t,
        note,
    })
}

thread_local! {
    /// The build's index of its files, fetched once per thread (the page's, the worker's).
    static INDEX: std::cell::RefCell<Option<Option<Rc<BuildIndex>>>> = const { std::cell::RefCell::new(None) };
}

/// The build's index (`BuildIndex::URL`); None for a build without one (then every file is
/// asked for, as before the index).
async fn build_index() -> Option<Rc<BuildIndex>> {
    if let Some(known) = INDEX.with(|i| i.borrow().clone()) {
        return known;
    }
    let index = match fetch_file_bytes(BuildIndex::URL).await {
        Ok(Some(b)) => match from_json::<BuildIndex>(BuildIndex::URL, &b) {
            Ok(i) => Some(Rc::new(i)),
            // Every file is then asked for; the build's mistake is said where a developer looks.
            Err(e) => {
                web_sys::console::warn_1(&e.to_string().into());
                None
            }
        },
        _ => None,
    };
    INDEX.with(|i| *i.borrow_mut() = Some(index.clone()));
    index
}

/// Fetches a deployed file; `Ok(None)` when the deployment does not have it: the build's index
/// does not list it, or the server says so (a single-page fallback answers HTML for it). The
/// files of an opened workspace are answered from memory ([`register_workspace`]).
pub async fn fetch_optional(url: &str) -> AppResult<Option<Vec<u8>>> {
    if let Some(opened) = opened_file(url) {
        return Ok(opened);
    }
    if build_index().await.is_some_and(|i| !i.carries(url)) {
        return Ok(None);
    }
    fetch_file_bytes(url).await
}

/// A typed file the build may carry (its format version checked), or None when it does not.
pub async fn fetch_optional_artifact<T: Artifact>(url: &str) -> AppResult<Option<T>> {
    match fetch_optional(url).await? {
        Some(bytes) => Ok(Some(from_json(url, &bytes)?)),
        None => Ok(None),
    }
}

async fn fetch_file_bytes(url: &str) -> AppResult<Option<Vec<u8>>> {
    let failed = |e: gloo_net::Error| AppError::Fetch {
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let resp = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(failed)?;
    let is_html = resp
        .headers()
        .get("content-type")
        .is_some_and(|t| t.contains("text/html"));
    if !resp.ok() || is_html {
        return Ok(None);
    }
    resp.binary().await.map(Some).map_err(failed)
}

/// Like [`fetch_optional`], but a missing file is an error that says how to make it (for opened
/// data, with the CLI on those files).
pub async fn fetch_required(url: &str, how: &str) -> AppResult<Vec<u8>> {
    fetch_optional(url)
        .await?
        .ok_or_else(|| match url.strip_prefix(LOCAL_ROOT) {
            Some(path) => AppError::NotOpened {
                file: path.rsplit('/').next().unwrap_or(path).to_owned(),
                how: how.to_owned(),
            },
            None => AppError::Missing {
                url: url.to_owned(),
                how: how.to_owned(),
            },
        })
}

async fn fetch_file(name: &str) -> AppResult<Option<Vec<u8>>> {
    fetch_optional(&format!("{ML_DIR}/{name}")).await
}

async fn movielens() -> AppResult<Option<Source>> {
    let t = now();
    let Some(inter) = fetch_file("ml-100k.inter").await? else {
        return Ok(None);
    };
    let item = fetch_file("ml-100k.item").await?;
    let kg = fetch_file("ml-100k.kg").await?;
    let link = fetch_file("ml-100k.link").await?;
    let files = RecboleFiles {
        name: "ml-100k".into(),
        inter: ("ml-100k.inter".into(), &inter),
        item: item.as_deref().map(|b| ("ml-100k.item".to_owned(), b)),
        kg: kg.as_deref().map(|b| ("ml-100k.kg".to_owned(), b)),
        link: link.as_deref().map(|b| ("ml-100k.link".to_owned(), b)),
    };
    let loaded = load_recbole_bytes(files, LoadOptions::default())?;
    Ok(Some(Source {
        label: "MovieLens-100k".into(),
        dataset: Arc::new(loaded.dataset),
        mode: BeyondLog::Random { rho: 0.3 },
        // The CLI's default protocol seed, so the views and `reaseq experiment` split alike.
        seed: 0,
        synthetic: None,
        choice: Choice::MovieLens { explicit: true },
        load_ms: now() - t,
        note: None,
    }))
}

thread_local! {
    /// The data opened in this page (or handed to this worker), by fingerprint: kept in
    /// memory, never uploaded.
    static LOCAL: std::cell::RefCell<std::collections::HashMap<String, Arc<Dataset>>> = Default::default();
    /// The opened workspace's files, by the URL the views read them at (under [`LOCAL_ROOT`]).
    static LOCAL_FILES: std::cell::RefCell<std::collections::HashMap<String, Rc<[u8]>>> = Default::default();
}

/// Where the views read opened data's files, as if a build carried them (see `root`).
pub(crate) const LOCAL_ROOT: &str = "/files/local/";

/// The fingerprint that names a dataset in links (a pass over every row: compute it once).
pub fn fingerprint(ds: &Dataset) -> String {
    format!("{:016x}", ds.fingerprint())
}

/// Keeps an opened dataset for this page (or worker) under its [`fingerprint`].
pub fn register_local(fingerprint: String, ds: Arc<Dataset>) {
    // Only the latest: a page holds one opened dataset (hundreds of MB for millions of rows).
    LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        l.clear();
        l.insert(fingerprint, ds);
    });
}

/// Keeps the files of an opened workspace folder that were made for `dataset` (the CLI's
/// layout, `reaseq_core::layout::WorkspaceFile`) where the views read opened data's files,
/// replacing those of earlier openings; returns those URLs, sorted.
pub fn register_workspace<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    dataset: &str,
) -> Vec<String> {
    let (root, name) = super::root(&Choice::Local {
        fingerprint: String::new(),
    });
    let kept: std::collections::HashMap<String, Rc<[u8]>> = files
        .into_iter()
        .filter_map(|(path, bytes)| {
            let f = reaseq_core::layout::WorkspaceFile::parse(path)?;
            (f.dataset == dataset).then(|| (format!("/{root}{}", f.page_path(name)), bytes.into()))
        })
        .collect();
    let mut urls: Vec<String> = kept.keys().cloned().collect();
    urls.sort();
    LOCAL_FILES.with(|l| *l.borrow_mut() = kept);
    urls
}

/// An opened workspace's file at `url`: `Some(None)` when `url` is opened data's and the
/// workspace did not have it; None for any other URL.
fn opened_file(url: &str) -> Option<Option<Vec<u8>>> {
    url.starts_with(LOCAL_ROOT)
        .then(|| LOCAL_FILES.with(|l| l.borrow().get(url).map(|b| b.to_vec())))
}

fn local(fingerprint: &str) -> AppResult<Source> {
    let Some(dataset) = LOCAL.with(|l| l.borrow().get(fingerprint).cloned()) else {
        return Err(AppError::Input(format!(
            "This link is to data opened in another page (fingerprint {fingerprint}), which never leaves that browser: open the same files with “Open data” to see it here."
        )));
    };
    Ok(Source {
        label: format!("{} (opened in this page)", dataset.name),
        dataset,
        // As for MovieLens-100k: the CLI's default protocol on a dataset.
        mode: BeyondLog::Random { rho: 0.3 },
        seed: 0,
        synthetic: None,
        choice: Choice::Local {
            fingerprint: fingerprint.to_owned(),
        },
        load_ms: 0.0,
        note: None,
    })
}

pub async fn load(choice: Choice) -> AppResult<Source> {
    match choice {
        Choice::Local { fingerprint } => local(&fingerprint),
        Choice::Synthetic(cfg) => synthetic(&cfg, None),
        Choice::MovieLens { explicit } => match movielens().await? {
            Some(s) => Ok(s),
            None if explicit => Err(AppError::Build(
                "MovieLens-100k is not in this build: run `reaseq data fetch`, then build again (scripts/workbench.sh does both)."
                    .into(),
            )),
            None => synthetic(
                &WorldSpec::WORKBENCH.config(),
                Some("MovieLens-100k is not in this build, so the synthetic world is shown.".into()),
            ),
        },
    }
}

pub type SourceResource = LocalResource<AppResult<Source>>;

/// Bumped whenever data is opened in this page, so the views load it again.
#[derive(Clone, Copy)]
pub struct OpenedData(pub RwSignal<u64>);

/// Loads the source for the current URL once for all views: [`DataProvider`] holds it, so
/// moving between views does not fetch and parse the dataset again. It reloads only when the
/// dataset choice in the query changes.
#[component]
pub fn DataProvider(children: Children) -> impl IntoView {
    let choice = choice_from_query();
    let opened = OpenedData(RwSignal::new(0));
    let resource: SourceResource = LocalResource::new(move || {
        // Opening data reloads even when its link stays the same (the same files again).
        opened.0.track();
        load(choice.get())
    });
    provide_context(resource);
    provide_context(opened);
    children()
}

/// The shared source (see [`DataProvider`]); a view rendered outside it loads its own.
pub fn source() -> SourceResource {
    use_context::<SourceResource>().unwrap_or_else(|| {
        let choice = choice_from_query();
        LocalResource::new(move || load(choice.get()))
    })
}

/// Shared data compared by identity, so memos can hold it.
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
