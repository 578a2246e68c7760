//! The ReaSeq pipeline as this build carries it: agents → knowledge → semantic IDs → reasoner →
//! ranker, each stage with its figures, where it ran and how long it took, read from the
//! manifests the CLI wrote next to the bundles.

use leptos::prelude::*;
use reaseq_core::knowledge::semantic_id::SemanticIds;
use serde_json::Value;

use crate::source::{fetch_optional, Choice};

/// One stage: its name, what it made, where it ran and how long it took.
#[derive(Clone, Debug, PartialEq)]
struct Stage {
    name: &'static str,
    figures: String,
    ran: String,
    took: String,
}

async fn json(url: &str) -> Result<Option<Value>, String> {
    match fetch_optional(url).await? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| format!("{url}: {e}")),
    }
}

fn seconds(v: &Value) -> String {
    v.as_f64()
        .map_or("not recorded".into(), |s| format!("{s:.0} s"))
}

async fn stages(choice: Choice) -> Result<Vec<Stage>, String> {
    let synthetic = matches!(choice, Choice::Synthetic(_));
    let reasoner_dir = crate::pages::reasoner::asset_dir(&choice);
    let ranker_dir = crate::pages::compare::asset_dir(&choice);
    let ids: Option<SemanticIds> =
        match fetch_optional(&format!("/{reasoner_dir}/semantic_ids.json")).await? {
            Some(b) => {
                Some(serde_json::from_slice(&b).map_err(|e| format!("semantic_ids.json: {e}"))?)
            }
            None => None,
        };
    let reasoner = json(&format!("/{reasoner_dir}/reasoner.json")).await?;
    let results = json(&format!("/{ranker_dir}/results.json")).await?;
    let missing = || Stage {
        name: "",
        figures: "not in this build".into(),
        ran: "—".into(),
        took: "—".into(),
    };
    let mut out = vec![Stage {
        name: "agents → knowledge",
        figures: if synthetic {
            "the synthetic world's items, embedded from its knowledge graph, where its latent genres are planted".into()
        } else {
            "catalog and graph agents write a knowledge card per item; the critic drops what it cannot support; cards open in the Knowledge view".into()
        },
        ran: if synthetic {
            "native CLI (graph embedding)".into()
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
        Some(m) => {
            let params: u64 = m["tensors"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .map(|x| {
                            x["shape"].as_array().map_or(0, |s| s.iter().filter_map(Value::as_u64).product())
                        })
                        .sum()
                })
                .unwrap_or(0);
            let c = &m["config"];
            let recall = m["metrics"]
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.starts_with("valid_recall_at_")))
                .map(|(k, v)| format!(", validation Recall@{} {:.3}", k.trim_start_matches("valid_recall_at_"), v.as_f64().unwrap_or(f64::NAN)))
                .unwrap_or_default();
            Stage {
                name: "diffusion reasoner (GBR)",
                figures: format!(
                    "{params} parameters ({} layers × {} wide){recall}; cross-fitted over {} user folds",
                    c["layers"], c["dim"], m["metrics"]["folds"].as_f64().map_or("?".into(), |f| f.to_string())
                ),
                ran: "trained natively with candle (CPU); inference in this page, WebAssembly".into(),
                took: seconds(&m["metrics"]["train_seconds"]),
            }
        }
        None => Stage { name: "diffusion reasoner (GBR)", ..missing() },
    });
    out.push(match &results {
        Some(r) => {
            let best = ["Base", "+REP", "+GBR", "ReaSeq"]
                .iter()
                .filter_map(|v| r["variants"][*v]["gauc"].as_f64().map(|g| (*v, g)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            Stage {
                name: "ranker (Base, +REP, +GBR, ReaSeq)",
                figures: format!(
                    "4 variants × {} seeds on {} test impressions; best GAUC {}",
                    r["seeds"],
                    r["impressions"]["test"]
                        .as_u64()
                        .map_or_else(|| r["impressions"].to_string(), |n| n.to_string()),
                    best.map_or("—".into(), |(v, g)| format!("{g:.4} ({v})"))
                ),
                ran: "trained natively with candle (CPU); rescored in this page by Compare".into(),
                took: format!(
                    "{} training, {} in all",
                    seconds(&r["train_seconds"]),
                    seconds(&r["seconds"])
                ),
            }
        }
        None => Stage {
            name: "ranker (Base, +REP, +GBR, ReaSeq)",
            ..missing()
        },
    });
    Ok(out)
}

/// The pipeline card of the Overview.
#[component]
pub fn Pipeline(#[prop(into)] choice: Signal<Choice>) -> impl IntoView {
    let stages = LocalResource::new(move || stages(choice.get()));
    view! {
        <section class="card" id="pipeline">
            <h2>"Pipeline"</h2>
            {move || match stages.get() {
                None => view! { <p class="muted">"Reading the manifests…"</p> }.into_any(),
                Some(Err(e)) => view! { <pre class="error" role="alert">{e}</pre> }.into_any(),
                Some(Ok(s)) => view! {
                    <table class="figures">
                        <tr><th>"stage"</th><th>"what it made"</th><th>"where it ran"</th><th>"time"</th></tr>
                        {s.into_iter().map(|st| view! {
                            <tr data-stage=st.name><td>{st.name}</td><td>{st.figures}</td><td>{st.ran}</td><td>{st.took}</td></tr>
                        }).collect_view()}
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
