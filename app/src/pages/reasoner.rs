//! Reasoner: the diffusion reasoner run in the browser for one user, and its denoising replayed
//! step by step: slots filling in by confidence, the alternatives at every commit, and which
//! inferred items the user really consumed off the log. Every control lives in the URL.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::reasoner::PriorWeight;

use crate::components::{errors_view, use_set_query, EveryUserCard, PopulationPanel};
use crate::error::AppError;
use crate::jobs::backend::BackendChoice;
use crate::jobs::reason::{Reasoning, Settings};
use crate::jobs::{Job, Reply};
use crate::loading::choice_from_query;
use crate::worker;

/// How the ranked decoder's prior is described (empty for the model alone).
fn prior_phrase(w: PriorWeight) -> String {
    match (w.lambda > 0.0, w.mix > 0.0) {
        (false, _) => String::new(),
        (true, false) => format!(" with the training-popularity prior, λ = {}", w.lambda),
        (true, true) => format!(
            " with a prior mixing training popularity and co-occurrence with this history (β = {}), λ = {}",
            w.mix, w.lambda
        ),
    }
}

/// The run's settings from the URL, and the values that did not parse.
#[derive(Clone, Debug, PartialEq)]
struct UrlSettings {
    settings: Settings,
    backend: BackendChoice,
    bad: Vec<String>,
}

/// A number from the query, its default when absent, and a notice when it did not parse.
fn param<T: std::str::FromStr + Copy>(
    q: &leptos_router::params::ParamsMap,
    key: &str,
    default: T,
    bad: &mut Vec<String>,
) -> T {
    match q.get(key) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            bad.push(format!("'{key}={v}' is not valid"));
            default
        }),
    }
}

/// The controls from the URL; a bad value falls back to its default with a notice.
fn url_settings(query: Memo<leptos_router::params::ParamsMap>) -> Memo<UrlSettings> {
    Memo::new(move |_| {
        let q = query.get();
        let mut bad = Vec::new();
        let slots = param(&q, "slots", 10usize, &mut bad).clamp(1, 20);
        let steps = param(&q, "steps", 10usize, &mut bad).clamp(1, 64);
        let seed = param(&q, "seed", 0u64, &mut bad);
        let threshold = q.get("threshold").and_then(|t| t.parse::<f32>().ok());
        let backend = BackendChoice::from_query(q.get("backend"), &mut bad);
        let settings = Settings {
            user: q.get("user"),
            slots,
            steps,
            seed,
            threshold,
        };
        UrlSettings {
            settings,
            backend,
            bad,
        }
    })
}

/// Play: while `playing`, advance one step every 600 ms until the last of `steps`.
fn autoplay(
    steps: Signal<usize>,
    step: ReadSignal<usize>,
    set_step: WriteSignal<usize>,
    playing: ReadSignal<bool>,
    set_playing: WriteSignal<bool>,
) {
    Effect::new(move |_| {
        if !playing.get() {
            return;
        }
        let s = step.get();
        if s >= steps.get() {
            set_playing.set(false);
            return;
        }
        set_timeout(
            move || set_step.set(s + 1),
            std::time::Duration::from_millis(600),
        );
    });
}

/// The user's logged history, the reasoner's whole input.
#[component]
fn HistoryCard(r: Arc<Reasoning>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Logged history (the reasoner's whole input)"</h2>
            <ol class="history" id="reasoner-history">{r.history.iter().map(|&i| view! { <li>{r.title(i)}</li> }).collect_view()}</ol>
        </section>
    }
}

