//! Compare's slice finder: the test-set slices where one model beats another most surely — a
//! bundled variant, or the researcher's own from a score file of the test impressions — with
//! paired user-bootstrap intervals and Benjamini–Hochberg q-values, computed in the worker by
//! the function `reaseq slices` prints. Clicking a slice filters the Compare views to its
//! impressions (`where=` in the URL).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::experiment::slice_finder::Condition;
use reaseq_core::experiment::{SliceFinderConfig, SliceFinding, SliceMeasure, SliceRanking};
use reaseq_core::ranker::Variant;

use crate::components::job_run::{job_run, JobState, RunControls};
use crate::components::open_data::{chosen_files, read_files};
use crate::components::{download, errors_view, use_set_query};
use crate::error::{AppError, AppResult};
use crate::jobs::open::OpenedFile;
use crate::jobs::slices::SlicePair;
use crate::jobs::{Job, Reply};
use crate::loading::Choice;
use crate::worker;

/// Rows of the finder's table.
const SHOWN: usize = 15;

/// The slice filter in the URL (`where=`, JSON conditions); None when absent or unreadable.
pub fn slice_filter(raw: Option<String>) -> Result<Vec<Condition>, String> {
    match raw {
        None => Ok(Vec::new()),
        Some(s) => {
            serde_json::from_str(&s).map_err(|e| format!("'where={s}' is not a slice ({e})"))
        }
    }
}

/// `genre=Drama ∧ era=1990s`
pub fn slice_name(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ∧ ")
}

