//! Compare: the four ranker variants (Base, +REP, +GBR, ReaSeq) scored over the whole test set
//! in the browser from the bundled models, with AUC, GAUC, logloss, RelaImpr, 95% user-bootstrap
//! intervals and a paired test against Base, next to what `reaseq experiment` measured for the
//! same bundles, and the controls trained beside them (the CLI's figures: their bundles are not
//! shipped). The scoring and statistics run in the Web Worker (`jobs::compare`); this page
//! draws the tables and charts from what it returns.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::ranker::{SliceKind, Variant};

use crate::components::slice_finder::{slice_filter, slice_name};
use crate::components::{
    download, download_png, errors_view, use_set_query, BackendLine, ColdCatalogueCard,
    ControlsTable, FullRankingCard, OwnScores, SliceFinderCard,
};
use crate::error::{AppError, AppResult};
use crate::jobs::backend::BackendChoice;
use crate::jobs::compare::Outcome;
use crate::jobs::{Job, Reply};
use crate::worker;

fn csv(o: &Outcome) -> String {
    let mut s = String::from(
        "variant,auc,auc_lower,auc_upper,gauc,gauc_lower,gauc_upper,logloss,rela_impr_gauc_percent,gauc_minus_base,p_value\n",
    );
    for r in &o.rows {
        let (d, p) = r.vs_base.map_or((String::new(), String::new()), |v| {
            (format!("{:.6}", v.0), format!("{:.4}", v.3))
        });
        s.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.3},{d},{p}\n",
            r.variant.name(),
            r.auc,
            r.auc_ci.0,
            r.auc_ci.1,
            r.gauc,
            r.gauc_ci.0,
            r.gauc_ci.1,
            r.logloss,
            r.rela_impr
        ));
    }
    s
}

/// The "Table as JSON" export.
#[derive(serde::Serialize)]
struct TableExport<'a> {
    impressions: usize,
    users: usize,
    replicates: usize,
    variants: &'a [crate::jobs::compare::Row],
}

fn json(o: &Outcome) -> String {
    serde_json::to_string_pretty(&TableExport {
        impressions: o.impressions,
        users: o.users,
        replicates: o.replicates,
        variants: &o.rows,
    })
    .unwrap_or_default()
}

fn roc(o: &Outcome) -> String {
    let series: Vec<(&str, Vec<(f64, f64)>)> =
        o.roc.iter().map(|(v, p)| (v.name(), p.clone())).collect();
    reaseq_core::report::roc_chart("ROC over the test set", &series).unwrap_or_default()
}

/// Each variant's AUC on every slice of `kind` that has both labels, as a grouped bar chart.
fn slice_chart(o: &Outcome, kind: SliceKind) -> String {
    let groups = o.slice(kind).map(|s| s.groups.clone()).unwrap_or_default();
    let names: Vec<&str> = o.rows.iter().map(|r| r.variant.name()).collect();
    reaseq_core::report::grouped_bars(
        &format!("AUC by {} (impressions)", kind.title()),
        &names,
        &groups,
    )
    .unwrap_or_default()
}

fn chart(o: &Outcome) -> String {
    let bars: Vec<(String, f64, f64, f64)> = o
        .rows
        .iter()
        .map(|r| {
            (
                r.variant.name().to_string(),
                r.gauc,
                r.gauc_ci.0,
                r.gauc_ci.1,
            )
        })
        .collect();
    reaseq_core::report::bar_chart("Test GAUC (95% CI), computed in this browser", &bars)
        .unwrap_or_default()
}

/// The slice charted and the pair tested, from the URL, with a notice for values that are
/// not slices or variants.
#[derive(Clone, Debug, PartialEq)]
struct Picks {
    slice: SliceKind,
    a: Variant,
    b: Variant,
    /// Where the worker computes (`?backend=auto|webgpu|cpu`).
    backend: BackendChoice,
    /// The slice the test set is filtered to (`?where=`, from the slice finder); empty: all.
    only: Vec<reaseq_core::experiment::slice_finder::Condition>,
    bad: Vec<String>,
}

