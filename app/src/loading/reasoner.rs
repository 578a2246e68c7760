//! The reasoner's files as the browser loads them: fold 0's bundle, its vocabulary, and the
//! data it was trained on.

use reaseq_core::data::{BeyondLog, Dataset, Protocol, SplitConfig};
use reaseq_core::data::{SyntheticConfig, SyntheticWorld};
use reaseq_core::knowledge::semantic_id::SemanticIds;
use reaseq_core::layout::{self, file};
use reaseq_core::reasoner::baselines::CoOccurrence;
use reaseq_core::reasoner::{DecodingPrior, DiffusionReasoner, PriorWeight};

use super::{fetch_optional, fetch_required, root, Choice};

/// The reasoner's bundle, its vocabulary, and the data it was trained on.
pub struct Assets {
    pub model: DiffusionReasoner,
    /// λ and β of the prior the ranked decoder multiplies in (λ = 0: none).
    pub prior_weight: PriorWeight,
    pub ids: SemanticIds,
    pub world: Option<SyntheticConfig>,
}

/// Where a build carries the reasoner's bundle for this dataset.
pub fn asset_dir(choice: &Choice) -> String {
    let (root, name) = root(choice);
    format!("{root}{}", layout::reasoner_dir(name))
}

pub async fn load_assets(dir: &str) -> Result<Assets, String> {
    let base = format!("/{dir}");
    let how = "run `reaseq reasoner train` and `reaseq reasoner export`";
    let m = fetch_required(&format!("{base}/{}.json", file::REASONER), how).await?;
    let w = fetch_required(&format!("{base}/{}.safetensors", file::REASONER), how).await?;
    let model = DiffusionReasoner::from_bundle(&format!("{base}/reasoner"), &m, &w)
        .map_err(|e| e.to_string())?;
    // from_bundle has checked the manifest, so it parses.
    let metrics = serde_json::from_slice::<reaseq_core::bundle::Manifest>(&m)
        .map(|x| x.metrics)
        .unwrap_or_default();
    let metric = |key: &str| metrics.get(key).copied().unwrap_or(0.0) as f32;
    let prior_weight = PriorWeight {
        lambda: metric("popularity_prior_weight"),
        mix: metric("cooccurrence_prior_mix"),
    };
    let ids: SemanticIds = serde_json::from_slice(
        &fetch_required(&format!("{base}/{}", file::SEMANTIC_IDS), how).await?,
    )
    .map_err(|e| format!("{base}/semantic_ids.json: {e}"))?;
    let world = match fetch_optional(&format!("{base}/{}", file::WORLD)).await? {
        Some(b) => Some(serde_json::from_slice(&b).map_err(|e| format!("{base}/world.json: {e}"))?),
        None => None,
    };
    Ok(Assets {
        model,
        prior_weight,
        ids,
        world,
    })
}

/// The reasoner's data: its synthetic world, or the loaded MovieLens-100k under random rho 0.3.
pub struct Data {
    pub ds: Dataset,
    pub protocol: Protocol,
    /// Training popularity and co-occurrence, the ranked decoder's prior (weighted by
    /// `Assets::prior_weight`).
    pub prior: DecodingPrior,
}

pub fn data(a: &Assets, movielens: Option<&Dataset>) -> Result<Data, String> {
    let (ds, mode) = match &a.world {
        Some(cfg) => {
            let w = SyntheticWorld::generate(cfg).map_err(|e| e.to_string())?;
            (
                w.dataset,
                BeyondLog::Planted {
                    off_log: w.truth.off_log,
                },
            )
        }
        None => (
            movielens.ok_or("MovieLens-100k is not loaded")?.clone(),
            BeyondLog::Random { rho: 0.3 },
        ),
    };
    if ds.num_items() != a.ids.codes.len() {
        return Err(format!(
            "the reasoner's vocabulary has {} items, the data {}",
            a.ids.codes.len(),
            ds.num_items()
        ));
    }
    let seed = a.world.as_ref().map_or(0, |w| w.seed);
    let protocol =
        Protocol::new(&ds, SplitConfig::default(), &mode, seed).map_err(|e| e.to_string())?;
    // Co-occurrence costs a pass over every user's item pairs: only when the bundle mixes it in.
    let mut prior = DecodingPrior::popularity(&protocol.train_popularity(&ds));
    if a.prior_weight.mix > 0.0 {
        prior = prior.with_cooccurrence(CoOccurrence::new(&ds, &protocol));
    }
    Ok(Data {
        ds,
        protocol,
        prior,
    })
}
