//! The critic agent: keeps claims that are well formed, new and consistent with the catalog, and
//! records every drop with its reason.

use crate::data::Dataset;

use super::card::{Dropped, Facet, KnowledgeCard};
use super::catalog::{era, CATALOG};

/// Longest value we accept from an agent.
const MAX_VALUE_CHARS: usize = 300;

#[derive(Debug, Default, Clone)]
pub struct Critic;

impl Critic {
    /// Builds the item's card from all agents' claims.
    pub fn review(&self, ds: &Dataset, item: u32, claims: Vec<Facet>) -> KnowledgeCard {
        let it = &ds.items[item as usize];
        let catalog_genres: Vec<String> = it
            .genres
            .iter()
            .map(|&g| ds.genres.name(g).to_lowercase())
            .collect();
        let catalog_era = it.year.map(era);
        let mut facets: Vec<Facet> = Vec::new();
        let mut dropped = Vec::new();
        for claim in claims {
            let agent = claim.provenance.agent.clone();
            if let Some(why) = &claim.malformed {
                dropped.push(Dropped {
                    facet: claim.name.clone(),
                    value: String::new(),
                    agent,
                    reason: format!("malformed answer: {why}"),
                });
                continue;
            }
            let mut kept = Vec::new();
            for value in claim.values {
                let v = value.trim().to_owned();
                let reason = if v.is_empty() {
                    Some("empty value".to_owned())
                } else if v.chars().count() > MAX_VALUE_CHARS {
                    Some(format!("longer than {MAX_VALUE_CHARS} characters"))
                } else if v.chars().any(|c| c.is_control()) {
                    Some("contains control characters".to_owned())
                } else if kept.iter().any(|k: &String| k.eq_ignore_ascii_case(&v)) {
                    Some("duplicate within the claim".to_owned())
                } else if let Some(owner) = facets.iter().find(|f| {
                    f.name == claim.name && f.values.iter().any(|x| x.eq_ignore_ascii_case(&v))
                }) {
                    Some(format!(
                        "already stated by the {} agent",
                        owner.provenance.agent
                    ))
                } else if agent != CATALOG {
                    contradiction(&claim.name, &v, &catalog_genres, catalog_era.as_deref())
                } else {
                    None
                };
                match reason {
                    Some(reason) => dropped.push(Dropped {
                        facet: claim.name.clone(),
                        value: v,
                        agent: agent.clone(),
                        reason,
                    }),
                    None => kept.push(v),
                }
            }
            if kept.is_empty() {
                continue;
            }
            match facets
                .iter_mut()
                .find(|f| f.name == claim.name && f.provenance == claim.provenance)
            {
                Some(f) => f.values.extend(kept),
                None => facets.push(Facet {
                    name: claim.name,
                    values: kept,
                    kind: claim.kind,
                    provenance: claim.provenance,
                    malformed: None,
                }),
            }
        }
        KnowledgeCard {
            item_id: it.id.clone(),
            title: it.display_title(),
            facets,
            dropped,
        }
    }
}

/// A claim about what the catalog states (genre, era) that disagrees with it.
fn contradiction(
    facet: &str,
    value: &str,
    genres: &[String],
    catalog_era: Option<&str>,
) -> Option<String> {
    match facet {
        "genres" if !genres.is_empty() && !genres.contains(&value.to_lowercase()) => Some(format!(
            "contradicts the catalog: genres are {}",
            genres.join(", ")
        )),
        "era" => match catalog_era {
            Some(e) if e != value => Some(format!("contradicts the catalog: era is {e}")),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};
    use crate::knowledge::{build_cards, Agent, CatalogAgent, FacetKind, GraphAgent, Provenance};

    fn world() -> SyntheticWorld {
        SyntheticWorld::generate(&SyntheticConfig {
            users: 20,
            items: 60,
            min_events: 5,
            max_events: 20,
            ..SyntheticConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn every_item_gets_a_card_with_catalog_and_graph_facets() {
        let w = world();
        let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
        let cards = build_cards(&w.dataset, &mut agents, &Critic).unwrap();
        assert_eq!(cards.len(), 60);
        for c in &cards {
            assert!(
                c.facet("genres").is_some() && c.facet("era").is_some(),
                "{c:?}"
            );
            assert_eq!(c.facet("director").unwrap().provenance.agent, "graph");
            assert!(
                !c.text().contains("director_"),
                "entity ids stay out of the text"
            );
        }
    }

    #[test]
    fn critic_drops_contradictions_duplicates_and_malformed_values() {
        let w = world();
        let ds = &w.dataset;
        let it = &ds.items[0];
        let genre = ds.genres.name(it.genres[0]).to_owned();
        let llm = |name: &str, values: &[&str]| Facet {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            kind: FacetKind::Text,
            malformed: None,
            provenance: Provenance {
                agent: "llm-themes".into(),
                model: Some("test".into()),
                prompt_version: Some("v1".into()),
                reasoning: Some("because".into()),
            },
        };
        let mut claims = CatalogAgent.describe(ds, 0).unwrap();
        claims.push(llm("genres", &[&genre, "Opera"]));
        claims.push(llm("era", &["1800s"]));
        claims.push(llm("themes", &["friendship", "Friendship", "", "ok\u{7}"]));
        let card = Critic.review(ds, 0, claims);
        let reasons: Vec<(&str, &str)> = card
            .dropped
            .iter()
            .map(|d| (d.value.as_str(), d.reason.as_str()))
            .collect();
        assert!(
            reasons.contains(&(genre.as_str(), "already stated by the catalog agent")),
            "{reasons:?}"
        );
        assert!(reasons
            .iter()
            .any(|(v, r)| *v == "Opera" && r.starts_with("contradicts the catalog")));
        assert!(reasons
            .iter()
            .any(|(v, r)| *v == "1800s" && r.starts_with("contradicts the catalog: era")));
        assert!(reasons
            .iter()
            .any(|(v, r)| *v == "Friendship" && r.starts_with("duplicate")));
        assert!(reasons.iter().any(|(_, r)| *r == "empty value"));
        assert!(reasons
            .iter()
            .any(|(_, r)| *r == "contains control characters"));
        assert_eq!(card.facet("themes").unwrap().values, ["friendship"]);
    }
}