fn use_picks() -> Memo<Picks> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.get();
        let mut bad = Vec::new();
        let slice = match q.get("slice") {
            None => SliceKind::Popularity,
            Some(k) => SliceKind::from_key(&k).unwrap_or_else(|| {
                bad.push(format!("'slice={k}' is not a slice"));
                SliceKind::Popularity
            }),
        };
        let mut variant = |key: &str, default: Variant| match q.get(key) {
            None => default,
            Some(v) => Variant::parse(&v).unwrap_or_else(|| {
                bad.push(format!("'{key}={v}' is not a variant"));
                default
            }),
        };
        let (a, b) = (variant("a", Variant::ReaSeq), variant("b", Variant::Base));
        let backend = BackendChoice::from_query(q.get("backend"), &mut bad);
        let only = slice_filter(q.get("where")).unwrap_or_else(|e| {
            bad.push(e);
            Vec::new()
        });
        Picks {
            slice,
            a,
            b,
            backend,
            only,
            bad,
        }
    })
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let choice = crate::loading::choice_from_query();
    let picks = use_picks();
    let backend = Memo::new(move |_| picks.get().backend);
    let only = Memo::new(move |_| picks.get().only);
    let set_query = use_set_query();
    let (progress, set_progress) = signal(0.0);
    let (outcome, set_outcome) = signal(None::<AppResult<Outcome>>);
    let (running, set_running) = signal(false);
    // Only the latest run's result is shown, should an earlier one finish after it.
    let latest = StoredValue::new(0u64);
    let start = move || {
        latest.update_value(|n| *n += 1);
        let run = latest.get_value();
        set_running.set(true);
        set_outcome.set(None);
        set_progress.set(0.0);
        let job = Job::Compare {
            choice: choice.get_untracked(),
            backend: backend.get_untracked(),
            slice: only.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let out = match worker::run(&job, move |p| set_progress.set(p)).await {
                Ok(Reply::Compared(o)) => Ok(*o),
                Ok(_) => Err(AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            };
            if latest.get_value() == run {
                set_running.set(false);
                set_outcome.set(Some(out));
            }
        });
    };
    // The worker scores the test set on opening and whenever the dataset or backend changes.
    Effect::new(move |_| {
        choice.track();
        backend.track();
        only.track();
        start();
    });
    view! {
        <h1>"Compare"</h1>
        <p class="lead">"The four variants of the ablation, trained by "<code>"reaseq experiment"</code>" on identical data and seeds, scored again here over every test impression. The browser's figures should equal the CLI's for the same bundle (seed 0). Below them, the controls the CLI trained beside the variants."</p>
        <div class="controls">
            <button id="recompute" disabled=move || running.get() on:click=move |_| start()>"Recompute"</button>
            <button id="cancel" disabled=move || !running.get() on:click=move |_| worker::cancel()>"Cancel"</button>
            <progress id="compare-progress" max="1" value=move || progress.get()></progress>
            <span class="muted" id="compare-status">{move || if running.get() { format!("scoring in a Web Worker… {:.0}%", progress.get() * 100.0) } else { String::new() }}</span>
        </div>
        {move || {
            let bad = picks.get().bad;
            (!bad.is_empty()).then(|| view! { <p class="notice" id="param-notice">{format!("{}: using the default instead.", bad.join("; "))}</p> })
        }}
        {move || {
            let only = only.get();
            let set_query = set_query.clone();
            (!only.is_empty()).then(|| view! {
                <p class="notice" id="slice-filter">"Filtered to the slice "<strong>{slice_name(&only)}</strong>": the test set, its slices and the paired test below read only its impressions (the CLI column stays the whole test set's; the full-catalogue and catalogue cards are per user and item, not filtered). "
                    <button id="slice-filter-clear" on:click=move |_| set_query(&[("where", None)])>"Show every impression"</button></p>
            })
        }}
        <ErrorBoundary fallback=errors_view>
            {move || outcome.get().map(|o| o.map(|o| {
                let o = Arc::new(o);
                view! {
                    <TestSetCard o=o.clone()/>
                    <FullRankingCard choice=choice backend=backend/>
                    <ColdCatalogueCard choice=choice backend=backend/>
                    <ControlsCard choice=choice/>
                    <SlicesCard o=o.clone() picks=picks/>
                    <PairCard o=o picks=picks/>
                }
            }))}
        </ErrorBoundary>
        // Outside the test set's card group: filtering to a slice reruns those, not the finder.
        <SliceFinderCard choice=choice/>
        <OwnScores/>
    }
}