#[component]
pub fn SliceFinderCard(choice: Memo<Choice>) -> impl IntoView {
    let query = use_query_map();
    let set_query = use_set_query();
    let pair = Memo::new(move |_| {
        let q = query.get();
        let n = |k: &str, d| q.get(k).and_then(|s| s.parse().ok()).unwrap_or(d);
        let defaults = SliceFinderConfig::default();
        SlicePair {
            a: q.get("finder_a")
                .unwrap_or_else(|| Variant::Base.key().into()),
            b: q.get("finder_b")
                .unwrap_or_else(|| Variant::Gbr.key().into()),
            min_size: n("min_size", defaults.min_size),
            min_users: n("min_users", defaults.min_users),
            measure: q
                .get("measure")
                .and_then(|s| SliceMeasure::parse(&s).ok())
                .unwrap_or_default(),
            ranking: q
                .get("ranking")
                .and_then(|s| SliceRanking::parse(&s).ok())
                .unwrap_or_default(),
        }
    });
    // The researcher's score files of the test impressions (never in the link) and the models
    // the worker matched in them.
    let scores = RwSignal::new(Vec::<OpenedFile>::new());
    let (models, set_models) = signal(None::<AppResult<Vec<String>>>);
    let on_scores = move |ev: web_sys::Event| {
        let files = chosen_files(&ev);
        set_models.set(None);
        leptos::task::spawn_local(async move {
            let r = open_models(files, choice.get_untracked()).await;
            match r {
                Ok((opened, names)) => {
                    scores.set(opened);
                    set_models.set(Some(Ok(names)));
                }
                Err(e) => {
                    scores.set(Vec::new());
                    set_models.set(Some(Err(e)));
                }
            }
        });
    };
    let rows_csv = move |_| {
        leptos::task::spawn_local(async move {
            let job = Job::SliceRows {
                choice: choice.get_untracked(),
            };
            match worker::run(&job, |_| {}).await {
                Ok(Reply::SliceRows(csv)) => download("test-impressions.csv", "text/csv", &csv),
                Ok(_) => set_models.set(Some(Err(AppError::Worker(
                    "the worker answered another job".into(),
                )))),
                Err(e) => set_models.set(Some(Err(e))),
            }
        });
    };
    let (job, start) = job_run(
        move || {
            let names: Vec<String> = scores.with(|f| f.iter().map(|f| f.name.clone()).collect());
            (choice.get(), pair.get(), names)
        },
        move || Job::Slices {
            choice: choice.get_untracked(),
            pair: pair.get_untracked(),
            scores: scores.get_untracked(),
        },
        |r| match r {
            Reply::SlicesFound(f) => Some(*f),
            _ => None,
        },
    );
    let JobState {
        progress,
        running,
        outcome,
    } = job;
    let select = move |key: &'static str, chosen: fn(&SlicePair) -> String| {
        let set = set_query.clone();
        // A variant by its key or name, a score file's model by its column.
        let is = move |name: &str| {
            let c = chosen(&pair.get());
            c == name || Variant::parse(&c).is_some_and(|v| v.key() == name)
        };
        let theirs = move || match models.get() {
            Some(Ok(names)) => names,
            _ => Vec::new(),
        };
        view! {
            <select id=format!("slices-{key}") on:change=move |ev| set(&[(key, Some(event_target_value(&ev)))])>
                {Variant::ALL.into_iter().map(|v| view! { <option value=v.key() selected=move || is(v.key())>{v.name()}</option> }).collect_view()}
                {move || theirs().into_iter().map(|n| {
                    let m = n.clone();
                    view! { <option value=n.clone() selected=move || is(&m)>{n.clone()}</option> }
                }).collect_view()}
            </select>
        }
    };
    let set_size = use_set_query();
    let set_users = use_set_query();
    let set_measure = use_set_query();
    let set_ranking = use_set_query();
    let command = move || {
        let p = pair.get();
        let name = |m: &str| Variant::parse(m).map_or(m.to_owned(), |v| v.name().to_owned());
        let files: String =
            scores.with(|f| f.iter().map(|f| format!(" --scores {}", f.name)).collect());
        format!(
            "reaseq slices --a {} --b {} --min-size {} --min-users {} --measure {} --ranking {}{files}",
            name(&p.a),
            name(&p.b),
            p.min_size,
            p.min_users,
            p.measure.key(),
            p.ranking.key()
        )
    };
    view! {
        <section class="card" id="slices-card">
            <h2>"Where does one variant beat another?"</h2>
            <p class="muted">"The test impressions cut by the target's popularity, genre and decade, the attended history's length, the user's activity (and on a synthetic world the ground truth: is the target of the user's hidden partner genre), and every pair of these; each slice of at least the minimum size gets the difference between the two variants with a paired user-bootstrap 95% interval and a Benjamini–Hochberg q-value over every slice tested. General first (Slice Finder's rule): a significant gain (q < 0.05, the interval above 0) is reported at its most general slice, and the intersections that only refine it come after the rest; within each group, by the interval's lower end. User pairs: each of the slice's impressions against the same user's impressions of the other class. Click a slice to filter the views above to it."</p>
            <div class="controls">
                <label>{select("finder_b", |p| p.b.clone())}</label>
                <label>" beats "{select("finder_a", |p| p.a.clone())}</label>
                <label>" in slices of at least "
                    <input id="slices-min-size" type="number" min="1" prop:value=move || pair.get().min_size.to_string()
                        on:change=move |ev| set_size(&[("min_size", Some(event_target_value(&ev)))])/>
                    " impressions and "
                    <input id="slices-min-users" type="number" min="1" prop:value=move || pair.get().min_users.to_string()
                        on:change=move |ev| set_users(&[("min_users", Some(event_target_value(&ev)))])/>
                    " users, by "
                </label>
                <select id="slices-measure" on:change=move |ev| set_measure(&[("measure", Some(event_target_value(&ev)))])>
                    {[SliceMeasure::UserPairs, SliceMeasure::Auc].map(|m| view! { <option value=m.key() selected=move || pair.get().measure == m>{m.key()}</option> })}
                </select>
                <label>", ranked "
                    <select id="slices-ranking" on:change=move |ev| set_ranking(&[("ranking", Some(event_target_value(&ev)))])>
                        {[SliceRanking::GeneralFirst, SliceRanking::LowerEnd].map(|r| view! { <option value=r.key() selected=move || pair.get().ranking == r>{r.key()}</option> })}
                    </select>
                </label>
            </div>
            <div class="controls">
                <label>"Your models' scores of these test impressions "
                    <input type="file" multiple id="slices-scores" on:change=on_scores/>
                </label>
                <button id="slices-rows" on:click=rows_csv>"The test impressions as CSV"</button>
            </div>
            <p class="muted">"Score the test impressions ("<code>"user_id,item_id,label"</code>", every variant's probability beside them) with your model, add its column (or keep one file per model) and open the file: its models join the two lists, matched to the impressions by user and item. Read in the worker, never uploaded."</p>
            {move || models.get().map(|r| match r {
                Ok(names) if names.is_empty() => view! { <p class="muted" id="slices-models">"The file holds no model."</p> }.into_any(),
                Ok(names) => view! { <p class="muted" id="slices-models">{format!("Your models: {}.", names.join(", "))}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" id="slices-models-error">{e.to_string()}</p> }.into_any(),
            })}
            <p class="muted">"The same with the CLI: "<code id="slices-command">{command}</code></p>
            <RunControls prefix="slices" label="Find slices" doing="bootstrapping" progress=progress running=running start=start/>
            <ErrorBoundary fallback=errors_view>
                {move || outcome.get().map(|o| o.map(|f| view! { <Found f=Arc::new(f)/> }))}
            </ErrorBoundary>
        </section>
    }
}

