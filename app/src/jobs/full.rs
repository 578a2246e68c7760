//! The full-catalogue ranking job: every test user's unseen items, all of them, ranked by each
//! bundle — on WebGPU when the worker has a device, else on the CPU — and measured by the
//! core's `FullRanking::new`, the function behind `reaseq experiment --full-ranking`, next to
//! what that command wrote for the same bundles.

use reaseq_core::experiment::full_ranking::{
    catalogue_queries, popularity_lists, rank_catalogue, CatalogueQuery,
};
use reaseq_core::experiment::FullRanking;
use reaseq_core::ranker::{Ranker, Variant};
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::jobs::backend::BackendUsed;
use crate::jobs::compare::bootstrap;
use crate::loading::experiment::{Assets, ExperimentData};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FullOutcome {
    pub ranking: FullRanking,
    /// What `reaseq experiment --full-ranking` wrote for the same bundles, when the build
    /// carries it.
    pub cli: Option<FullRanking>,
    pub backend: BackendUsed,
    /// Per variant, seconds to score and rank every user's catalogue.
    pub seconds: Vec<(Variant, f64)>,
}

impl FullOutcome {
    /// The largest |page − CLI| over every variant's and the popularity ranking's every figure
    /// (mean and interval ends), when the CLI's file is there and covers the same variants.
    pub fn largest_cli_difference(&self) -> Option<f64> {
        let cli = self.cli.as_ref()?;
        let mut pairs = Vec::new();
        for row in &self.ranking.variants {
            for f in &row.figures {
                pairs.push((f, cli.figure(row.variant, f.metric, f.k)?));
            }
        }
        pairs.extend(self.ranking.popularity.iter().zip(&cli.popularity));
        let gaps = pairs.iter().flat_map(|(f, c)| {
            [(f.mean, c.mean), (f.ci[0], c.ci[0]), (f.ci[1], c.ci[1])].map(|(a, b)| (a - b).abs())
        });
        Some(gaps.fold(0.0, f64::max))
    }
}

/// The test users' queries, and how many had no positive to find.
pub(crate) fn queries(d: &ExperimentData) -> (Vec<CatalogueQuery>, usize) {
    catalogue_queries(&d.data, &d.rows.test, &d.gbr)
}

/// One bundle's ranked lists on the CPU; `progress` hears the users done.
pub(crate) fn rank_cpu(
    m: &Ranker,
    queries: &[CatalogueQuery],
    progress: &(dyn Fn(usize) + Sync),
) -> AppResult<Vec<Vec<u32>>> {
    Ok(rank_catalogue(m, queries, 1, progress)?)
}

/// Users scored per dispatch: a dispatch of MovieLens-100k is 32 × 1,682 pairs.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
const USERS_PER_DISPATCH: usize = 32;

/// One bundle's ranked lists on WebGPU: the kernel scores every item for a batch of users, the
/// CPU keeps each user's top items with the same function as the CPU path.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub(crate) async fn rank_gpu(
    gpu: &crate::jobs::backend::Gpu,
    key: &str,
    m: &Ranker,
    queries: &[CatalogueQuery],
    progress: &dyn Fn(usize),
) -> reaseq_core::error::Result<Vec<Vec<u32>>> {
    use reaseq_core::experiment::full_ranking::{top_items, DEPTH};
    use reaseq_core::ranker::RankerInput;
    let on_device = gpu.ranker(key, m).await?;
    let items = m.config.items;
    let mut out = Vec::with_capacity(queries.len());
    for batch in queries.chunks(USERS_PER_DISPATCH) {
        let inputs: Vec<RankerInput> = batch
            .iter()
            .map(|q| RankerInput {
                target: 0,
                history: &q.history,
                gbr: &q.gbr,
                user: Some(q.user),
            })
            .collect();
        let logits = on_device
            .score_catalogue(&gpu.ctx, &gpu.ranker, &inputs)
            .await?;
        for (q, scores) in batch.iter().zip(logits.chunks_exact(items)) {
            out.push(top_items(scores, &q.seen, DEPTH)?);
        }
        progress(out.len());
    }
    Ok(out)
}

/// The figures of every bundle's ranked lists (in `assets.rankers` order), with the bootstrap
/// of the experiment's results, as the CLI measures them.
pub(crate) fn measure(
    assets: &Assets,
    d: &ExperimentData,
    queries: &[CatalogueQuery],
    without: usize,
    lists: Vec<Vec<Vec<u32>>>,
) -> AppResult<FullRanking> {
    let ranked: Vec<(Variant, Vec<Vec<u32>>)> = assets
        .rankers
        .iter()
        .map(|m| m.config.variant)
        .zip(lists)
        .collect();
    let counts = d.data.protocol.train_popularity(d.ds());
    Ok(FullRanking::new(
        &d.ds().name,
        d.ds().num_items(),
        queries,
        without,
        &ranked,
        &popularity_lists(queries, &counts)?,
        &bootstrap(&assets.results),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reaseq_core::artifact::from_json;

    /// The page's full ranking of the shipped synthetic bundles is the CLI's file to the digit.
    #[test]
    fn the_page_ranks_the_shipped_bundles_as_the_cli_did() {
        let assets = crate::jobs::compare::tests::shipped();
        let d = crate::loading::experiment::experiment_data(&assets, None).unwrap();
        let (queries, without) = queries(&d);
        let lists = assets
            .rankers
            .iter()
            .map(|m| rank_cpu(m, &queries, &|_| {}).unwrap())
            .collect();
        let ranking = measure(&assets, &d, &queries, without, lists).unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/ranker/synthetic");
        let cli: FullRanking = from_json(
            "full_ranking.json",
            &std::fs::read(dir.join("full_ranking.json")).unwrap(),
        )
        .unwrap();
        let out = FullOutcome {
            ranking,
            cli: Some(cli),
            backend: BackendUsed::cpu(crate::jobs::backend::BackendChoice::Cpu, None),
            seconds: Vec::new(),
        };
        // JSON's floats round-trip to within an ulp.
        let worst = out.largest_cli_difference().unwrap();
        assert!(worst < 1e-12, "{worst}");
        assert_eq!(out.ranking.users, out.cli.as_ref().unwrap().users);
    }
}
