//! The knowledge card of one item.

use serde::{Deserialize, Serialize};

/// Who made a claim, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub agent: String,
    /// The model behind an LLM agent; `None` for rule-based agents.
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    /// The agent's chain of thought, kept for inspection.
    pub reasoning: Option<String>,
}

impl Provenance {
    pub fn rule(agent: &str) -> Self {
        Self {
            agent: agent.to_owned(),
            model: None,
            prompt_version: None,
            reasoning: None,
        }
    }
}

/// Whether a facet's values are words (for the text encoder) or entity ids (for the graph
/// embedding only: an id such as `m.04jspq` means nothing to a language model).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacetKind {
    #[default]
    Text,
    Entity,
}

/// One kind of knowledge about an item (`genres`, `era`, `director` …) and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    pub name: String,
    pub values: Vec<String>,
    #[serde(default)]
    pub kind: FacetKind,
    pub provenance: Provenance,
    /// Set when the agent's answer could not be parsed (the critic drops the claim and says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<String>,
}

/// A claim the critic removed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub facet: String,
    pub value: String,
    pub agent: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeCard {
    pub item_id: String,
    pub title: String,
    pub facets: Vec<Facet>,
    pub dropped: Vec<Dropped>,
}

/// Facets in the order the canonical text lists them; others follow by name.
const ORDER: &[&str] = &[
    "genres",
    "era",
    "year",
    "description",
    "audience",
    "themes",
    "mood",
    "related interests",
    "director",
    "writer",
    "actors",
    "producer",
    "language",
    "country",
];

/// At most this many values of one facet go into the text (actor lists run long).
const MAX_TEXT_VALUES: usize = 6;

impl Facet {
    /// Whether the values are opaque graph ids (Freebase's `m.018yhr`), which a page should
    /// count ("32 actors") rather than list.
    pub fn opaque_ids(&self) -> bool {
        let mid = |v: &str| {
            v.split_once('.').is_some_and(|(ns, id)| {
                ns.len() == 1
                    && !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_')
            })
        };
        self.kind == FacetKind::Entity
            && !self.values.is_empty()
            && self.values.iter().all(|v| mid(v))
    }
}

impl KnowledgeCard {
    pub fn facet(&self, name: &str) -> Option<&Facet> {
        self.facets.iter().find(|f| f.name == name)
    }

    /// The canonical text rendering the text encoders read: `Title. genres: a, b. era: 1990s.
    /// …`, text facets only, in a fixed order so the same knowledge always gives the same text.
    pub fn text(&self) -> String {
        let mut facets: Vec<&Facet> = self
            .facets
            .iter()
            // The year is in the title already, and its era is a facet.
            .filter(|f| f.kind == FacetKind::Text && f.name != "year" && !f.values.is_empty())
            .collect();
        let rank = |name: &str| ORDER.iter().position(|o| *o == name).unwrap_or(ORDER.len());
        facets.sort_by(|a, b| {
            rank(&a.name)
                .cmp(&rank(&b.name))
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut out = self.title.clone();
        for f in facets {
            let values: Vec<&str> = f
                .values
                .iter()
                .take(MAX_TEXT_VALUES)
                .map(String::as_str)
                .collect();
            let joined = values.join(", ");
            out.push_str(&format!(". {}: {}", f.name, joined.trim_end_matches('.')));
        }
        out.push('.');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freebase_ids_are_opaque_and_names_are_not() {
        let facet = |kind, values: &[&str]| Facet {
            name: "actors".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            kind,
            provenance: Provenance::rule("graph"),
            malformed: None,
        };
        assert!(facet(FacetKind::Entity, &["m.018yhr", "m.0abc_1"]).opaque_ids());
        assert!(!facet(FacetKind::Entity, &["director_Horror_2"]).opaque_ids());
        assert!(!facet(FacetKind::Text, &["m.018yhr"]).opaque_ids());
        assert!(!facet(FacetKind::Entity, &["m.018yhr", "Harrison Ford"]).opaque_ids());
    }

    fn facet(name: &str, values: &[&str], kind: FacetKind) -> Facet {
        Facet {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            kind,
            provenance: Provenance::rule("test"),
            malformed: None,
        }
    }

    #[test]
    fn text_is_canonical_whatever_the_facet_order() {
        let mut card = KnowledgeCard {
            item_id: "1".into(),
            title: "Toy Story (1995)".into(),
            facets: vec![
                facet("director", &["m.1"], FacetKind::Entity),
                facet("mood", &["playful"], FacetKind::Text),
                facet("era", &["1990s"], FacetKind::Text),
                facet("genres", &["Animation", "Comedy"], FacetKind::Text),
            ],
            dropped: vec![],
        };
        let text = card.text();
        assert_eq!(
            text,
            "Toy Story (1995). genres: Animation, Comedy. era: 1990s. mood: playful."
        );
        card.facets.reverse();
        assert_eq!(card.text(), text);
    }
}
