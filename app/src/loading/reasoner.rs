//! The reasoner's files as the browser loads them: fold 0's bundle, its vocabulary, the data
//! and protocol it was fitted on, and the knowledge space it is judged in.

use reaseq_core::artifact::from_json;
use reaseq_core::bundle::Manifest;
use reaseq_core::data::{Dataset, Prepared, PreparedSpec};
use reaseq_core::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use reaseq_core::layout::{self, file};
use reaseq_core::reasoner::evaluation::ReasonerEvaluation;
use reaseq_core::reasoner::{knowledge_space, DecodingPrior, DiffusionReasoner, PriorWeight};

use super::{fetch_optional, fetch_optional_artifact, fetch_required, root, Choice};
use crate::error::{AppError, AppResult};

/// The reasoner's bundle, its vocabulary, and the data it was fitted on.
pub struct Assets {
    pub model: DiffusionReasoner,
    /// λ and β of the prior the ranked decoder multiplies in (λ = 0: none).
    pub prior_weight: PriorWeight,
    pub ids: SemanticIds,
    pub spec: PreparedSpec,
    /// The dataset's knowledge vectors (`vectors.safetensors`), when the build carries them.
    pub vectors_file: Option<(String, Vec<u8>)>,
}

/// Where a build carries the reasoner's bundle for this dataset.
pub fn asset_dir(choice: &Choice) -> String {
    let (root, name) = root(choice);
    format!("{root}{}", layout::reasoner_dir(name))
}

/// `reaseq reasoner eval --write-asset`'s measures for this dataset, when the build carries them.
pub async fn load_evaluation(choice: &Choice) -> AppResult<Option<ReasonerEvaluation>> {
    let url = format!("/{}/{}", asset_dir(choice), file::EVALUATION);
    fetch_optional_artifact(&url).await
}

/// Where a build carries a dataset's knowledge vectors.
fn vectors_url(choice: &Choice) -> String {
    let (root, name) = root(choice);
    format!("/{root}{}/{}", layout::knowledge_dir(name), file::VECTORS)
}

pub async fn load_assets(choice: &Choice) -> AppResult<Assets> {
    let base = format!("/{}", asset_dir(choice));
    let how = "run `reaseq reasoner train` and `reaseq reasoner export`";
    let [mf, wf] = layout::bundle_files(file::REASONER).map(|f| format!("{base}/{f}"));
    let m = fetch_required(&mf, how).await?;
    let w = fetch_required(&wf, how).await?;
    let model = DiffusionReasoner::from_bundle(&mf, &m, &w)?;
    // from_bundle has checked the manifest, so it parses.
    let prior_weight = serde_json::from_slice::<Manifest>(&m)
        .map(|m| PriorWeight::from_manifest(&m))
        .map_err(|e| AppError::File {
            file: mf.clone(),
            reason: e.to_string(),
        })?;
    let artifact = |name: &str| format!("{base}/{name}");
    let ids_url = artifact(file::SEMANTIC_IDS);
    let ids = from_json::<SemanticIdFile>(&ids_url, &fetch_required(&ids_url, how).await?)?.ids;
    let spec_url = artifact(file::PROTOCOL);
    let spec = from_json(&spec_url, &fetch_required(&spec_url, how).await?)?;
    let url = vectors_url(choice);
    let vectors_file = fetch_optional(&url).await?.map(|b| (url, b));
    Ok(Assets {
        model,
        prior_weight,
        ids,
        spec,
        vectors_file,
    })
}

/// The reasoner's data, rebuilt from its recorded description, with the ranked decoder's prior
/// and the knowledge space of the consistency column.
pub struct Data {
    pub data: Prepared,
    /// Training popularity and co-occurrence, the ranked decoder's prior (weighted by
    /// `Assets::prior_weight`).
    pub prior: DecodingPrior,
    /// None on a dataset whose build carries no knowledge vectors.
    pub vectors: Option<Vec<Vec<f32>>>,
}

/// `movielens`: the loaded MovieLens-100k, needed unless the reasoner was fitted on a world.
pub fn data(a: &Assets, movielens: Option<&Dataset>) -> AppResult<Data> {
    let data = a.spec.prepare(movielens)?;
    if data.ds.num_items() != a.ids.codes.len() {
        return Err(AppError::Build(format!(
            "the reasoner's vocabulary has {} items, the data {}",
            a.ids.codes.len(),
            data.ds.num_items()
        )));
    }
    // Co-occurrence costs a pass over every user's item pairs: only when the bundle mixes it in.
    let prior = DecodingPrior::for_protocol(&data.ds, &data.protocol, a.prior_weight.mix > 0.0);
    let file = a
        .vectors_file
        .as_ref()
        .map(|(n, b)| (n.as_str(), b.as_slice()));
    let vectors = match (data.world, file) {
        (None, None) => None,
        _ => Some(knowledge_space(&data, file)?),
    };
    Ok(Data {
        data,
        prior,
        vectors,
    })
}
