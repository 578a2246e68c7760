//! The knowledge pipeline as library calls. Agents write every item's card ([`run_agents`]); a
//! text encoder (natively the MiniLM teacher) embeds the card texts, the graph embedding joins
//! them into knowledge vectors, residual quantisation gives the semantic IDs, PCA the compact
//! REP vectors, and the student encoder is distilled to reproduce those from text alone
//! ([`build_vectors`]). `reaseq knowledge build` calls the two and writes what they return (the
//! cards first, so they are kept when the teacher cannot be fetched); [`build_knowledge`] runs
//! both. The browser's Knowledge view calls [`page_knowledge`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::progress::Stopwatch;

use super::agent::{build_cards, Agent};
use super::card::KnowledgeCard;
use super::catalog::CatalogAgent;
use super::critic::Critic;
use super::graph::GraphAgent;
use super::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use super::llm::{llm_agents, LlmSettings, LlmSetup};
use super::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use super::student::{Agreement, DistillConfig, StudentConfig};
use super::vectors::GRAPH_WEIGHT;

/// An agent that describes items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// What the item file says (title, year, era, genres, description).
    Catalog,
    /// The item's knowledge-graph relations.
    Graph,
    /// Three LLM agents: audience, themes and related interests.
    Llm,
}

impl AgentKind {
    /// A comma-separated list: `catalog,graph,llm`.
    pub fn parse_list(list: &str) -> Result<Vec<Self>> {
        list.split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| match a {
                "catalog" => Ok(Self::Catalog),
                "graph" => Ok(Self::Graph),
                "llm" => Ok(Self::Llm),
                other => Err(Error::Config(format!(
                    "unknown agent '{other}' (available: catalog, graph, llm)"
                ))),
            })
            .collect()
    }
}

/// The text encoder of the knowledge vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncoderKind {
    /// The teacher, all-MiniLM-L6-v2 (native, feature `teacher`).
    Minilm,
    /// None: cards only.
    None,
}

impl EncoderKind {
    /// The model's name as a build records it (`VectorsSummary::encoder`).
    pub const fn model_name(self) -> &'static str {
        match self {
            Self::Minilm => "all-MiniLM-L6-v2",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "minilm" => Ok(Self::Minilm),
            "none" => Ok(Self::None),
            other => Err(Error::Config(format!(
                "unknown encoder '{other}' (available: minilm, none)"
            ))),
        }
    }
}

/// Everything that shapes a knowledge build.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeBuildConfig {
    /// The agents, in the order they run.
    pub agents: Vec<AgentKind>,
    /// How the LLM agents reach a model; needed when `agents` has [`AgentKind::Llm`].
    pub llm: Option<LlmSettings>,
    pub encoder: EncoderKind,
    pub graph: GraphEmbeddingConfig,
    /// Weight of the graph part of the fused knowledge vector.
    pub graph_weight: f32,
    /// The semantic IDs' residual quantisation (its `seed` is `self.seed`).
    pub semantic_ids: RqConfig,
    /// The student; its `dim` is also the size of the REP vectors it learns.
    pub student: StudentConfig,
    /// The student's distillation (its `seed` is `self.seed`).
    pub distill: DistillConfig,
    /// Seeds the semantic IDs' k-means and the student's distillation.
    pub seed: u64,
}

impl KnowledgeBuildConfig {
    /// What `reaseq knowledge build` runs without flags: the catalog and graph agents, MiniLM,
    /// 3 levels of 32 codes, a 48-dimensional student, seed 0.
    pub fn defaults() -> Self {
        Self {
            agents: vec![AgentKind::Catalog, AgentKind::Graph],
            llm: None,
            encoder: EncoderKind::Minilm,
            graph: GraphEmbeddingConfig::default(),
            graph_weight: GRAPH_WEIGHT,
            semantic_ids: RqConfig::default(),
            student: StudentConfig::default(),
            distill: DistillConfig::default(),
            seed: 0,
        }
    }

