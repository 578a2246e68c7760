//! "Open data": the researcher's own files (CSV or RecBole), read in the page, parsed and
//! validated in the worker, and kept in this page's memory only — nothing is uploaded. The
//! views then show them; a link to them carries their fingerprint, never their content.

use std::rc::Rc;

use leptos::prelude::*;
use reaseq_core::data::load::{check_size, dataset_file};
use reaseq_core::layout::{PageDir, WorkspaceFile};
use wasm_bindgen_futures::JsFuture;

use crate::components::{errors_view, use_set_query};
use crate::error::{AppError, AppResult};
use crate::jobs::open::{named, Opened, OpenedFile};
use crate::jobs::{Job, Reply};
use crate::loading::{choice_from_query, register_local, register_workspace, Choice, OpenedData};
use crate::worker;

/// Reads the files a file input holds, each refused before reading when too large.
pub async fn read_files(files: Vec<web_sys::File>) -> AppResult<Vec<OpenedFile>> {
    let total: f64 = files.iter().map(|f| f.size()).sum();
    if let Some(first) = files.first() {
        check_size(
            &format!("{} and the other files", first.name()),
            total as u64,
        )?;
    }
    let mut opened = Vec::with_capacity(files.len());
    for f in files {
        let name = opened_name(&f);
        let buffer = JsFuture::from(f.array_buffer())
            .await
            .map_err(|e| AppError::File {
                file: name.clone(),
                reason: format!("could not be read: {e:?}"),
            })?;
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        opened.push(OpenedFile { name, bytes });
    }
    Ok(opened)
}

/// A file's path within the folder it was opened from (the workspace's layout is read from
/// it), else its name.
fn opened_name(f: &web_sys::File) -> String {
    js_sys::Reflect::get(f, &"webkitRelativePath".into())
        .ok()
        .and_then(|p| p.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| f.name())
}

/// The files of an input element's change event; the input is cleared, so choosing the same
/// file again (after fixing it) is a change too.
pub fn chosen_files(ev: &web_sys::Event) -> Vec<web_sys::File> {
    let input: web_sys::HtmlInputElement = event_target(ev);
    let files = input
        .files()
        .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default();
    input.set_value("");
    files
}

/// Has the worker load the files as a dataset (it keeps them); this page keeps the dataset
/// and the workspace files among them. Returns what was opened and the workspace files' URLs.
async fn open_files(
    files: Vec<web_sys::File>,
    lenient: bool,
    progress: impl Fn(f64) + 'static,
) -> AppResult<(Opened, Vec<String>)> {
    let files = Rc::new(read_files(files).await?);
    let job = Job::Open {
        files: files.clone(),
        lenient,
    };
    let Reply::Opened(o) = worker::run(&job, progress).await? else {
        return Err(AppError::Worker("the worker answered another job".into()));
    };
    worker::keep_opened(job);
    register_local(o.fingerprint.clone(), o.dataset.clone());
    let workspace = register_workspace(named(&files), &o.dataset.name);
    Ok((*o, workspace))
}

/// What the page says once the files are open: counts, skipped rows, and whether they are the
/// data a link asked for.
fn opened_note(
    o: &Opened,
    workspace: &[String],
    fingerprint: &str,
    wanted: Option<String>,
) -> String {
    let ds = &o.dataset;
    let mut note = format!(
        "{}: {} users, {} items, {} interactions (fingerprint {fingerprint}; the worker's memory {:.0} MB).",
        ds.name,
        ds.num_users(),
        ds.num_items(),
        ds.interactions.len(),
        o.worker_memory / 1048576.0
    );
    note.push_str(&workspace_note(workspace));
    if o.skipped_rows > 0 {
        note.push_str(&format!(
            " Skipped {} bad rows:\n{}",
            o.skipped_rows,
            o.problems.join("\n")
        ));
        let more = o.problems_total.saturating_sub(o.problems.len() as u64);
        if more > 0 {
            note.push_str(&format!("\n… and {more} more problems"));
        }
    }
    if let Some(w) = wanted.filter(|w| !w.is_empty() && w != fingerprint) {
        note.push_str(&format!(
            " These are not the data of the link you opened (fingerprint {w})."
        ));
    }
    note
}

/// Which of the CLI's stages the opened workspace brought, and what the views do without one.
fn workspace_note(urls: &[String]) -> String {
    let has = |dir: PageDir| {
        let dir = format!("/{}/", dir.of("opened"));
        urls.iter().any(|u| u.contains(&dir))
    };
    let stages: Vec<&str> = [
        (PageDir::Knowledge, "the knowledge build (Knowledge)"),
        (PageDir::Reasoner, "the reasoner (Reasoner)"),
        (PageDir::Ranker, "the experiment (Compare, Summary)"),
    ]
    .into_iter()
    .filter(|(d, _)| has(*d))
    .map(|(_, s)| s)
    .collect();
    if stages.is_empty() {
        return String::new();
    }
    format!(
        " From its workspace ({} files): {}.",
        urls.len(),
        stages.join(", ")
    )
}

