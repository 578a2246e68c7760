//! `reaseq knowledge …`: build and inspect the items' knowledge cards.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use reaseq_core::data::{Dataset, Strictness};
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent, KnowledgeCard};

use crate::source::{load, Source};

#[derive(Subcommand)]
pub enum KnowledgeCommand {
    /// Run the agents over every item and write the knowledge cards.
    Build {
        #[command(flatten)]
        source: Source,
        /// Comma-separated agents: catalog, graph.
        #[arg(long, default_value = "catalog,graph")]
        agents: String,
    },
    /// Print one item's card: its canonical text, facets with provenance, and what the critic dropped.
    Show {
        #[command(flatten)]
        source: Source,
        /// The item id as written in the data.
        #[arg(long)]
        item: String,
        #[arg(long)]
        json: bool,
    },
}

/// `{data}/knowledge/{dataset}/cards.json`
fn cards_path(ds: &Dataset) -> PathBuf {
    crate::default_data_dir()
        .join("knowledge")
        .join(&ds.name)
        .join("cards.json")
}

fn agents(list: &str) -> Result<Vec<Box<dyn Agent>>> {
    list.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| -> Result<Box<dyn Agent>> {
            match a {
                "catalog" => Ok(Box::new(CatalogAgent)),
                "graph" => Ok(Box::new(GraphAgent)),
                other => bail!("unknown agent '{other}' (available: catalog, graph)"),
            }
        })
        .collect()
}

fn read_cards(ds: &Dataset) -> Result<Vec<KnowledgeCard>> {
    let path = cards_path(ds);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("{}: run `reaseq knowledge build` first", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not a cards file", path.display()))
}

pub fn run(cmd: KnowledgeCommand) -> Result<ExitCode> {
    match cmd {
        KnowledgeCommand::Build {
            source,
            agents: list,
        } => {
            let ds = load(&source, Strictness::Strict)?.dataset;
            let mut agents = agents(&list)?;
            let t = Instant::now();
            let cards = build_cards(&ds, &mut agents, &Critic)?;
            let secs = t.elapsed().as_secs_f64();
            let path = cards_path(&ds);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, serde_json::to_vec(&cards)?)
                .with_context(|| format!("writing {}", path.display()))?;
            let mut per_facet: std::collections::BTreeMap<&str, usize> = Default::default();
            for c in &cards {
                for f in &c.facets {
                    *per_facet.entry(f.name.as_str()).or_default() += 1;
                }
            }
            let dropped: usize = cards.iter().map(|c| c.dropped.len()).sum();
            println!("{} cards in {:.2}s → {}", cards.len(), secs, path.display());
            for (name, n) in per_facet {
                println!("  {name:<20} {n:>5} items");
            }
            println!("  critic dropped {dropped} claims");
            Ok(ExitCode::SUCCESS)
        }
        KnowledgeCommand::Show { source, item, json } => {
            let ds = load(&source, Strictness::Strict)?.dataset;
            let cards = read_cards(&ds)?;
            let Some(card) = cards.iter().find(|c| c.item_id == item) else {
                bail!("no item '{item}' in {}", cards_path(&ds).display());
            };
            if json {
                println!("{}", serde_json::to_string_pretty(card)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("{}\n", card.text());
            for f in &card.facets {
                let p = &f.provenance;
                let by = match (&p.model, &p.prompt_version) {
                    (Some(m), Some(v)) => format!("{} ({m}, prompt {v})", p.agent),
                    _ => p.agent.clone(),
                };
                println!("{:<20} {}  [{by}]", f.name, f.values.join(", "));
                if let Some(r) = &p.reasoning {
                    println!("{:<20} reasoning: {r}", "");
                }
            }
            for d in &card.dropped {
                println!(
                    "dropped {}: '{}' from {} — {}",
                    d.facet, d.value, d.agent, d.reason
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
