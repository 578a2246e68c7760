//! The reasoner's files as the browser loads them: fold 0's bundle, its vocabulary, the data
//! and protocol it was fitted on, and the knowledge space it is judged in.

use reaseq_core::artifact::from_json;
use reaseq_core::bundle::Manifest;
use reaseq_core::data::{Dataset, Prepared, PreparedSpec};
use reaseq_core::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use reaseq_core::layout::{self, file};
use reaseq_core::reasoner::evaluation::ReasonerEvaluation;
use reaseq_core::reasoner::every_user::EveryUser;
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
    let url = |name: &str| format!("{base}/{name}");
    let [mf, wf] = layout::bundle_files(file::REASONER).map(|f| url(&f));
    let (ids_url, spec_url) = (url(file::SEMANTIC_IDS), url(file::PROTOCOL));
    let files = ShippedFiles {
        manifest: (mf.clone(), fetch_required(&mf, how).await?),
        weights: fetch_required(&wf, how).await?,
        ids: (ids_url.clone(), fetch_required(&ids_url, how).await?),
        spec: (spec_url.clone(), fetch_required(&spec_url, how).await?),
    };
    let url = vectors_url(choice);
    let vectors_file = fetch_optional(&url).await?.map(|b| (url, b));
    assets_from(files, vectors_file)
}

/// The reasoner's shipped files, each with the name errors give it.
pub struct ShippedFiles {
    pub manifest: (String, Vec<u8>),
    pub weights: Vec<u8>,
    pub ids: (String, Vec<u8>),
    pub spec: (String, Vec<u8>),
}

/// The assets from their files' bytes.
pub fn assets_from(f: ShippedFiles, vectors_file: Option<(String, Vec<u8>)>) -> AppResult<Assets> {
    let (mf, m) = &f.manifest;
    let model = DiffusionReasoner::from_bundle(mf, m, &f.weights)?;
    // from_bundle has checked the manifest, so it parses.
    let prior_weight = serde_json::from_slice::<Manifest>(m)
        .map(|m| PriorWeight::from_manifest(&m))
        .map_err(|e| AppError::File {
            file: mf.clone(),
            reason: e.to_string(),
        })?;
    let ids = from_json::<SemanticIdFile>(&f.ids.0, &f.ids.1)?.ids;
    let spec = from_json(&f.spec.0, &f.spec.1)?;
    Ok(Assets {
        model,
        prior_weight,
        ids,
        spec,
        vectors_file,
    })
}

/// `reaseq reasoner infer --all-users --write-asset`'s run, when the build carries it.
pub async fn load_every_user(choice: &Choice) -> AppResult<Option<EveryUser>> {
    let url = format!("/{}/{}", asset_dir(choice), file::EVERY_USER);
    fetch_optional_artifact(&url).await
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