/// What the worker is doing at `done`, the share of the bytes it has checked.
fn open_stage(done: f64) -> String {
    if done < 1.0 {
        format!("checking rows: {:.0}%", done * 100.0)
    } else {
        "checked; building the views…".into()
    }
}

/// The fingerprint of the opened data a link names, if it names some.
fn link_fingerprint(choice: Choice) -> Option<String> {
    match choice {
        Choice::Local { fingerprint } => Some(fingerprint),
        _ => None,
    }
}

/// The files of a drop.
fn dropped_files(ev: &web_sys::DragEvent) -> Vec<web_sys::File> {
    let files = ev.data_transfer().and_then(|d| d.files());
    files
        .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}

/// A folder's files a dataset or the page's part of a workspace can be made of (so the rest,
/// such as the CLI's caches, is not even read); all of them when none is, so the page can say
/// what they are.
fn dataset_files(files: Vec<web_sys::File>) -> Vec<web_sys::File> {
    let wanted: Vec<web_sys::File> = files
        .iter()
        .filter(|f| {
            let path = opened_name(f);
            dataset_file(&path) || WorkspaceFile::parse(&path).is_some()
        })
        .cloned()
        .collect();
    if wanted.is_empty() {
        files
    } else {
        wanted
    }
}

#[component]
pub fn OpenData() -> impl IntoView {
    let set_query = use_set_query();
    let choice = choice_from_query();
    let (lenient, set_lenient) = signal(false);
    let (busy, set_busy) = signal(false);
    // The share of the files' bytes the worker has checked; None while the page reads them.
    let (done, set_done) = signal(None::<f64>);
    let (status, set_status) = signal(None::<AppResult<String>>);
    let opened = use_context::<OpenedData>();
    let runs = StoredValue::new(0u64);
    let reload = move || {
        if let Some(o) = opened {
            o.0.update(|n| *n += 1);
        }
    };
    // The same for the file input, the folder picker and a drop.
    let open = move |files: Vec<web_sys::File>| {
        let wanted = link_fingerprint(choice.get_untracked());
        let set_query = set_query.clone();
        // Only the latest opening may show its result (an earlier, slower one is dropped).
        runs.update_value(|n| *n += 1);
        let run = runs.get_value();
        set_busy.set(true);
        set_done.set(None);
        set_status.set(Some(Ok(format!(
            "Reading and checking {} file(s) in the worker…",
            files.len()
        ))));
        wasm_bindgen_futures::spawn_local(async move {
            let progress = move |p| {
                if runs.get_value() == run {
                    set_done.set(Some(p));
                }
            };
            let result = open_files(files, lenient.get_untracked(), progress).await;
            if runs.get_value() != run {
                return;
            }
            set_busy.set(false);
            match result {
                Ok((o, workspace)) => {
                    let fp = o.fingerprint.clone();
                    set_status.set(Some(Ok(opened_note(&o, &workspace, &fp, wanted))));
                    reload();
                    set_query(&[
                        ("data", Some("local".into())),
                        ("fp", Some(fp)),
                        ("user", None),
                        ("item", None),
                    ]);
                }
                Err(e) => set_status.set(Some(Err(e))),
            }
        });
    };
    let on_drop = {
        let open = open.clone();
        move |ev: web_sys::DragEvent| {
            ev.prevent_default();
            let files = dropped_files(&ev);
            if !files.is_empty() {
                open(files);
            }
        }
    };
    let on_files = {
        let open = open.clone();
        move |ev: web_sys::Event| open(chosen_files(&ev))
    };
    let on_folder = move |ev: web_sys::Event| open(dataset_files(chosen_files(&ev)));
    view! {
        <div class="open-data" id="drop-zone" on:dragover=|ev: web_sys::DragEvent| ev.prevent_default() on:drop=on_drop>
            <label>"Open data "<input type="file" multiple id="open-data" on:change=on_files/></label>
            <label>"or a folder "<input type="file" id="open-folder" prop:webkitdirectory=true on:change=on_folder/></label>
            <label class="check"><input type="checkbox" id="open-lenient" on:change=move |ev| set_lenient.set(event_target_checked(&ev))/>"skip bad rows"</label>
            <Show when=move || busy.get()>
                // One element whose value changes: no node is made per message.
                <span class="open-progress">
                    <progress id="open-progress" max="1" prop:value=move || done.get().unwrap_or(0.0)></progress>
                    " "{move || done.get().map_or("reading the files…".into(), open_stage)}" "
                </span>
                <button id="open-cancel" on:click=move |_| worker::cancel()>"Cancel"</button>
            </Show>
            <span class="muted">" or drop them here: interactions.csv (+ items.csv) or RecBole .inter (+ .item, .kg, .link); nothing leaves this browser."</span>
            <ErrorBoundary fallback=errors_view>
                {move || status.get().map(|r| r.map(|m| view! { <pre class="notice" id="open-status">{m}</pre> }))}
            </ErrorBoundary>
        </div>
    }
}
