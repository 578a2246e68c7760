//! The ranker's REP input: every item's compact knowledge vector, and where it came from. On
//! every dataset and synthetic world it is the knowledge build's: the PCA of the card texts'
//! teacher vectors fused with the graph embedding, the space the student encoder learns.

use serde::{Deserialize, Serialize};

use super::pipeline::{AgentKind, KnowledgeBuild, KnowledgeBuildConfig};
use crate::hash::Fnv1a;

/// What made the REP vectors, recorded with every experiment's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepSource {
    /// The agents that wrote the cards.
    pub agents: Vec<AgentKind>,
    /// The cards' text encoder, e.g. `all-MiniLM-L6-v2`.
    pub text_encoder: String,
    /// Whether the graph embedding is fused with the text.
    pub graph: bool,
    /// Size of the fused knowledge vectors.
    pub knowledge_dims: usize,
    /// Size of the REP vectors (their principal directions).
    pub dims: usize,
    /// FNV-1a of the vectors' f32 bits, in hex: which vectors exactly (the teacher's floats
    /// may differ between machines). Absent in results made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl RepSource {
    /// The source of `vectors`, a build's REP vectors; `None` when it made cards only.
    pub fn of_build(build: &KnowledgeBuild, vectors: &[Vec<f32>]) -> Option<Self> {
        let v = build.vectors.as_ref()?;
        Some(Self {
            agents: build.agents.clone(),
            text_encoder: v.encoder.clone(),
            graph: v.graph_seconds.is_some(),
            knowledge_dims: v.knowledge_dims,
            dims: v.rep_dims,
            fingerprint: Some(fingerprint(vectors)),
        })
    }

    /// Whether both are vectors of the same kind (agents, encoder, graph, sizes), maybe not
    /// the same floats.
    pub fn same_kind(&self, other: &Self) -> bool {
        Self {
            fingerprint: None,
            ..self.clone()
        } == Self {
            fingerprint: None,
            ..other.clone()
        }
    }

    /// Whether these are what `reaseq knowledge build` makes without flags (the catalog and
    /// graph agents, MiniLM, 48 dimensions): what a dataset's results read before the source
    /// was recorded.
    pub fn is_default_build(&self) -> bool {
        let d = KnowledgeBuildConfig::defaults();
        self.agents == d.agents
            && self.text_encoder == d.encoder.model_name()
            && self.dims == d.student.dim
    }

    /// One line for reports, e.g. "PCA 48 of all-MiniLM-L6-v2 card text (catalog, graph
    /// agents) fused with the graph embedding (416 dims)".
    pub fn describe(&self) -> String {
        let agents: Vec<String> = self
            .agents
            .iter()
            .map(|a| format!("{a:?}").to_lowercase())
            .collect();
        let graph = if self.graph {
            " fused with the graph embedding"
        } else {
            ""
        };
        format!(
            "PCA {} of {} card text ({} agents){graph} ({} dims)",
            self.dims,
            self.text_encoder,
            agents.join(", "),
            self.knowledge_dims
        )
    }
}

#[cfg(all(test, feature = "train"))]
impl RepSource {
    /// Random vectors' stand-in source for unit tests.
    pub(crate) fn for_tests(dims: usize) -> Self {
        Self {
            agents: Vec::new(),
            text_encoder: "random (test)".into(),
            graph: false,
            knowledge_dims: dims,
            dims,
            fingerprint: None,
        }
    }
}

/// FNV-1a over the rows' f32 bits, in hex.
fn fingerprint(vectors: &[Vec<f32>]) -> String {
    let mut h = Fnv1a::new();
    for x in vectors.iter().flatten() {
        h.bytes(&x.to_bits().to_le_bytes());
    }
    format!("{:016x}", h.finish())
}

/// The REP vectors, one per item, with their source.
#[derive(Debug, Clone, PartialEq)]
pub struct RepVectors {
    pub source: RepSource,
    pub vectors: Vec<Vec<f32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_the_encoder_the_agents_and_the_graph() {
        let s = RepSource {
            agents: vec![AgentKind::Catalog, AgentKind::Graph],
            text_encoder: "all-MiniLM-L6-v2".into(),
            graph: true,
            knowledge_dims: 416,
            dims: 48,
            fingerprint: Some(fingerprint(&[vec![0.5, -1.0]])),
        };
        assert_eq!(
            s.describe(),
            "PCA 48 of all-MiniLM-L6-v2 card text (catalog, graph agents) fused with the graph embedding (416 dims)"
        );
        assert!(s.is_default_build());
        let text_only = RepSource {
            graph: false,
            knowledge_dims: 384,
            ..s.clone()
        };
        assert!(!text_only.describe().contains("graph embedding"));
        assert!(!text_only.same_kind(&s));
    }

    #[test]
    fn other_floats_are_the_same_kind_but_not_the_same_vectors() {
        let a = RepSource {
            agents: vec![AgentKind::Catalog],
            text_encoder: "x".into(),
            graph: false,
            knowledge_dims: 2,
            dims: 2,
            fingerprint: Some(fingerprint(&[vec![0.5, -1.0]])),
        };
        let b = RepSource {
            fingerprint: Some(fingerprint(&[vec![0.5, -1.000_000_1]])),
            ..a.clone()
        };
        assert!(a.same_kind(&b) && a != b && !a.is_default_build());
        // The empty matrix is FNV-1a's offset basis.
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
    }
}
