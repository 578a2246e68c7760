//! Full-catalogue ranking: every test user's unseen items, all of them, scored by each variant
//! and ranked; Recall, NDCG and HitRate at 5, 10 and 20 against the user's test positives, with
//! user-bootstrap intervals and paired tests against Base. The CLI scores on every core
//! ([`rank_catalogue`]); the browser's worker on its CPU or on WebGPU. Both rank with
//! [`top_items`] and measure with [`FullRanking::new`], so equal scores give equal figures.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::{Part, Prepared};
use crate::error::{Error, Result};
use crate::metrics::bootstrap::{mean_bootstrap, paired_mean_bootstrap};
use crate::metrics::{hit_rate_at_k, holm, ndcg_at_k, recall_at_k, BootstrapConfig};
use crate::ranker::{Ranker, RankerExample, Variant};

/// The cut-offs every figure is given at.
pub const CUTOFFS: [usize; 3] = [5, 10, 20];
/// The longest ranked list kept per user.
pub const DEPTH: usize = 20;

/// One test user's question to the catalogue: the user's pre-test history and inferred
/// sequence (what the user's test impressions are scored with), the items the log already
/// shows them (never ranked), and the test positives to find.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueQuery {
    pub user: u32,
    pub history: Vec<u32>,
    pub gbr: Vec<u32>,
    /// The user's logged (train and validation) items, sorted, each once.
    pub seen: Vec<u32>,
    /// The user's liked test items not already seen, sorted, each once.
    pub relevant: Vec<u32>,
}

/// The queries of every test user with a positive to find (in user order), and how many test
/// users had none. `gbr` is indexed by the rows' GBR slot.
pub fn catalogue_queries(
    data: &Prepared,
    test: &[RankerExample],
    gbr: &[Vec<u32>],
) -> (Vec<CatalogueQuery>, usize) {
    let (ds, protocol) = (&data.ds, &data.protocol);
    let mut by_user: std::collections::BTreeMap<u32, (&RankerExample, Vec<u32>)> =
        std::collections::BTreeMap::new();
    for e in test {
        let entry = by_user.entry(e.user).or_insert((e, Vec::new()));
        if e.label {
            entry.1.push(e.target);
        }
    }
    let mut without = 0;
    let mut queries = Vec::with_capacity(by_user.len());
    for (user, (first, mut relevant)) in by_user {
        let mut seen: Vec<u32> = protocol
            .events(user, Part::Train)
            .chain(protocol.events(user, Part::Valid))
            .map(|i| ds.interactions[i as usize].item)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        relevant.sort_unstable();
        relevant.dedup();
        relevant.retain(|i| seen.binary_search(i).is_err());
        if relevant.is_empty() {
            without += 1;
            continue;
        }
        queries.push(CatalogueQuery {
            user,
            history: first.history.clone(),
            gbr: first.gbr(gbr).to_vec(),
            seen,
            relevant,
        });
    }
    (queries, without)
}

/// The `k` best unseen items by score, best first; equal scores rank the lower item first. A
/// score that is not a number is an error naming the item.
pub fn top_items(scores: &[f32], seen: &[u32], k: usize) -> Result<Vec<u32>> {
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::Model(format!(
            "full ranking: item {i} scored {}",
            scores[i]
        )));
    }
    let mut candidates: Vec<u32> = (0..scores.len() as u32)
        .filter(|i| seen.binary_search(i).is_err())
        .collect();
    let order = |a: &u32, b: &u32| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(a.cmp(b))
    };
    if candidates.len() > k && k > 0 {
        candidates.select_nth_unstable_by(k - 1, order);
        candidates.truncate(k);
    }
    candidates.sort_unstable_by(order);
    candidates.truncate(k);
    Ok(candidates)
}

/// Every query's ranked list by training popularity (`train_counts` per item), the simplest
/// ranker: the reference the variants' absolute figures are read against.
pub fn popularity_lists(queries: &[CatalogueQuery], train_counts: &[u32]) -> Result<Vec<Vec<u32>>> {
    let scores: Vec<f32> = train_counts.iter().map(|&c| c as f32).collect();
    queries
        .iter()
        .map(|q| top_items(&scores, &q.seen, DEPTH))
        .collect()
}

/// One user's ranked list from a ranker on the CPU; `scores` is scratch of the catalogue's size.
pub fn rank_user(ranker: &Ranker, q: &CatalogueQuery, scores: &mut [f32]) -> Result<Vec<u32>> {
    ranker.score_catalogue(&q.history, &q.gbr, Some(q.user), scores)?;
    top_items(scores, &q.seen, DEPTH)
}