    /// A synthetic world's build, which the experiment makes: the defaults with a student of
    /// 2,048 buckets (a few hundred template-made cards need far fewer than real titles).
    pub fn for_world() -> Self {
        let d = Self::defaults();
        Self {
            student: StudentConfig {
                buckets: 2048,
                ..d.student
            },
            ..d
        }
    }

    /// The semantic IDs' quantisation, with the build's seed.
    pub fn semantic_id_config(&self) -> RqConfig {
        RqConfig {
            seed: self.seed,
            ..self.semantic_ids
        }
    }

    /// The student's distillation, with the build's seed.
    pub fn distill_config(&self) -> DistillConfig {
        DistillConfig {
            seed: self.seed,
            ..self.distill
        }
    }
}

/// The configured agents, in order. The LLM agents need `llm` (their caches and backend;
/// native); the catalog and graph agents run anywhere.
pub fn make_agents(
    cfg: &KnowledgeBuildConfig,
    llm: Option<&LlmSetup<'_>>,
) -> Result<Vec<Box<dyn Agent>>> {
    let mut agents: Vec<Box<dyn Agent>> = Vec::new();
    for kind in &cfg.agents {
        match kind {
            AgentKind::Catalog => agents.push(Box::new(CatalogAgent)),
            AgentKind::Graph => agents.push(Box::new(GraphAgent)),
            AgentKind::Llm => {
                let (Some(settings), Some(setup)) = (&cfg.llm, llm) else {
                    return Err(Error::Config(
                        "the llm agent needs LLM settings and a place for its answers".into(),
                    ));
                };
                agents.extend(llm_agents(settings, setup)?);
            }
        }
    }
    Ok(agents)
}

/// `cards.json`: every item's card, in item order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeCards {
    pub format_version: u32,
    pub cards: Vec<KnowledgeCard>,
}

impl Artifact for KnowledgeCards {
    const KIND: &'static str = "knowledge cards";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq knowledge build";
}

impl KnowledgeCards {
    pub fn new(cards: Vec<KnowledgeCard>) -> Self {
        Self {
            format_version: Self::FORMAT_VERSION,
            cards,
        }
    }

    /// The card of the item with this id.
    pub fn card(&self, item_id: &str) -> Option<&KnowledgeCard> {
        self.cards.iter().find(|c| c.item_id == item_id)
    }

    /// Each card's canonical text, what the text encoders read.
    pub fn texts(&self) -> Vec<String> {
        self.cards.iter().map(KnowledgeCard::text).collect()
    }
}

/// What the agents wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardStats {
    pub cards: usize,
    /// Facets of each name over all cards (one per item that has it).
    pub facets: BTreeMap<String, usize>,
    /// Claims the critic dropped.
    pub dropped: usize,
    pub seconds: f64,
}

/// Runs the agents over every item; the critic checks their claims.
pub fn run_agents(
    ds: &Dataset,
    agents: &mut [Box<dyn Agent>],
) -> Result<(KnowledgeCards, CardStats)> {
    let t = Stopwatch::start();
    let cards = build_cards(ds, agents, &Critic)?;
    let seconds = t.seconds();
    let mut facets = BTreeMap::new();
    for f in cards.iter().flat_map(|c| &c.facets) {
        *facets.entry(f.name.clone()).or_default() += 1;
    }
    let stats = CardStats {
        cards: cards.len(),
        facets,
        dropped: cards.iter().map(|c| c.dropped.len()).sum(),
        seconds,
    };
    Ok((KnowledgeCards::new(cards), stats))
}

/// The semantic IDs' shape and quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemanticIdSummary {
    pub levels: usize,
    pub codebook_size: usize,
    /// Per level, the share of codes some item uses.
    pub codebook_use: Vec<f64>,
    /// Per level, the mean squared residual left after it.
    pub residual_mse: Vec<f64>,
    /// Share of items whose level codes equal another item's.
    pub collision_rate: f64,
    /// Most items sharing one code tuple.
    pub max_collisions: usize,
}