/// The table of every variant, its exports and the GAUC and ROC charts.
#[component]
fn TestSetCard(o: Arc<Outcome>) -> impl IntoView {
    let (c, j, svg) = (csv(&o), json(&o), chart(&o));
    let (svg_file, svg_png) = (svg.clone(), svg.clone());
    let roc_svg = roc(&o);
    let (roc_file, roc_png) = (roc_svg.clone(), roc_svg.clone());
    view! {
        <section class="card">
            <h2>"Test set"</h2>
            <BackendLine id="compare-backend" used=o.backend.clone()/>
            <p class="muted" id="compare-summary" data-scoring-seconds=o.scoring_seconds.to_string()>{format!("{} impressions of {} users, scored in {:.1} s ({:.2} s of it scoring). Intervals: {} user-bootstrap replicates, computed by the function the CLI's report uses; the CLI's report averages {} seeds.", o.impressions, o.users, o.seconds, o.scoring_seconds, o.replicates, o.seeds)}</p>
            <table class="figures" id="compare-table">
                <tr><th>"variant"</th><th>"AUC [95% CI]"</th><th>"GAUC [95% CI]"</th><th>"logloss"</th><th>"RelaImpr (GAUC)"</th><th>"GAUC − Base [95% CI], p"</th><th>"CLI (same bundle): AUC / GAUC"</th></tr>
                {o.rows.iter().map(|r| view! {
                    <tr data-variant=r.variant.name()>
                        <td>{r.variant.name()}</td>
                        <td data-metric="auc">{format!("{:.4} [{:.4}, {:.4}]", r.auc, r.auc_ci.0, r.auc_ci.1)}</td>
                        <td data-metric="gauc">{format!("{:.4} [{:.4}, {:.4}]", r.gauc, r.gauc_ci.0, r.gauc_ci.1)}</td>
                        <td data-metric="logloss">{format!("{:.4}", r.logloss)}</td>
                        <td>{format!("{:+.2}%", r.rela_impr)}</td>
                        <td>{r.vs_base.map_or("—".to_string(), |v| format!("{:+.4} [{:+.4}, {:+.4}], p = {:.3}", v.0, v.1, v.2, v.3))}</td>
                        <td data-metric="cli">{format!("{:.4} / {:.4}", r.cli.0, r.cli.1)}</td>
                    </tr>
                }).collect_view()}
            </table>
            <div class="controls">
                <button id="export-csv" on:click=move |_| download("compare.csv", "text/csv", &c)>"Table as CSV"</button>
                <button id="export-json" on:click=move |_| download("compare.json", "application/json", &j)>"Table as JSON"</button>
                <button id="export-svg" on:click=move |_| download("gauc.svg", "image/svg+xml", &svg_file)>"Chart as SVG"</button>
                <button id="export-png" on:click=move |_| download_png("gauc.png", &svg_png)>"Chart as PNG"</button>
                <button id="export-roc" on:click=move |_| download("roc.svg", "image/svg+xml", &roc_file)>"ROC as SVG"</button>
                <button id="export-roc-png" on:click=move |_| download_png("roc.png", &roc_png)>"ROC as PNG"</button>
            </div>
            <div class="charts">
                <div class="chart" id="gauc-chart" inner_html=svg></div>
                <div class="chart" id="roc-chart" inner_html=roc_svg></div>
            </div>
        </section>
    }
}

