//! What the Knowledge view shows: what the CLI made for this dataset where the build carries
//! it — the knowledge build's cards and fused vectors, the reasoner's vocabulary when it was
//! fitted on these data — and the rest computed here
//! (`reaseq_core::knowledge::pipeline::page_knowledge`).

use reaseq_core::artifact::from_json;
use reaseq_core::data::{Dataset, PreparedSpec};
use reaseq_core::knowledge::pipeline::PageKnowledge;
use reaseq_core::knowledge::pipeline::{page_knowledge, KnowledgeCards, MadeKnowledge};
use reaseq_core::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use reaseq_core::knowledge::vectors::{matrix_from_safetensors, tensor};
use reaseq_core::layout::{self, file};

use super::{fetch_optional, root, Choice};
use crate::error::AppResult;

/// The knowledge of `ds`, the data `choice` names.
pub async fn load_knowledge(ds: &Dataset, choice: &Choice) -> AppResult<PageKnowledge> {
    let (root, name) = root(choice);
    let dir = format!("/{root}{}", layout::knowledge_dir(name));
    let url = format!("{dir}/{}", file::CARDS);
    let cards = match fetch_optional(&url).await? {
        Some(b) => Some(from_json::<KnowledgeCards>(&url, &b)?),
        None => None,
    };
    let url = format!("{dir}/{}", file::VECTORS);
    let vectors = match fetch_optional(&url).await? {
        Some(b) => Some(matrix_from_safetensors(
            &url,
            &b,
            tensor::KNOWLEDGE,
            ds.num_items(),
        )?),
        None => None,
    };
    let made = MadeKnowledge {
        cards,
        vectors,
        semantic_ids: reasoner_vocabulary(ds, choice).await?,
    };
    Ok(page_knowledge(ds, made)?)
}

/// The semantic IDs the reasoner speaks in, when the build carries a reasoner fitted on `ds`.
async fn reasoner_vocabulary(ds: &Dataset, choice: &Choice) -> AppResult<Option<SemanticIds>> {
    let dir = format!("/{}", super::reasoner::asset_dir(choice));
    let url = format!("{dir}/{}", file::PROTOCOL);
    let Some(bytes) = fetch_optional(&url).await? else {
        return Ok(None);
    };
    let spec: PreparedSpec = from_json(&url, &bytes)?;
    if spec.fingerprint != format!("{:016x}", ds.fingerprint()) {
        return Ok(None);
    }
    let url = format!("{dir}/{}", file::SEMANTIC_IDS);
    Ok(match fetch_optional(&url).await? {
        Some(b) => Some(from_json::<SemanticIdFile>(&url, &b)?.ids),
        None => None,
    })
}
