//! The agent interface and the pipeline that turns agents' claims into cards.

use crate::data::Dataset;
use crate::error::Result;

use super::card::{Facet, KnowledgeCard};
use super::critic::Critic;

/// Something that reasons about items and writes facets with provenance.
pub trait Agent {
    /// Stable name, recorded in provenance and in cache keys.
    fn name(&self) -> &str;

    /// Facets for one item.
    fn describe(&mut self, ds: &Dataset, item: u32) -> Result<Vec<Facet>>;

    /// Facets for many items; LLM agents override this to batch their prompts.
    fn describe_batch(&mut self, ds: &Dataset, items: &[u32]) -> Result<Vec<Vec<Facet>>> {
        items.iter().map(|&i| self.describe(ds, i)).collect()
    }
}

/// Runs every agent over every item and lets the critic check the claims. Every item gets a
/// card, even one no agent knows anything about.
pub fn build_cards(
    ds: &Dataset,
    agents: &mut [Box<dyn Agent>],
    critic: &Critic,
) -> Result<Vec<KnowledgeCard>> {
    let items: Vec<u32> = (0..ds.num_items() as u32).collect();
    let mut claims: Vec<Vec<Facet>> = vec![Vec::new(); items.len()];
    for agent in agents.iter_mut() {
        for (i, facets) in agent.describe_batch(ds, &items)?.into_iter().enumerate() {
            claims[i].extend(facets);
        }
    }
    Ok(items
        .iter()
        .zip(claims)
        .map(|(&i, facets)| critic.review(ds, i, facets))
        .collect())
}