/// The controls trained beside these variants, as `reaseq experiment --controls` measured them:
/// their bundles are not shipped, so they are not scored again here.
#[component]
fn ControlsCard(choice: Memo<crate::loading::Choice>) -> impl IntoView {
    let results = LocalResource::new(move || {
        let c = choice.get();
        async move { crate::loading::experiment::load_results(&c).await }
    });
    move || match results.get() {
        Some(Ok(r)) if !r.controls.is_empty() => {
            let controls = r.controls.into_iter().collect::<Vec<_>>();
            Some(
                view! {
                    <section class="card" id="compare-controls-card">
                        <ControlsTable controls=controls id="compare-controls"/>
                    </section>
                }
                .into_any(),
            )
        }
        Some(Err(e)) => Some(
            view! { <p class="error" id="compare-controls-error">{e.to_string()}</p> }.into_any(),
        ),
        _ => None,
    }
}

/// Each variant's AUC per slice of the kind in the URL.
#[component]
fn SlicesCard(o: Arc<Outcome>, picks: Memo<Picks>) -> impl IntoView {
    let set_query = use_set_query();
    let slice_svg = Memo::new(move |_| slice_chart(&o, picks.get().slice));
    let file = move |ext: &str| format!("auc_by_{}.{ext}", picks.get_untracked().slice.key());
    view! {
        <section class="card">
            <h2>"Slices"</h2>
            <div class="controls">
                <label>"slice by "
                    <select id="slice-select" on:change=move |ev| set_query(&[("slice", Some(event_target_value(&ev)))])>
                        {SliceKind::ALL.into_iter().map(|k| view! {
                            <option value=k.key() selected=move || picks.get().slice == k>{k.title()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button id="export-slice" on:click=move |_| download(&file("svg"), "image/svg+xml", &slice_svg.get_untracked())>"Slice chart as SVG"</button>
                <button id="export-slice-png" on:click=move |_| download_png(&file("png"), &slice_svg.get_untracked())>"Slice chart as PNG"</button>
            </div>
            <div class="chart" id="slice-chart" inner_html=move || slice_svg.get()></div>
        </section>
    }
}

/// The paired test of the two variants in the URL.
#[component]
fn PairCard(o: Arc<Outcome>, picks: Memo<Picks>) -> impl IntoView {
    let set_query = use_set_query();
    let replicates = o.replicates;
    let tested = Memo::new(move |_| {
        let p = picks.get();
        (p.a, p.b, o.pair(p.a, p.b))
    });
    let select = move |key: &'static str, chosen: fn(&Picks) -> Variant| {
        let set = set_query.clone();
        view! {
            <select id=format!("pair-{key}") on:change=move |ev| set(&[(key, Some(event_target_value(&ev)))])>
                {Variant::ALL.into_iter().map(|v| view! { <option value=v.key() selected=move || chosen(&picks.get()) == v>{v.name()}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="card">
            <h2>"Paired test"</h2>
            <p class="muted">{format!("Users are resampled with replacement ({replicates} replicates); both variants are scored on the same resampled users, so the interval is of the difference itself.")}</p>
            <div class="controls">
                <label>"variant "{select("a", |p| p.a)}</label>
                <label>" minus "{select("b", |p| p.b)}</label>
            </div>
            <ErrorBoundary fallback=errors_view>
                {move || {
                    let (a, b, tested) = tested.get();
                    tested.map(|[auc, gauc]| view! {
                        <table class="figures" id="pair-result" data-a=a.key() data-b=b.key()>
                            <tr><th>"metric"</th><th>{format!("{} − {}", a.name(), b.name())}</th><th>"95% CI"</th><th>"p"</th></tr>
                            {[("AUC", auc), ("GAUC", gauc)].into_iter().map(|(m, d)| view! {
                                <tr data-metric=m.to_lowercase()><td>{m}</td><td class="estimate">{format!("{:+.4}", d.0)}</td><td>{format!("[{:+.4}, {:+.4}]", d.1, d.2)}</td><td>{format!("{:.3}", d.3)}</td></tr>
                            }).collect_view()}
                        </table>
                    })
                }}
            </ErrorBoundary>
        </section>
    }
}