impl From<&SemanticIds> for SemanticIdSummary {
    fn from(ids: &SemanticIds) -> Self {
        Self {
            levels: ids.config.levels,
            codebook_size: ids.config.codebook_size,
            codebook_use: ids.stats.codebook_use.clone(),
            residual_mse: ids.stats.residual_mse.clone(),
            collision_rate: ids.stats.collision_rate,
            max_collisions: ids.stats.max_collisions,
        }
    }
}

/// The student and how well it matches its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentSummary {
    pub parameters: usize,
    pub agreement: Agreement,
    /// Whether the student is one distilled before to these very targets (the shipped one,
    /// [`DistilledStudent`]) rather than distilled by this build.
    #[serde(default)]
    pub reused: bool,
}

/// A student distilled before — the shipped one — with the REP targets it learnt and how well
/// it matched them. A build whose own targets are these reuses it instead of distilling.
pub struct DistilledStudent {
    pub rep: Vec<Vec<f32>>,
    pub student: super::student::StudentEncoder,
    pub agreement: Agreement,
}

/// How far apart two builds' REP targets may be and still count as the same: float sums may
/// round differently between machines; a change of data or encoder moves them far more.
pub const REP_TOLERANCE: f32 = 1e-4;

impl DistilledStudent {
    /// The largest difference between its targets and `rep` (infinite when the shapes differ).
    pub fn distance(&self, rep: &[Vec<f32>]) -> f32 {
        let same_shape = self.rep.len() == rep.len()
            && self.rep.iter().zip(rep).all(|(a, b)| a.len() == b.len());
        if !same_shape {
            return f32::INFINITY;
        }
        let diffs = self.rep.iter().zip(rep).flat_map(|(a, b)| a.iter().zip(b));
        diffs.map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }
}

/// What the vector stage made, with its figures and timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorsSummary {
    /// The text encoder, e.g. `all-MiniLM-L6-v2`.
    pub encoder: String,
    pub items: usize,
    pub knowledge_dims: usize,
    pub rep_dims: usize,
    pub semantic_ids: SemanticIdSummary,
    pub student: StudentSummary,
    pub teacher_seconds: f64,
    /// `None` when the dataset has no knowledge graph.
    pub graph_seconds: Option<f64>,
    pub semantic_id_seconds: f64,
    /// PCA and distillation.
    pub student_seconds: f64,
}

/// `build.json`: what a knowledge build made, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBuild {
    pub format_version: u32,
    pub dataset: String,
    /// `Dataset::fingerprint`, in hex.
    pub dataset_fingerprint: String,
    pub agents: Vec<AgentKind>,
    pub encoder: EncoderKind,
    pub seed: u64,
    pub cards: CardStats,
    /// `None` when the build made cards only.
    pub vectors: Option<VectorsSummary>,
}

impl Artifact for KnowledgeBuild {
    const KIND: &'static str = "knowledge build summary";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq knowledge build";
}

impl KnowledgeBuild {
    /// Whether it was made for `ds` (the same fingerprint).
    pub fn is_for(&self, ds: &Dataset) -> bool {
        self.dataset_fingerprint == format!("{:016x}", ds.fingerprint())
    }

    pub fn new(
        ds: &Dataset,
        cfg: &KnowledgeBuildConfig,
        cards: CardStats,
        vectors: Option<VectorsSummary>,
    ) -> Self {
        Self {
            format_version: Self::FORMAT_VERSION,
            dataset: ds.name.clone(),
            dataset_fingerprint: format!("{:016x}", ds.fingerprint()),
            agents: cfg.agents.clone(),
            encoder: cfg.encoder,
            seed: cfg.seed,
            cards,
            vectors,
        }
    }
}

#[cfg(any(feature = "teacher", feature = "train"))]
pub use native::{build_knowledge, build_vectors, KnowledgeOutput, KnowledgeVectors};

