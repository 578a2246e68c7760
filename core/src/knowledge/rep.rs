//! The ranker's REP input: every item's compact knowledge vector, and where it came from. On
//! every dataset and synthetic world it is the knowledge build's: the PCA of the card texts'
//! teacher vectors fused with the graph embedding, the space the student encoder learns.

use serde::{Deserialize, Serialize};

use super::pipeline::{AgentKind, KnowledgeBuild};

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
}

impl RepSource {
    /// The source of a build's REP vectors; `None` when it made cards only.
    pub fn of_build(build: &KnowledgeBuild) -> Option<Self> {
        let v = build.vectors.as_ref()?;
        Some(Self {
            agents: build.agents.clone(),
            text_encoder: v.encoder.clone(),
            graph: v.graph_seconds.is_some(),
            knowledge_dims: v.knowledge_dims,
            dims: v.rep_dims,
        })
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

#[cfg(test)]
impl RepSource {
    /// Random vectors' stand-in source for unit tests.
    pub(crate) fn for_tests(dims: usize) -> Self {
        Self {
            agents: Vec::new(),
            text_encoder: "random (test)".into(),
            graph: false,
            knowledge_dims: dims,
            dims,
        }
    }
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
        };
        assert_eq!(
            s.describe(),
            "PCA 48 of all-MiniLM-L6-v2 card text (catalog, graph agents) fused with the graph embedding (416 dims)"
        );
        let text_only = RepSource {
            graph: false,
            knowledge_dims: 384,
            ..s
        };
        assert!(!text_only.describe().contains("graph embedding"));
    }
}