/// Reads score files and has the worker match their models to the test impressions.
async fn open_models(
    files: Vec<web_sys::File>,
    choice: Choice,
) -> AppResult<(Vec<OpenedFile>, Vec<String>)> {
    let opened = read_files(files).await?;
    let job = Job::SliceModels {
        choice,
        scores: opened.clone(),
    };
    match worker::run(&job, |_| {}).await? {
        Reply::SliceModels(names) => Ok((opened, names)),
        _ => Err(AppError::Worker("the worker answered another job".into())),
    }
}

#[component]
fn Found(f: Arc<SliceFinding>) -> impl IntoView {
    let set_query = use_set_query();
    let json = serde_json::to_string_pretty(&*f).unwrap_or_default();
    let rows = f.slices.iter().take(SHOWN).enumerate().map(|(k, s)| {
        let set = set_query.clone();
        let filter = serde_json::to_string(&s.conditions).unwrap_or_default();
        let name = slice_name(&s.conditions);
        view! {
            <tr data-slice=name.clone()>
                <td>{k + 1}</td>
                <td><button class="link slice-link" on:click=move |_| set(&[("where", Some(filter.clone()))])>{name.clone()}</button></td>
                <td>{s.size}</td>
                <td>{s.users}</td>
                <td>{format!("{:.4}", s.value_a)}</td>
                <td>{format!("{:.4}", s.value_b)}</td>
                <td class="estimate">{format!("{:+.4}", s.diff)}</td>
                <td>{format!("[{:+.4}, {:+.4}]", s.ci[0], s.ci[1])}</td>
                <td>{format!("{:.3}", s.q)}</td>
                <td class="muted">{s.note()}</td>
            </tr>
        }
    }).collect_view();
    let called = f.slices.iter().filter(|s| s.significant).count();
    let c = f.config;
    view! {
        <p class="muted" id="slices-summary">{format!(
            "{} impressions; {} candidate slices, {} of at least {} impressions and {} users tested, {} significant gains of {} (q < {}, interval above 0); the first {} by {}, {}:",
            f.impressions, f.candidates, f.slices.len(), c.min_size, c.min_users, called, f.b, c.alpha, SHOWN.min(f.slices.len()), c.measure.key(), c.ranking.key()
        )}</p>
        <table class="figures" id="slices-found">
            <tr><th>"#"</th><th>"slice"</th><th>"size"</th><th>"users"</th><th>{f.a.clone()}</th><th>{f.b.clone()}</th><th>"difference"</th><th>"95% CI"</th><th>"q"</th><th></th></tr>
            {rows}
        </table>
        <button id="slices-export" on:click=move |_| download("slices.json", "application/json", &json)>"Every slice as JSON"</button>
    }
}