/// The vector stage: its distillation trains with candle.
#[cfg(any(feature = "teacher", feature = "train"))]
mod native {
    use super::*;
    use crate::artifact::to_compact_json;
    use crate::knowledge::distill::distill;
    use crate::knowledge::semantic_id::SemanticIdFile;
    use crate::knowledge::student::StudentEncoder;
    use crate::knowledge::vectors::{fuse, matrices_to_safetensors, pca, tensor, TextEncoder};
    use crate::layout::{bundle_files, file};
    use crate::progress::Progress;

    /// Everything the vector stage makes, one row per item.
    pub struct KnowledgeVectors {
        /// The text encoder's vector of each card.
        pub text: Vec<Vec<f32>>,
        /// The graph embedding, when the dataset has a knowledge graph.
        pub graph: Option<Vec<Vec<f32>>>,
        /// Text and graph fused.
        pub knowledge: Vec<Vec<f32>>,
        /// The knowledge vectors' top principal directions: the student's targets.
        pub rep: Vec<Vec<f32>>,
        pub semantic_ids: SemanticIds,
        pub student: StudentEncoder,
        pub summary: VectorsSummary,
    }

    /// Embeds the cards, fuses them with the graph embedding, quantises the result into
    /// semantic IDs, and distils the student to its PCA (REP) projection — or reuses
    /// `distilled` when it learnt these very targets (within [`REP_TOLERANCE`]).
    pub fn build_vectors(
        ds: &Dataset,
        cards: &KnowledgeCards,
        encoder: &dyn TextEncoder,
        cfg: &KnowledgeBuildConfig,
        distilled: Option<DistilledStudent>,
        progress: &dyn Progress,
    ) -> Result<KnowledgeVectors> {
        let texts = cards.texts();
        let t = Stopwatch::start();
        let text = encoder.embed(&texts)?;
        if text.len() != texts.len() {
            return Err(Error::Model(format!(
                "{}: {} vectors for {} texts",
                encoder.name(),
                text.len(),
                texts.len()
            )));
        }
        let teacher_seconds = t.seconds();
        progress.checkpoint()?;
        let t = Stopwatch::start();
        let graph = match ds.graph {
            Some(_) => Some(graph_embedding(ds, &cfg.graph)?),
            None => None,
        };
        let graph_seconds = graph.as_ref().map(|_| t.seconds());
        let knowledge = fuse(&text, graph.as_deref(), cfg.graph_weight);
        progress.message("semantic IDs");
        let t = Stopwatch::start();
        let semantic_ids = residual_quantise(&knowledge, &cfg.semantic_id_config())?;
        let semantic_id_seconds = t.seconds();
        progress.checkpoint()?;
        let t = Stopwatch::start();
        let rep = pca(&knowledge, cfg.student.dim);
        let (student, agreement, reused) = student_for(&texts, &rep, cfg, distilled, progress)?;
        let summary = VectorsSummary {
            encoder: encoder.name().to_owned(),
            items: texts.len(),
            knowledge_dims: knowledge.first().map_or(0, Vec::len),
            rep_dims: rep.first().map_or(0, Vec::len),
            semantic_ids: SemanticIdSummary::from(&semantic_ids),
            student: StudentSummary {
                parameters: cfg.student.parameters(),
                agreement,
                reused,
            },
            teacher_seconds,
            graph_seconds,
            semantic_id_seconds,
            student_seconds: t.seconds(),
        };
        Ok(KnowledgeVectors {
            text,
            graph,
            knowledge,
            rep,
            semantic_ids,
            student,
            summary,
        })
    }