#[component]
pub fn ReasonerPage() -> impl IntoView {
    let choice = choice_from_query();
    let query = use_query_map();
    let set_query = use_set_query();
    let settings = url_settings(query);
    let run_settings = Memo::new(move |_| settings.get().settings);
    let backend = Memo::new(move |_| settings.get().backend);
    // The reasoner runs in the worker; the page replays what it returns.
    let run = LocalResource::new(move || {
        let job = Job::Reason {
            choice: choice.get(),
            settings: run_settings.get(),
        };
        async move {
            match worker::run(&job, |_| {}).await {
                Ok(Reply::Reasoned(r)) => Ok(Arc::new(*r)),
                Ok(_) => Err(AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            }
        }
    });
    let (step, set_step) = signal(usize::MAX);
    let (playing, set_playing) = signal(false);
    let steps = Signal::derive(move || {
        run.with(|r| match r {
            Some(Ok(r)) => r.inference.trace.len(),
            _ => 0,
        })
    });
    autoplay(steps, step, set_step, playing, set_playing);
    let set_param = move |k: &'static str, v: String| {
        set_step.set(usize::MAX);
        set_query(&[(k, Some(v))]);
    };
    view! {
        <h1>"Reasoner"</h1>
        <p class="lead">"The diffusion reasoner reads only the user's logged history and infers behaviour that never reached the log. Each step predicts every masked position and commits the most confident ones; replay the steps to watch the slots fill in."</p>
        {move || {
            let bad = settings.get().bad;
            (!bad.is_empty()).then(|| view! { <p class="notice" id="param-notice">{format!("{}: using the default instead.", bad.join("; "))}</p> })
        }}
        <ReasonerControls settings=settings set_param=set_param/>
        <ErrorBoundary fallback=errors_view>
            {move || match run.get() {
                None => Ok(view! { <p class="muted">"Running the reasoner in a Web Worker…"</p> }.into_any()),
                Some(r) => r.map(|r| view! {
                    <ReplayCard r=r.clone() step=step set_step=set_step set_playing=set_playing/>
                    <RankedCard r=r.clone()/>
                    <HistoryCard r=r.clone()/>
                }.into_any()),
            }}
        </ErrorBoundary>
        <EveryUserCard choice=choice settings=run_settings backend=backend/>
        <PopulationPanel choice=choice/>
    }
}

/// The run's settings, each bound to the URL.
#[component]
fn ReasonerControls(
    settings: Memo<UrlSettings>,
    set_param: impl Fn(&'static str, String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="controls" id="reasoner-controls">
            <label>"user "<input id="user-input" value=move || settings.get().settings.user.unwrap_or_default() on:change={let s = set_param.clone(); move |ev| s("user", event_target_value(&ev))}/></label>
            <label>"slots (M) "<input type="number" min="1" max="20" id="slots-input" value=move || settings.get().settings.slots on:change={let s = set_param.clone(); move |ev| s("slots", event_target_value(&ev))}/></label>
            <label>"steps (T) "<input type="number" min="1" max="64" id="steps-input" value=move || settings.get().settings.steps on:change={let s = set_param.clone(); move |ev| s("steps", event_target_value(&ev))}/></label>
            <label>"seed "<input type="number" min="0" id="seed-input" value=move || settings.get().settings.seed on:change={let s = set_param.clone(); move |ev| s("seed", event_target_value(&ev))}/></label>
            <label>"threshold "<input id="threshold-input" placeholder="off" value=move || settings.get().settings.threshold.map(|t| t.to_string()).unwrap_or_default() on:change={let s = set_param.clone(); move |ev| s("threshold", event_target_value(&ev))}/></label>
        </div>
    }
}

