//! The reasoner's semantic IDs on real data: residual k-means over each item's knowledge vector
//! joined with a behaviour embedding of the logged events. Content codes alone spread popular
//! and co-consumed items over every branch of the trie; the behaviour half puts items that the
//! same users log under the same coarse codes. Only train and validation events are read, so a
//! user's off-log and test events never shape the codes.

use crate::data::protocol::{Part, Protocol};
use crate::data::Dataset;
use crate::error::Result;
use crate::knowledge::graph_embedding::{behaviour_embedding, GraphEmbeddingConfig};
use crate::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};

/// Per item, the users who logged it before the test period (train and validation events).
pub fn logged_users_by_item(ds: &Dataset, protocol: &Protocol) -> Vec<Vec<u32>> {
    let mut logged = vec![Vec::new(); ds.num_items()];
    for (i, e) in ds.interactions.iter().enumerate() {
        if matches!(protocol.parts[i], Part::Train | Part::Valid) {
            logged[e.item as usize].push(e.user);
        }
    }
    logged
}

/// Semantic IDs of `[knowledge / |knowledge|; behaviour]` per item.
pub fn blended_codes(
    ds: &Dataset,
    protocol: &Protocol,
    knowledge: &[Vec<f32>],
    rq: &RqConfig,
) -> Result<SemanticIds> {
    let behaviour = behaviour_embedding(
        &logged_users_by_item(ds, protocol),
        ds.num_users(),
        &GraphEmbeddingConfig {
            seed: rq.seed,
            ..GraphEmbeddingConfig::default()
        },
    )?;
    let vectors: Vec<Vec<f32>> = knowledge
        .iter()
        .zip(&behaviour)
        .map(|(k, b)| {
            let norm = k.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            k.iter()
                .map(|x| x / norm)
                .chain(b.iter().copied())
                .collect()
        })
        .collect();
    residual_quantise(&vectors, rq)
}