    /// The student of `rep`: `distilled` when it learnt these very targets (within
    /// [`REP_TOLERANCE`]), else one distilled here; and whether it was reused.
    fn student_for(
        texts: &[String],
        rep: &[Vec<f32>],
        cfg: &KnowledgeBuildConfig,
        distilled: Option<DistilledStudent>,
        progress: &dyn Progress,
    ) -> Result<(StudentEncoder, Agreement, bool)> {
        let distance = distilled.as_ref().map(|d| d.distance(rep));
        Ok(match (distilled, distance) {
            (Some(d), Some(far)) if far <= REP_TOLERANCE => {
                progress.message(&format!(
                "the shipped student learnt these REP targets (largest difference {far:.1e}): reused"
            ));
                (d.student, d.agreement, true)
            }
            _ => {
                if let Some(far) = distance {
                    progress.message(&format!(
                    "the shipped student learnt other REP targets (largest difference {far:.1e}): distilling anew"
                ));
                }
                progress.message("distilling the student encoder");
                let (student, agreement) = distill(texts, rep, cfg.student, &cfg.distill_config())?;
                (student, agreement, false)
            }
        })
    }

    impl KnowledgeVectors {
        /// The files of the knowledge directory (`layout::knowledge_dir`), as (file name,
        /// bytes) in the order they are written: the vectors, the student's bundle, the REP
        /// vectors, the semantic IDs.
        pub fn files(&self, ds: &Dataset) -> Result<Vec<(String, Vec<u8>)>> {
            let mut matrices: Vec<(&str, &[Vec<f32>])> = vec![(tensor::TEXT, &self.text)];
            if let Some(g) = &self.graph {
                matrices.push((tensor::GRAPH, g));
            }
            matrices.push((tensor::KNOWLEDGE, &self.knowledge));
            let a = &self.summary.student.agreement;
            let metrics = BTreeMap::from([
                ("heldout_cosine".to_owned(), a.heldout_cosine),
                ("train_cosine".to_owned(), a.train_cosine),
                ("heldout_overlap_at_10".to_owned(), a.heldout_overlap_at_10),
            ]);
            let (manifest, weights) = self.student.to_bundle(Some(ds.fingerprint()), metrics)?;
            let [mf, wf] = bundle_files(file::STUDENT);
            let ids = to_compact_json(&SemanticIdFile::new(self.semantic_ids.clone()))?;
            Ok(vec![
                (file::VECTORS.into(), matrices_to_safetensors(&matrices)?),
                (mf, manifest),
                (wf, weights),
                (
                    file::REP.into(),
                    matrices_to_safetensors(&[(tensor::REP, &self.rep)])?,
                ),
                (file::SEMANTIC_IDS.into(), ids),
            ])
        }
    }

    /// A whole build in memory.
    pub struct KnowledgeOutput {
        pub cards: KnowledgeCards,
        /// `None` with [`EncoderKind::None`].
        pub vectors: Option<KnowledgeVectors>,
        pub summary: KnowledgeBuild,
    }

    /// The cards and, unless `cfg.encoder` is [`EncoderKind::None`], the vectors made with
    /// `encoder`.
    pub fn build_knowledge(
        ds: &Dataset,
        cfg: &KnowledgeBuildConfig,
        agents: &mut [Box<dyn Agent>],
        encoder: Option<&dyn TextEncoder>,
        progress: &dyn Progress,
    ) -> Result<KnowledgeOutput> {
        let (cards, stats) = run_agents(ds, agents)?;
        progress.checkpoint()?;
        let vectors = match (cfg.encoder, encoder) {
            (EncoderKind::None, _) => None,
            (_, Some(encoder)) => Some(build_vectors(ds, &cards, encoder, cfg, None, progress)?),
            (kind, None) => {
                return Err(Error::Config(format!("the {kind:?} encoder was not given")))
            }
        };
        let summary =
            KnowledgeBuild::new(ds, cfg, stats, vectors.as_ref().map(|v| v.summary.clone()));
        Ok(KnowledgeOutput {
            cards,
            vectors,
            summary,
        })
    }
}

/// Items a dataset needs before the browser quantises its vectors into semantic IDs.
pub const PAGE_SEMANTIC_ID_ITEMS: usize = 64;