/// Every query's ranked list from `ranker`, scored on `threads` threads (natively; one in
/// WebAssembly). `progress` hears how many queries are done.
pub fn rank_catalogue(
    ranker: &Ranker,
    queries: &[CatalogueQuery],
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Vec<u32>>> {
    let items = ranker.config.items;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run = |part: &[CatalogueQuery]| -> Result<Vec<Vec<u32>>> {
        let mut scores = vec![0f32; items];
        part.iter()
            .map(|q| {
                let top = rank_user(ranker, q, &mut scores)?;
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                Ok(top)
            })
            .collect()
    };
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 && queries.len() > 1 {
        let chunk = queries.len().div_ceil(threads);
        let parts: Vec<Result<Vec<Vec<u32>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = queries
                .chunks(chunk)
                .map(|part| s.spawn(|| run(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Model("full ranking: a thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity(queries.len());
        for p in parts {
            out.extend(p?);
        }
        return Ok(out);
    }
    // WebAssembly has one thread here.
    #[cfg(target_arch = "wasm32")]
    let _ = threads;
    run(queries)
}

/// A top-K measure of a ranked list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RankingMetric {
    Recall,
    Ndcg,
    HitRate,
}

impl RankingMetric {
    pub const ALL: [RankingMetric; 3] = [Self::Recall, Self::Ndcg, Self::HitRate];

    pub fn name(self) -> &'static str {
        match self {
            Self::Recall => "Recall",
            Self::Ndcg => "NDCG",
            Self::HitRate => "HitRate",
        }
    }

    fn of(self, ranked: &[u32], relevant: &[u32], k: usize) -> f64 {
        let f = match self {
            Self::Recall => recall_at_k,
            Self::Ndcg => ndcg_at_k,
            Self::HitRate => hit_rate_at_k,
        };
        // Queries always have a positive, so the measure is defined.
        f(ranked, relevant, k).unwrap_or(0.0)
    }
}

/// `a` − Base over the same users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankingDifference {
    pub difference: f64,
    /// 95% paired user-bootstrap interval.
    pub ci: [f64; 2],
    pub p_value: f64,
    /// Holm-adjusted over the variants compared with Base on this measure and cut-off.
    pub p_holm: f64,
}

/// One variant's mean of a measure at a cut-off over the ranked users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankingFigure {
    pub metric: RankingMetric,
    pub k: usize,
    pub mean: f64,
    /// 95% user-bootstrap interval.
    pub ci: [f64; 2],
    pub vs_base: Option<RankingDifference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingRow {
    pub variant: Variant,
    /// Every measure at every cut-off, measure-major.
    pub figures: Vec<RankingFigure>,
}

/// The full-catalogue figures of a set of variants (`reaseq experiment --full-ranking`, and
/// the Compare page's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullRanking {
    pub format_version: u32,
    pub dataset: String,
    pub items: usize,
    /// Test users ranked: those with a liked test item not already in their log.
    pub users: usize,
    /// Test users with no such item (not ranked).
    pub users_without_positive: usize,
    /// Mean items ranked per user (the catalogue less what the user's log shows).
    pub mean_candidates: f64,
    pub replicates: usize,
    pub seed: u64,
    pub variants: Vec<RankingRow>,
    /// The same measures of a ranking by training popularity (no difference from Base).
    pub popularity: Vec<RankingFigure>,
}

impl Artifact for FullRanking {
    const KIND: &'static str = "full-catalogue ranking";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq experiment --full-ranking";
}

impl FullRanking {
    /// The figures of each variant's ranked lists (one per query, in query order), and of the
    /// popularity ranking's ([`popularity_lists`]).
    pub fn new(
        dataset: &str,
        items: usize,
        queries: &[CatalogueQuery],
        users_without_positive: usize,
        ranked: &[(Variant, Vec<Vec<u32>>)],
        popularity: &[Vec<u32>],
        boot: &BootstrapConfig,
    ) -> Result<Self> {
        if queries.is_empty() {
            return Err(Error::metric(
                "full ranking: no test user has a positive to find",
            ));
        }
        if let Some((v, r)) = ranked.iter().find(|(_, r)| r.len() != queries.len()) {
            return Err(Error::metric(format!(
                "full ranking: {} ranked {} users of {}",
                v.name(),
                r.len(),
                queries.len()
            )));
        }
        // Per variant, measure, cut-off: the per-user values.
        let values = |lists: &[Vec<u32>], m: RankingMetric, k: usize| -> Vec<f64> {
            queries
                .iter()
                .zip(lists)
                .map(|(q, top)| m.of(top, &q.relevant, k))
                .collect()
        };
        if popularity.len() != queries.len() {
            return Err(Error::metric(format!(
                "full ranking: popularity ranked {} users of {}",
                popularity.len(),
                queries.len()
            )));
        }
        // A measure's mean and interval, and with `base` its paired difference (Holm later).
        let figure = |x: &[f64], m, k, base: Option<&[f64]>| -> Result<RankingFigure> {
            let (mean, lo, hi) = mean_bootstrap(x, boot.replicates, boot.seed)?;
            let vs_base = match base {
                Some(b) => {
                    let (d, lo, hi, p) = paired_mean_bootstrap(x, b, boot.replicates, boot.seed)?;
                    Some(RankingDifference {
                        difference: d,
                        ci: [lo, hi],
                        p_value: p,
                        p_holm: p,
                    })
                }
                None => None,
            };
            Ok(RankingFigure {
                metric: m,
                k,
                mean,
                ci: [lo, hi],
                vs_base,
            })
        };
        let base = ranked.iter().find(|(v, _)| *v == Variant::Base);
        let mut variants: Vec<RankingRow> = ranked
            .iter()
            .map(|(v, _)| RankingRow {
                variant: *v,
                figures: Vec::new(),
            })
            .collect();
        let mut reference = Vec::new();
        for m in RankingMetric::ALL {
            for k in CUTOFFS {
                let base_values = base.map(|(_, b)| values(b, m, k));
                for (row, (v, lists)) in variants.iter_mut().zip(ranked) {
                    let against = base_values.as_deref().filter(|_| *v != Variant::Base);
                    row.figures
                        .push(figure(&values(lists, m, k), m, k, against)?);
                }
                let family: Vec<&mut RankingDifference> = variants
                    .iter_mut()
                    .filter_map(|r| r.figures.last_mut()?.vs_base.as_mut())
                    .collect();
                let p: Vec<f64> = family.iter().map(|d| d.p_value).collect();
                for (d, adjusted) in family.into_iter().zip(holm(&p)) {
                    d.p_holm = adjusted;
                }
                reference.push(figure(&values(popularity, m, k), m, k, None)?);
            }
        }
        let candidates: usize = queries.iter().map(|q| items - q.seen.len()).sum();
        Ok(Self {
            format_version: Self::FORMAT_VERSION,
            dataset: dataset.to_owned(),
            items,
            users: queries.len(),
            users_without_positive,
            mean_candidates: candidates as f64 / queries.len() as f64,
            replicates: boot.replicates,
            seed: boot.seed,
            variants,
            popularity: reference,
        })
    }

    pub fn figure(&self, v: Variant, m: RankingMetric, k: usize) -> Option<&RankingFigure> {
        self.variants
            .iter()
            .find(|r| r.variant == v)?
            .figures
            .iter()
            .find(|f| f.metric == m && f.k == k)
    }

    /// The figures as Markdown: a table per measure, a row per variant, a column per cut-off;
    /// under Base's means, each variant's mean, interval and difference from Base.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "{} test users of {}, each ranking {:.0} unseen items on average of {}; {} test \
             users with no new liked test item are not ranked. Mean [95% user-bootstrap \
             interval, {} replicates]; Δ = variant − Base [paired 95% interval], p Holm-adjusted \
             over the three variants. Popularity ranks by training interactions: a reference.\n",
            self.users,
            self.dataset,
            self.mean_candidates,
            self.items,
            self.users_without_positive,
            self.replicates
        );
        for m in RankingMetric::ALL {
            s.push_str(&format!("\n| {} | ", m.name()));
            s.push_str(&CUTOFFS.map(|k| format!("@{k}")).join(" | "));
            s.push_str(&format!(" |\n|---|{}\n", "---|".repeat(CUTOFFS.len())));
            s.push_str("| popularity (reference) |");
            for f in self.popularity.iter().filter(|f| f.metric == m) {
                s.push_str(&format!(
                    " {:.4} [{:.4}, {:.4}] |",
                    f.mean, f.ci[0], f.ci[1]
                ));
            }
            s.push('\n');
            for r in &self.variants {
                s.push_str(&format!("| {} |", r.variant.name()));
                for f in r.figures.iter().filter(|f| f.metric == m) {
                    s.push_str(&format!(" {:.4} [{:.4}, {:.4}]", f.mean, f.ci[0], f.ci[1]));
                    if let Some(d) = &f.vs_base {
                        s.push_str(&format!(
                            "; Δ {:+.4} [{:+.4}, {:+.4}], p {:.3}",
                            d.difference, d.ci[0], d.ci[1], d.p_holm
                        ));
                    }
                    s.push_str(" |");
                }
                s.push('\n');
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::ExperimentRows;
    use crate::ranker::{ItemFeatures, RankerConfig};

    #[test]
    fn the_top_items_skip_the_seen_break_ties_by_item_and_refuse_nan() {
        let scores = [0.5, 2.0, 2.0, -1.0, 3.0];
        assert_eq!(top_items(&scores, &[4], 3).unwrap(), vec![1, 2, 0]);
        assert_eq!(top_items(&scores, &[], 10).unwrap(), vec![4, 1, 2, 0, 3]);
        assert!(top_items(&[0.0, f32::NAN], &[], 2)
            .unwrap_err()
            .to_string()
            .contains("item 1"));
    }

    fn world() -> (Prepared, ExperimentRows, Vec<Vec<u32>>) {
        let (data, rows) = crate::experiment::rows::small_world(3);
        let gbr = (0..data.ds.num_users() as u32)
            .map(|u| vec![u % 120, (u * 7) % 120])
            .collect();
        (data, rows, gbr)
    }

    fn ranker(v: Variant, data: &Prepared, seed: u64) -> Ranker {
        let ds = &data.ds;
        let features = ItemFeatures {
            genres: ds.items.iter().map(|i| i.genres.clone()).collect(),
            num_genres: ds.genres.len(),
            rep: Some(vec![vec![0.1; 4]; ds.num_items()]),
        };
        let cfg = RankerConfig::small(v, ds.num_items(), ds.genres.len(), 4);
        Ranker::init(cfg, &features, seed).unwrap()
    }

    #[test]
    fn a_query_ranks_only_unseen_items_with_the_scores_of_its_test_impressions() {
        let (data, rows, gbr) = world();
        let (queries, without) = catalogue_queries(&data, &rows.test, &gbr);
        assert!(!queries.is_empty());
        let test_users: std::collections::BTreeSet<u32> =
            rows.test.iter().map(|e| e.user).collect();
        assert_eq!(queries.len() + without, test_users.len());
        let m = ranker(Variant::ReaSeq, &data, 5);
        let q = &queries[0];
        let mut scores = vec![0f32; data.ds.num_items()];
        let top = rank_user(&m, q, &mut scores).unwrap();
        assert_eq!(top.len(), DEPTH.min(data.ds.num_items() - q.seen.len()));
        assert!(top.iter().all(|i| q.seen.binary_search(i).is_err()));
        // A test impression's logit is the catalogue's score of its target.
        let e = rows.test.iter().find(|e| e.user == q.user).unwrap();
        let one = m.score(&e.input(&gbr)).unwrap();
        assert_eq!(one.logit, scores[e.target as usize]);
        // Threads change nothing.
        let one_thread = rank_catalogue(&m, &queries, 1, &|_| {}).unwrap();
        assert_eq!(
            one_thread,
            rank_catalogue(&m, &queries, 3, &|_| {}).unwrap()
        );
    }

    #[test]
    fn a_variant_against_itself_differs_by_nothing_and_the_figures_are_means() {
        let (data, rows, gbr) = world();
        let (queries, without) = catalogue_queries(&data, &rows.test, &gbr);
        let lists =
            |v, seed| rank_catalogue(&ranker(v, &data, seed), &queries, 2, &|_| {}).unwrap();
        let base = lists(Variant::Base, 1);
        let ranked = vec![
            (Variant::Base, base.clone()),
            (Variant::Gbr, base.clone()),
            (Variant::ReaSeq, lists(Variant::ReaSeq, 2)),
        ];
        let boot = BootstrapConfig {
            replicates: 200,
            ..BootstrapConfig::default()
        };
        let counts = data.protocol.train_popularity(&data.ds);
        let pop = popularity_lists(&queries, &counts).unwrap();
        let f = FullRanking::new(
            "w",
            data.ds.num_items(),
            &queries,
            without,
            &ranked,
            &pop,
            &boot,
        )
        .unwrap();
        assert_eq!(f.popularity.len(), 9);
        // The most popular unseen item tops every popularity list.
        let q = &queries[0];
        let best = (0..data.ds.num_items() as u32)
            .filter(|i| q.seen.binary_search(i).is_err())
            .max_by_key(|&i| (counts[i as usize], std::cmp::Reverse(i)))
            .unwrap();
        assert_eq!(pop[0][0], best);
        assert_eq!(f.variants[0].figures.len(), 9);
        let same = f.figure(Variant::Gbr, RankingMetric::Recall, 10).unwrap();
        let d = same.vs_base.unwrap();
        assert_eq!((d.difference, d.p_value), (0.0, 1.0));
        let b = f.figure(Variant::Base, RankingMetric::HitRate, 20).unwrap();
        let hits = queries
            .iter()
            .zip(&base)
            .filter(|(q, top)| top.iter().any(|i| q.relevant.contains(i)))
            .count();
        assert!((b.mean - hits as f64 / queries.len() as f64).abs() < 1e-12);
        assert!(b.ci[0] <= b.mean && b.mean <= b.ci[1]);
        assert!(b.vs_base.is_none());
        let r = f.figure(Variant::ReaSeq, RankingMetric::Ndcg, 5).unwrap();
        assert!(r.vs_base.unwrap().p_holm >= r.vs_base.unwrap().p_value);
        assert!(f.markdown().contains("| ReaSeq |"));
    }
}
