//! The knowledge space the reasoner is judged in: where its kNN baseline finds neighbours and
//! where the semantic consistency of what it infers is measured. The CLI and the page both
//! take it from here, so their consistency columns agree.

use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use crate::knowledge::vectors::{matrix_from_safetensors, tensor};

/// A synthetic world's graph embedding; on a dataset, the fused knowledge vectors of its
/// knowledge build (`vectors_file`: the name and bytes of `vectors.safetensors`).
pub fn knowledge_space(
    data: &Prepared,
    vectors_file: Option<(&str, &[u8])>,
) -> Result<Vec<Vec<f32>>> {
    if data.world.is_some() {
        return graph_embedding(&data.ds, &GraphEmbeddingConfig::default());
    }
    let (name, bytes) = vectors_file.ok_or_else(|| {
        Error::Config(format!(
            "{}: no knowledge vectors: run `reaseq knowledge build`",
            data.ds.name
        ))
    })?;
    matrix_from_safetensors(name, bytes, tensor::KNOWLEDGE, data.ds.num_items())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ProtocolMode, WorldSpec};

    #[test]
    fn a_world_embeds_its_graph_and_a_dataset_needs_its_vectors() {
        let world = Prepared::synthetic(WorldSpec::sized(20, 120, 1)).unwrap();
        assert_eq!(knowledge_space(&world, None).unwrap().len(), 120);
        let ds = Prepared::dataset(world.ds.clone(), ProtocolMode::Random { rho: 0.3 }, 0).unwrap();
        let e = knowledge_space(&ds, None).unwrap_err().to_string();
        assert!(e.contains("reaseq knowledge build"), "{e}");
        assert!(knowledge_space(&ds, Some(("v.safetensors", b"junk"))).is_err());
    }
}