/// The sampler's denoising replayed step by step: slots filling in by confidence.
#[component]
fn ReplayCard(
    r: Arc<Reasoning>,
    step: ReadSignal<usize>,
    set_step: WriteSignal<usize>,
    set_playing: WriteSignal<bool>,
) -> impl IntoView {
    let (history, out, ms) = (&r.history, &r.inference, r.millis);
    let off = &r.off_log;
    let n_steps = out.trace.len();
    let shown = move || step.get().min(n_steps);
    let slots = out.items.len();
    let levels = out
        .trace
        .iter()
        .flat_map(|s| &s.commits)
        .map(|c| c.level + 1)
        .max()
        .unwrap_or(1);
    let trace = Arc::new(out.trace.clone());
    let items = out.items.clone();
    let titles: Vec<String> = items
        .iter()
        .map(|i| i.map_or("(none)".into(), |i| r.title(i)))
        .collect();
    let hits: Vec<bool> = items
        .iter()
        .map(|i| i.is_some_and(|i| off.contains(&i)))
        .collect();
    let hit_count = hits.iter().filter(|&&h| h).count();
    let consistency = r.consistency.clone();
    let grid = move || {
        let upto = shown();
        // Per slot and level: the committed token, its probability and alternatives, as of `upto` steps.
        let mut cells: Vec<Vec<Option<(u32, f32, String)>>> = vec![vec![None; levels]; slots];
        for s in trace.iter().take(upto) {
            for c in &s.commits {
                let alts = c
                    .alternatives
                    .iter()
                    .map(|(t, p)| format!("{t} ({p:.2})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                cells[c.slot][c.level] = Some((c.token, c.prob, alts));
            }
            for &r in &s.remasked {
                cells[r].iter_mut().for_each(|x| *x = None);
            }
        }
        cells.into_iter().enumerate().map(|(s, row)| {
            let done = row.iter().all(Option::is_some);
            let label = if done { titles[s].clone() } else { "…".to_string() };
            let hit = done && hits[s];
            let agree = consistency.get(s).copied().flatten().filter(|_| done);
            view! {
                <li class="slot" class:complete=done class:hit=hit data-slot=s>
                    <span class="tokens">{row.into_iter().map(|c| match c {
                        Some((t, p, alts)) => view! { <span class="token" title=format!("p = {p:.2}; alternatives: {alts}")>{t}</span> }.into_any(),
                        None => view! { <span class="token masked">"▒"</span> }.into_any(),
                    }).collect_view()}</span>
                    <span class="slot-title">{label}</span>
                    {agree.map(|c| view! { <span class="consistency" title="cosine of the item's knowledge vector with the mean of the history's (as reaseq reasoner infer reports it)">{format!("consistency {c:.2}")}</span> })}
                    {hit.then(|| view! { <span class="badge">"real off-log"</span> })}
                </li>
            }
        }).collect_view()
    };
    view! {
        <section class="card">
            <h2 id="reasoner-user">{format!("User {} — {} logged items in, {} off-log items to find", r.user_name, history.len(), off.len())}</h2>
            <p class="muted" id="reasoner-summary">{format!("{} forward passes in {ms:.1} ms (the CPU path: WebAssembly, in a Web Worker; one user needs no GPU); {hit_count} of {} inferred items are real off-log behaviour.", out.forward_passes, items.iter().flatten().count())}</p>
            <div class="controls">
                <button id="play" on:click=move |_| { if step.get_untracked() >= n_steps { set_step.set(0); } set_playing.set(true); }>"Play"</button>
                <label>"step "<input type="range" id="step-slider" min="0" max=n_steps prop:value=shown on:input=move |ev| { set_playing.set(false); set_step.set(event_target_value(&ev).parse().unwrap_or(0)); }/></label>
                <span id="step-label">{move || format!("{} / {n_steps}", shown())}</span>
            </div>
            <ol class="slots" id="slots">{grid}</ol>
        </section>
    }
}

/// The same model decoded by the beam, as the GBR sequences are.
#[component]
fn RankedCard(r: Arc<Reasoning>) -> impl IntoView {
    let (ranked, off) = (&r.ranked, &r.off_log);
    view! {
        <section class="card">
            <h2>"Ranked decoding"</h2>
            <p class="muted" id="ranked-summary">{format!(
                "The same model, decoded by a beam of {} down the semantic-ID trie for one slot ({:.1} ms){}: the {} likeliest admissible items, as the CLI's evaluation and the ranker's GBR sequences use them; {} are real off-log behaviour.",
                r.beam_width,
                r.ranked_millis,
                prior_phrase(r.prior_weight),
                ranked.len(), ranked.iter().filter(|x| off.contains(&x.item)).count()
            )}</p>
            <ol class="history" id="ranked">{ranked.iter().zip(&r.ranked_consistency).map(|(x, c)| {
                let hit = off.contains(&x.item);
                let q = if r.prior_weight.lambda > 0.0 { format!("; prior share {:.2}%", 100.0 * x.prior_share) } else { String::new() };
                let c = c.map(|c| format!("; consistency {c:.2}")).unwrap_or_default();
                view! { <li class:hit=hit title=format!("beam score {:.3}", x.score)>{format!("{} (model p = {:.4}{q}{c})", r.title(x.item), x.model_p)}{hit.then(|| view! { <span class="badge">"real off-log"</span> })}</li> }
            }).collect_view()}</ol>
        </section>
    }
}
