//! What the reasoner infers across the population, next to what the users logged and what they
//! really did off the log: coverage of the catalogue, novelty, and the popularity and genre mix.
//! One user at a time cannot show whether the inferences collapse onto the head or miss a genre.

use serde::{Deserialize, Serialize};

use crate::data::protocol::{PopularityBucket, PopularityBuckets, Protocol};
use crate::data::Dataset;

use super::history::{logged_history, off_log_items};

/// Shares of events on head, long-tail and cold (never trained on) items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopularityMix {
    pub head: f64,
    pub long_tail: f64,
    pub cold: f64,
}

/// One population of events (inferred, logged or off-log) over the evaluated users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Events counted (one per item in a user's list).
    pub events: usize,
    /// Distinct items among them, as a share of the catalogue.
    pub coverage: f64,
    /// Mean self-information −log₂ p(i) of the events, p(i) the item's share of training
    /// interactions (add-one smoothed, so cold items are finite).
    pub novelty: f64,
    pub popularity: PopularityMix,
    /// Each genre's share of the events' genres (an item of two genres counts half to each),
    /// in the dataset's genre order; empty when the items carry no genres.
    pub genres: Vec<(String, f64)>,
}

/// The reasoner's inferences, the logged histories and the real off-log behaviour of the same
/// users, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationReport {
    pub users: usize,
    pub inferred: Population,
    pub logged: Population,
    pub off_log: Population,
}

impl PopulationReport {
    /// The three populations with their names, in the order the tables show them.
    pub fn rows(&self) -> [(&'static str, &Population); 3] {
        [
            ("inferred", &self.inferred),
            ("logged", &self.logged),
            ("off-log", &self.off_log),
        ]
    }
}

/// What every population is measured against: the training popularity and its buckets.
struct Reference {
    counts: Vec<u32>,
    buckets: PopularityBuckets,
}

impl Reference {
    fn new(ds: &Dataset, protocol: &Protocol) -> Self {
        let counts = protocol.train_popularity(ds);
        let buckets = PopularityBuckets::new(&counts, PopularityBuckets::HEAD_SHARE);
        Self { counts, buckets }
    }
}

/// The population of `lists` (one list of items per user in `users`, indexed by user).
pub fn population(
    ds: &Dataset,
    protocol: &Protocol,
    users: &[u32],
    lists: &[Vec<u32>],
) -> Population {
    measure(ds, &Reference::new(ds, protocol), users, lists)
}

fn measure(ds: &Dataset, reference: &Reference, users: &[u32], lists: &[Vec<u32>]) -> Population {
    let Reference { counts, buckets } = reference;
    let total: f64 = counts.iter().map(|&c| f64::from(c)).sum();
    let smoothed = total + ds.num_items() as f64;
    let mut seen = vec![false; ds.num_items()];
    let mut genre_mass = vec![0.0; ds.genres.len()];
    let (mut events, mut info) = (0usize, 0.0);
    let mut by_bucket = [0usize; 3];
    for &u in users {
        for &i in lists.get(u as usize).map_or(&[][..], Vec::as_slice) {
            let Some(item) = ds.items.get(i as usize) else {
                continue;
            };
            events += 1;
            seen[i as usize] = true;
            let c = counts.get(i as usize).copied().unwrap_or(0);
            info -= ((f64::from(c) + 1.0) / smoothed).log2();
            by_bucket[match buckets.of(i) {
                PopularityBucket::Head => 0,
                PopularityBucket::LongTail => 1,
                PopularityBucket::Cold => 2,
            }] += 1;
            let share = 1.0 / item.genres.len().max(1) as f64;
            for &g in &item.genres {
                if let Some(m) = genre_mass.get_mut(g as usize) {
                    *m += share;
                }
            }
        }
    }
    let of = |n: usize| {
        if events == 0 {
            0.0
        } else {
            n as f64 / events as f64
        }
    };
    let mass: f64 = genre_mass.iter().sum();
    let genres = if mass > 0.0 {
        ds.genres
            .names()
            .iter()
            .zip(&genre_mass)
            .map(|(name, m)| (name.clone(), m / mass))
            .collect()
    } else {
        Vec::new()
    };
    Population {
        events,
        coverage: seen.iter().filter(|&&s| s).count() as f64 / ds.num_items().max(1) as f64,
        novelty: if events == 0 {
            0.0
        } else {
            info / events as f64
        },
        popularity: PopularityMix {
            head: of(by_bucket[0]),
            long_tail: of(by_bucket[1]),
            cold: of(by_bucket[2]),
        },
        genres,
    }
}

/// The three populations of `users`: `inferred` (indexed by user), their logged pre-test
/// histories (the last `max_history` events, what the reasoner reads) and their off-log events.
pub fn population_report(
    ds: &Dataset,
    protocol: &Protocol,
    users: &[u32],
    inferred: &[Vec<u32>],
    max_history: usize,
) -> PopulationReport {
    let per_user = |f: &dyn Fn(u32) -> Vec<u32>| -> Vec<Vec<u32>> {
        let mut v = vec![Vec::new(); ds.num_users()];
        for &u in users {
            v[u as usize] = f(u);
        }
        v
    };
    let logged = per_user(&|u| logged_history(ds, protocol, u, max_history));
    let off_log = per_user(&|u| off_log_items(ds, protocol, u));
    let reference = Reference::new(ds, protocol);
    PopulationReport {
        users: users.len(),
        inferred: measure(ds, &reference, users, inferred),
        logged: measure(ds, &reference, users, &logged),
        off_log: measure(ds, &reference, users, &off_log),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Prepared, WorldSpec};

    #[test]
    fn shares_add_up_and_a_list_of_one_item_covers_one_item() {
        let data = Prepared::synthetic(WorldSpec::sized(40, 120, 3)).unwrap();
        let (ds, protocol) = (&data.ds, &data.protocol);
        let users: Vec<u32> = (0..ds.num_users() as u32).collect();
        let report = population_report(ds, protocol, &users, &vec![vec![0, 1]; 40], 30);
        for p in [&report.inferred, &report.logged, &report.off_log] {
            let m = &p.popularity;
            assert!((m.head + m.long_tail + m.cold - 1.0).abs() < 1e-9, "{m:?}");
            let g: f64 = p.genres.iter().map(|(_, s)| s).sum();
            assert!((g - 1.0).abs() < 1e-9, "{g}");
            assert!(p.novelty > 0.0 && p.coverage > 0.0 && p.coverage <= 1.0);
        }
        assert_eq!(report.inferred.events, 80);
        assert!((report.inferred.coverage - 2.0 / ds.num_items() as f64).abs() < 1e-12);
        // The most popular item is less novel than the least popular one.
        let counts = protocol.train_popularity(ds);
        let top = (0..counts.len()).max_by_key(|&i| counts[i]).unwrap() as u32;
        let rare = (0..counts.len()).min_by_key(|&i| counts[i]).unwrap() as u32;
        assert!(counts[top as usize] > counts[rare as usize]);
        let one = |i: u32| population(ds, protocol, &[0], &[vec![i]]).novelty;
        assert!(one(top) < one(rare), "{} vs {}", one(top), one(rare));
    }

    #[test]
    fn no_lists_give_no_events_and_no_nan() {
        let data = Prepared::synthetic(WorldSpec::sized(20, 120, 1)).unwrap();
        let p = population(&data.ds, &data.protocol, &[0, 1], &[]);
        assert_eq!(p.events, 0);
        assert_eq!(p.novelty, 0.0);
        assert_eq!(p.popularity.head, 0.0);
        assert!(p.genres.is_empty());
    }
}
