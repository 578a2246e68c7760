//! The ReaSeq pipeline as this build carries it: agents → knowledge → semantic IDs → reasoner →
//! ranker, each stage with its figures, where it ran and how long it took, read from the
//! manifests the CLI wrote next to the bundles.

use leptos::prelude::*;
use reaseq_core::artifact::from_json;
use reaseq_core::bundle::Manifest;
use reaseq_core::experiment::ExperimentResults;
use reaseq_core::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use reaseq_core::layout::file;
use reaseq_core::ranker::Variant;
use reaseq_core::reasoner::ReasonerConfig;

use crate::components::errors_view;
use crate::error::{AppError, AppResult};
use crate::loading::{fetch_optional, Choice};

/// One stage: its name, what it made, where it ran and how long it took.
#[derive(Clone, Debug, PartialEq)]
struct Stage {
    name: &'static str,
    figures: String,
    ran: String,
    took: String,
}

/// A typed file of the build, when present.
async fn optional<T>(url: &str, read: impl Fn(&[u8]) -> AppResult<T>) -> AppResult<Option<T>> {
    fetch_optional(url).await?.map(|b| read(&b)).transpose()
}

fn seconds(s: Option<f64>) -> String {
    s.map_or("not recorded".into(), |s| format!("{s:.0} s"))
}

async fn stages(choice: Choice) -> AppResult<Vec<Stage>> {
    let synthetic = matches!(choice, Choice::Synthetic(_));
    let reasoner_dir = crate::loading::reasoner::asset_dir(&choice);
    let ranker_dir = crate::loading::experiment::asset_dir(&choice);
    let ids_url = format!("/{reasoner_dir}/{}", file::SEMANTIC_IDS);
    let ids: Option<SemanticIds> = optional(&ids_url, |b| {
        Ok(from_json::<SemanticIdFile>(&ids_url, b)?.ids)
    })
    .await?;
    let manifest_url = format!("/{reasoner_dir}/{}.json", file::REASONER);
    let reasoner: Option<Manifest> = optional(&manifest_url, |b| {
        serde_json::from_slice(b).map_err(|e| AppError::File {
            file: manifest_url.clone(),
            reason: e.to_string(),
        })
    })
    .await?;
    let results_url = format!("/{ranker_dir}/{}", file::RESULTS);
    let results: Option<ExperimentResults> =
        optional(&results_url, |b| Ok(from_json(&results_url, b)?)).await?;
    let absent = match choice {
        Choice::Local { .. } => "not among the opened files (a workspace folder brings it)",
        _ => "not in this build",
    };
    let missing = || Stage {
        name: "",
        figures: absent.into(),
        ran: "—".into(),
        took: "—".into(),
    };
    let mut out = vec![Stage {
        name: "agents → knowledge",
        figures: if synthetic {
            "the synthetic world's items: catalog and graph agents write a card per item, embedded with MiniLM and fused with the world's knowledge graph (where its latent genres are planted), as on a dataset".into()
        } else {
            "catalog and graph agents write a knowledge card per item; the critic drops what it cannot support; cards open in the Knowledge view".into()
        },
        ran: if synthetic {
            "native CLI (reaseq experiment builds the world's knowledge; the Knowledge view rebuilds the cards in this page)".into()
        } else {
            "native CLI (reaseq knowledge build); the Knowledge view rebuilds the cards in this page (WebAssembly)".into()
        },
        took: "see the Knowledge view's timing".into(),
    }];
    out.push(match &ids {
        Some(ids) => {
            let levels = ids.codes.first().map_or(0, Vec::len);
            let widths: Vec<String> = (0..levels.saturating_sub(1))
                .map(|l| (ids.codes.iter().map(|c| c[l]).max().unwrap_or(0) + 1).to_string())
                .collect();
            let collided = ids.codes.iter().filter(|c| c.last().is_some_and(|&x| x > 0)).count();
            Stage {
                name: "semantic IDs",
                figures: format!(
                    "{} items, codebooks {} + a collision index; {:.1}% of items share their codes with an earlier item",
                    ids.codes.len(),
                    widths.join(" × "),
                    100.0 * collided as f64 / ids.codes.len().max(1) as f64
                ),
                ran: "native CLI (residual k-means)".into(),
                took: "not recorded".into(),
            }
        }
        None => Stage { name: "semantic IDs", ..missing() },
    });
    out.push(match &reasoner {
        Some(m) => reasoner_stage(m)?,
        None => Stage {
            name: "diffusion reasoner (GBR)",
            ..missing()
        },
    });
    out.push(match &results {
        Some(r) => ranker_stage(r),
        None => Stage {
            name: "ranker (Base, +REP, +GBR, ReaSeq)",
            ..missing()
        },
    });
    Ok(out)
}

fn reasoner_stage(m: &Manifest) -> AppResult<Stage> {
    let c: ReasonerConfig =
        serde_json::from_value(m.config.clone()).map_err(|e| AppError::File {
            file: "the reasoner's manifest".into(),
            reason: e.to_string(),
        })?;
    let params: usize = m
        .tensors
        .iter()
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    let recall = m
        .metrics
        .iter()
        .find_map(|(k, v)| Some((k.strip_prefix("valid_recall_at_")?, v)))
        .map(|(k, v)| format!(", validation Recall@{k} {v:.3}"))
        .unwrap_or_default();
    let folds = m.metrics.get("folds").map_or("?".into(), |f| f.to_string());
    Ok(Stage {
        name: "diffusion reasoner (GBR)",
        figures: format!(
            "{params} parameters ({} layers × {} wide){recall}; cross-fitted over {folds} user folds",
            c.layers, c.dim
        ),
        ran: "trained natively with candle (CPU); inference in this page, WebAssembly".into(),
        took: seconds(m.metrics.get("train_seconds").copied()),
    })
}

fn ranker_stage(r: &ExperimentResults) -> Stage {
    let best = Variant::ALL
        .iter()
        .filter_map(|&v| r.variant(v).map(|x| (v, x.gauc)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    Stage {
        name: "ranker (Base, +REP, +GBR, ReaSeq)",
        figures: format!(
            "4 variants × {} seeds on {} test impressions; best GAUC {}",
            r.seeds,
            r.impressions.test,
            best.map_or("—".into(), |(v, g)| format!("{g:.4} ({})", v.name()))
        ),
        ran: "trained natively with candle (CPU); rescored in this page by Compare".into(),
        took: format!(
            "{} training, {} in all",
            seconds(Some(r.train_seconds)),
            seconds(Some(r.seconds))
        ),
    }
}

/// The pipeline card of the Overview.
#[component]
pub fn Pipeline(#[prop(into)] choice: Signal<Choice>) -> impl IntoView {
    let stages = LocalResource::new(move || stages(choice.get()));
    view! {
        <section class="card" id="pipeline">
            <h2>"Pipeline"</h2>
            <ErrorBoundary fallback=errors_view>
                {move || match stages.get() {
                    None => Ok(view! { <p class="muted">"Reading the manifests…"</p> }.into_any()),
                    Some(r) => r.map(|s| view! {
                        <table class="figures">
                            <tr><th>"stage"</th><th>"what it made"</th><th>"where it ran"</th><th>"time"</th></tr>
                            {s.into_iter().map(|st| view! {
                                <tr data-stage=st.name><td>{st.name}</td><td>{st.figures}</td><td>{st.ran}</td><td>{st.took}</td></tr>
                            }).collect_view()}
                        </table>
                    }.into_any()),
                }}
            </ErrorBoundary>
        </section>
    }
}