/// What the CLI made for a dataset, as far as the browser's build carries it: the knowledge
/// build's cards and fused vectors, and the semantic IDs the reasoner speaks in.
#[derive(Debug, Clone, Default)]
pub struct MadeKnowledge {
    pub cards: Option<KnowledgeCards>,
    pub vectors: Option<Vec<Vec<f32>>>,
    pub semantic_ids: Option<SemanticIds>,
}

/// What the browser's Knowledge view shows: cards, the knowledge space (`None` without a
/// usable graph) and semantic IDs (`None` under [`PAGE_SEMANTIC_ID_ITEMS`] items). Neighbours
/// then come from [`super::neighbours::item_neighbours`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageKnowledge {
    pub cards: Vec<KnowledgeCard>,
    pub vectors: Option<Vec<Vec<f32>>>,
    pub semantic_ids: Option<SemanticIds>,
    /// Whether each part is the CLI's (else computed here from the catalog and the graph).
    pub made_by_cli: [bool; 3],
}

/// The Knowledge view of `ds`: what the CLI made where the build carries it — so the
/// neighbours are `reaseq knowledge neighbours`' and the codes the reasoner's vocabulary — and
/// otherwise the catalog and graph agents' cards, the graph embedding and its quantisation,
/// computed here. Files that do not fit `ds` are refused.
pub fn page_knowledge(ds: &Dataset, made: MadeKnowledge) -> Result<PageKnowledge> {
    let n = ds.num_items();
    let fits = |what: &str, rows: usize| {
        if rows == n {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "the {what} of {} cover {rows} items, the data has {n}",
                ds.name
            )))
        }
    };
    let made_by_cli = [
        made.cards.is_some(),
        made.vectors.is_some(),
        made.semantic_ids.is_some(),
    ];
    let cards = match made.cards {
        Some(c) => {
            fits("knowledge cards", c.cards.len())?;
            c.cards
        }
        None => {
            let mut agents: Vec<Box<dyn Agent>> =
                vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
            build_cards(ds, &mut agents, &Critic)?
        }
    };
    // A dataset without a usable graph still has cards; it just has no graph space.
    let vectors = match made.vectors {
        Some(v) => {
            fits("knowledge vectors", v.len())?;
            Some(v)
        }
        None => graph_embedding(ds, &GraphEmbeddingConfig::default()).ok(),
    };
    let semantic_ids = match (made.semantic_ids, &vectors) {
        (Some(ids), _) => {
            fits("semantic IDs", ids.codes.len())?;
            Some(ids)
        }
        (None, Some(v)) if v.len() >= PAGE_SEMANTIC_ID_ITEMS => {
            residual_quantise(v, &RqConfig::default()).ok()
        }
        _ => None,
    };
    Ok(PageKnowledge {
        cards,
        vectors,
        semantic_ids,
        made_by_cli,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{from_json, to_json};
    use crate::data::{SyntheticConfig, SyntheticWorld};

    fn world(items: usize) -> SyntheticWorld {
        SyntheticWorld::generate(&SyntheticConfig {
            users: 20,
            items,
            min_events: 5,
            max_events: 20,
            ..SyntheticConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn the_page_shows_what_the_cli_made_and_computes_the_rest() {
        let w = world(120);
        let ds = &w.dataset;
        let own = page_knowledge(ds, MadeKnowledge::default()).unwrap();
        assert_eq!(own.made_by_cli, [false; 3]);
        let ids = own.semantic_ids.clone().unwrap();
        let mut codes = ids.clone();
        codes.codes.reverse();
        let made = MadeKnowledge {
            semantic_ids: Some(codes.clone()),
            ..MadeKnowledge::default()
        };
        let k = page_knowledge(ds, made).unwrap();
        assert_eq!(k.made_by_cli, [false, false, true]);
        assert_eq!(k.semantic_ids, Some(codes));
        assert_eq!((k.cards, k.vectors), (own.cards, own.vectors));
        let short = MadeKnowledge {
            vectors: Some(vec![vec![0.0; 4]; 3]),
            ..MadeKnowledge::default()
        };
        let e = page_knowledge(ds, short).unwrap_err().to_string();
        assert!(e.contains("cover 3 items, the data has 120"), "{e}");
    }

    #[test]
    fn flags_parse_and_the_llm_agent_needs_its_settings() {
        use AgentKind::*;
        assert_eq!(
            AgentKind::parse_list(" catalog, graph,,llm").unwrap(),
            [Catalog, Graph, Llm]
        );
        let e = AgentKind::parse_list("catalog,oracle").unwrap_err();
        assert!(e.to_string().contains("unknown agent 'oracle'"), "{e}");
        assert_eq!(EncoderKind::parse("none").unwrap(), EncoderKind::None);
        assert!(EncoderKind::parse("bert").is_err());
        let cfg = KnowledgeBuildConfig::defaults();
        assert_eq!(make_agents(&cfg, None).unwrap().len(), 2);
        let llm = KnowledgeBuildConfig {
            agents: vec![Catalog, Llm],
            ..cfg
        };
        assert!(make_agents(&llm, None).is_err());
    }

    #[test]
    fn cards_count_their_facets_and_are_read_back_only_in_their_format() {
        let w = world(40);
        let mut agents = make_agents(&KnowledgeBuildConfig::defaults(), None).unwrap();
        let (cards, stats) = run_agents(&w.dataset, &mut agents).unwrap();
        assert_eq!((stats.cards, cards.cards.len()), (40, 40));
        assert_eq!(stats.facets["genres"], 40);
        assert_eq!(stats.dropped, 0);
        let id = &w.dataset.items[7].id;
        assert_eq!(&cards.card(id).unwrap().item_id, id);
        assert!(cards.card("nope").is_none());
        let back: KnowledgeCards = from_json("cards.json", &to_json(&cards).unwrap()).unwrap();
        assert_eq!(back, cards);
        // The bare array an older build wrote.
        let old = serde_json::to_vec(&cards.cards).unwrap();
        let e = from_json::<KnowledgeCards>("cards.json", &old)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no format version"), "{e}");
        assert!(e.contains("`reaseq knowledge build`"), "{e}");
    }

    #[test]
    fn the_browser_gets_cards_graph_vectors_and_semantic_ids_from_enough_items() {
        let k = page_knowledge(&world(80).dataset, MadeKnowledge::default()).unwrap();
        assert_eq!(k.cards.len(), 80);
        let v = k.vectors.unwrap();
        assert_eq!(v.len(), 80);
        assert_eq!(k.semantic_ids.unwrap().codes.len(), 80);
        let small = page_knowledge(&world(40).dataset, MadeKnowledge::default()).unwrap();
        assert!(small.vectors.is_some() && small.semantic_ids.is_none());
    }

    #[cfg(any(feature = "teacher", feature = "train"))]
    mod native {
        use super::*;
        use crate::knowledge::neighbours::item_neighbours;
        use crate::knowledge::semantic_id::SemanticIdFile;
        use crate::knowledge::student::StudentEncoder;
        use crate::knowledge::vectors::{matrix_from_safetensors, tensor, HashedBag};
        use crate::layout::file;
        use crate::progress::Silent;

        fn small() -> KnowledgeBuildConfig {
            KnowledgeBuildConfig {
                student: StudentConfig {
                    buckets: 1024,
                    hidden: 16,
                    dim: 8,
                },
                distill: DistillConfig {
                    steps: 60,
                    ..DistillConfig::default()
                },
                ..KnowledgeBuildConfig::defaults()
            }
        }

        #[test]
        fn a_build_makes_vectors_ids_and_a_student_whose_files_read_back() {
            let w = world(80);
            let ds = &w.dataset;
            let cfg = small();
            let mut agents = make_agents(&cfg, None).unwrap();
            let out = build_knowledge(ds, &cfg, &mut agents, Some(&HashedBag), &Silent).unwrap();
            let v = out.vectors.unwrap();
            // 64 text dimensions and the 32 of the graph embedding.
            assert_eq!(v.summary.knowledge_dims, 96);
            assert_eq!((v.summary.items, v.summary.rep_dims), (80, 8));
            assert_eq!(v.semantic_ids.codes.len(), 80);
            assert_eq!(v.summary.semantic_ids.levels, 3);
            let a = v.summary.student.agreement;
            assert!(
                a.heldout_cosine.is_finite() && a.heldout_items == 8,
                "{a:?}"
            );
            assert_eq!(out.summary.vectors.as_ref(), Some(&v.summary));
            assert_eq!(out.summary.cards.cards, 80);

            let files: BTreeMap<String, Vec<u8>> = v.files(ds).unwrap().into_iter().collect();
            let names: Vec<&str> = files.keys().map(String::as_str).collect();
            assert_eq!(
                names,
                [
                    file::REP,
                    file::SEMANTIC_IDS,
                    "student.json",
                    "student.safetensors",
                    file::VECTORS
                ]
            );
            let read = |f: &str, t: &str| matrix_from_safetensors(f, &files[f], t, 80).unwrap();
            assert_eq!(read(file::VECTORS, tensor::KNOWLEDGE), v.knowledge);
            assert_eq!(read(file::VECTORS, tensor::GRAPH), v.graph.clone().unwrap());
            assert_eq!(read(file::REP, tensor::REP), v.rep);
            let student = StudentEncoder::from_bundle(
                "student",
                &files["student.json"],
                &files["student.safetensors"],
            )
            .unwrap();
            assert_eq!(student, v.student);
            let ids = from_json::<SemanticIdFile>(file::SEMANTIC_IDS, &files[file::SEMANTIC_IDS]);
            assert_eq!(ids.unwrap().ids, v.semantic_ids);
            let nn = item_neighbours(&v.knowledge, 0, 5).unwrap();
            assert!(nn.len() == 5 && nn.iter().all(|&(i, _)| i != 0));

            // Seeded: the same build writes the same bytes.
            let again = build_vectors(ds, &out.cards, &HashedBag, &cfg, None, &Silent).unwrap();
            let again: BTreeMap<String, Vec<u8>> = again.files(ds).unwrap().into_iter().collect();
            assert_eq!(again, files);

            // A student distilled to these targets is reused, with its agreement; one distilled
            // to other targets is not.
            let shipped = |rep: Vec<Vec<f32>>| DistilledStudent {
                rep,
                student: v.student.clone(),
                agreement: v.summary.student.agreement,
            };
            let reused = build_vectors(
                ds,
                &out.cards,
                &HashedBag,
                &cfg,
                Some(shipped(v.rep.clone())),
                &Silent,
            )
            .unwrap();
            assert!(reused.summary.student.reused && !v.summary.student.reused);
            assert_eq!(reused.student, v.student);
            let mut moved = v.rep.clone();
            moved[3][0] += 0.01;
            let m = shipped(moved);
            assert!((m.distance(&v.rep) - 0.01).abs() < 1e-6);
            let anew = build_vectors(ds, &out.cards, &HashedBag, &cfg, Some(m), &Silent).unwrap();
            assert!(!anew.summary.student.reused);
        }

        #[test]
        fn cards_only_need_no_encoder_and_vectors_need_one() {
            let w = world(40);
            let cfg = KnowledgeBuildConfig {
                encoder: EncoderKind::None,
                ..small()
            };
            let mut agents = make_agents(&cfg, None).unwrap();
            let out = build_knowledge(&w.dataset, &cfg, &mut agents, None, &Silent).unwrap();
            assert!(out.vectors.is_none() && out.summary.vectors.is_none());
            assert_eq!(out.summary.encoder, EncoderKind::None);
            let minilm = small();
            let e = build_knowledge(&w.dataset, &minilm, &mut agents, None, &Silent);
            assert!(e.is_err());
        }
    }
}
