//! The evaluation protocol: a chronological per-user split, the beyond-log modes that hide part
//! of each user's behaviour from the ranker, impressions (with optional sampled negatives) and
//! the slices used in evaluation.

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, LabelPolicy};
use crate::error::{Error, Result};
use crate::rng::SeededRng;

/// Where an interaction sits in the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Part {
    Train,
    Valid,
    Test,
    /// Real behaviour the ranker never sees (the reasoner's supervision and target).
    OffLog,
}

/// Per user (or, with [`SplitKind::Global`], at one cut time for everyone): the last
/// `test_frac` of events are test, then off-log events are hidden from the rest, then the last
/// `valid_frac` of what is left is validation. Per user, every user with three or more events
/// gets at least one train, one validation and one test event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    pub valid_frac: f64,
    pub test_frac: f64,
    #[serde(default)]
    pub kind: SplitKind,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            valid_frac: 0.1,
            test_frac: 0.1,
            kind: SplitKind::PerUser,
        }
    }
}

/// Where the test and validation cuts fall.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// Each user's own last events: one user's training events may follow another's test.
    #[default]
    PerUser,
    /// One time for everyone: no training or validation event is later than any test event.
    Global,
}

impl SplitKind {
    pub fn is_per_user(&self) -> bool {
        *self == Self::PerUser
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "user" | "per-user" => Ok(Self::PerUser),
            "global" => Ok(Self::Global),
            other => Err(Error::Config(format!(
                "unknown split '{other}' (available: user, global)"
            ))),
        }
    }
}

/// The timestamp at which the last `frac` of `ts` begins (events at or after it are cut off).
fn cut_time(mut ts: Vec<i64>, frac: f64) -> i64 {
    ts.sort_unstable();
    let k = ((ts.len() as f64) * (1.0 - frac)).floor() as usize;
    ts.get(k).copied().unwrap_or(i64::MAX)
}

/// Which pre-test behaviour is off-log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BeyondLog {
    /// Everything is logged.
    None,
    /// A seeded random fraction `rho` of each user's pre-test events.
    Random { rho: f64 },
    /// Every pre-test event on an item in one of these genres (indices into `Dataset::genres`).
    Domain { genres: Vec<u32> },
    /// The last `m` pre-test events of each user (the behaviour right after the log ends).
    Future { m: usize },
    /// Given per interaction (the synthetic world plants its own).
    Planted { off_log: Vec<bool> },
}

impl BeyondLog {
    /// A short name with parameters, recorded with everything derived under this mode.
    pub fn describe(&self) -> String {
        match self {
            BeyondLog::None => "none".into(),
            BeyondLog::Random { rho } => format!("random rho={rho}"),
            BeyondLog::Domain { genres } => format!("domain genres={genres:?}"),
            BeyondLog::Future { m } => format!("future m={m}"),
            BeyondLog::Planted { .. } => "planted".into(),
        }
    }

    /// A domain mode whose held-out genres are picked with `seed` until they cover at least
    /// `share` of all interactions.
    pub fn domain_with_share(ds: &Dataset, share: f64, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&share) {
            return Err(Error::Config(format!(
                "domain share must be in [0, 1), got {share}"
            )));
        }
        if ds.genres.is_empty() {
            return Err(Error::Config(
                "domain mode needs item genres, and this dataset has none".into(),
            ));
        }
        let mut order: Vec<u32> = (0..ds.genres.len() as u32).collect();
        SeededRng::derive(seed, 11).shuffle(&mut order);
        let total = ds.interactions.len().max(1) as f64;
        let mut chosen = Vec::new();
        let mut covered = vec![false; ds.num_items()];
        let mut count = 0usize;
        let per_item = item_counts(ds);
        for g in order {
            if count as f64 / total >= share {
                break;
            }
            chosen.push(g);
            for (i, it) in ds.items.iter().enumerate() {
                if !covered[i] && it.genres.contains(&g) {
                    covered[i] = true;
                    count += per_item[i] as usize;
                }
            }
        }
        Ok(BeyondLog::Domain { genres: chosen })
    }
}

fn item_counts(ds: &Dataset) -> Vec<u32> {
    let mut c = vec![0u32; ds.num_items()];
    for x in &ds.interactions {
        c[x.item as usize] += 1;
    }
    c
}

/// The protocol applied to one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Aligned with `Dataset::interactions`.
    pub parts: Vec<Part>,
    /// Per user, interaction indices in time order.
    pub timelines: Vec<Vec<u32>>,
}

impl Protocol {
    pub fn new(ds: &Dataset, split: SplitConfig, mode: &BeyondLog, seed: u64) -> Result<Self> {
        for (name, f) in [
            ("valid_frac", split.valid_frac),
            ("test_frac", split.test_frac),
        ] {
            if !(0.0..0.5).contains(&f) {
                return Err(Error::Config(format!(
                    "{name} must be in [0, 0.5), got {f}"
                )));
            }
        }
        match mode {
            BeyondLog::Random { rho } if !(0.0..1.0).contains(rho) => {
                return Err(Error::Config(format!("rho must be in [0, 1), got {rho}")));
            }
            BeyondLog::Planted { off_log } if off_log.len() != ds.interactions.len() => {
                return Err(Error::Config(format!(
                    "planted off-log mask has {} entries for {} interactions",
                    off_log.len(),
                    ds.interactions.len()
                )));
            }
            _ => {}
        }
        let timelines = ds.timelines();
        let mut parts = vec![Part::Train; ds.interactions.len()];
        let mut rng = SeededRng::derive(seed, 7);
        let ts = |i: &u32| ds.interactions[*i as usize].timestamp;
        // Global split: one test cut for everyone (sorting every timestamp, so only then), and
        // every user's logged pre-test events, validated at one cut afterwards.
        let test_cut = (split.kind == SplitKind::Global).then(|| {
            let all = ds.interactions.iter().map(|x| x.timestamp).collect();
            cut_time(all, split.test_frac)
        });
        let global = test_cut.is_some();
        let mut all_logged: Vec<u32> = Vec::new();
        for seq in &timelines {
            let n = seq.len();
            let n_test = if let Some(cut) = test_cut {
                seq.iter().filter(|i| ts(i) >= cut).count()
            } else if n >= 3 {
                ((n as f64 * split.test_frac).round() as usize).max(1)
            } else {
                0
            };
            let pre = &seq[..n - n_test];
            for &i in &seq[n - n_test..] {
                parts[i as usize] = Part::Test;
            }
            // Off-log selection among pre-test events; keep at least two logged events.
            let mut off = vec![false; pre.len()];
            match mode {
                BeyondLog::None => {}
                BeyondLog::Random { rho } => {
                    for o in off.iter_mut() {
                        *o = rng.chance(*rho);
                    }
                }
                BeyondLog::Domain { genres } => {
                    for (o, &i) in off.iter_mut().zip(pre) {
                        let item = &ds.items[ds.interactions[i as usize].item as usize];
                        *o = item.genres.iter().any(|g| genres.contains(g));
                    }
                }
                BeyondLog::Future { m } => {
                    let k = (*m).min(pre.len().saturating_sub(2));
                    for o in off.iter_mut().rev().take(k) {
                        *o = true;
                    }
                }
                BeyondLog::Planted { off_log } => {
                    for (o, &i) in off.iter_mut().zip(pre) {
                        *o = off_log[i as usize];
                    }
                }
            }
            let mut logged: Vec<u32> = Vec::with_capacity(pre.len());
            for (&i, &o) in pre.iter().zip(&off) {
                if o {
                    parts[i as usize] = Part::OffLog;
                } else {
                    logged.push(i);
                }
            }
            if global {
                all_logged.extend(&logged);
            } else if n >= 3 && !logged.is_empty() {
                let n_valid = ((logged.len() as f64 * split.valid_frac).round() as usize)
                    .max(1)
                    .min(logged.len().saturating_sub(1));
                for &i in &logged[logged.len() - n_valid..] {
                    parts[i as usize] = Part::Valid;
                }
            }
        }
        if global {
            let valid_cut = cut_time(all_logged.iter().map(ts).collect(), split.valid_frac);
            for i in all_logged.into_iter().filter(|i| ts(i) >= valid_cut) {
                parts[i as usize] = Part::Valid;
            }
        }
        Ok(Self { parts, timelines })
    }

    pub fn count(&self, part: Part) -> usize {
        self.parts.iter().filter(|&&p| p == part).count()
    }

    /// A user's events of one part, in time order.
    pub fn events(&self, user: u32, part: Part) -> impl Iterator<Item = u32> + '_ {
        self.timelines[user as usize]
            .iter()
            .copied()
            .filter(move |&i| self.parts[i as usize] == part)
    }

    /// Interactions per item in the training part only (no leakage into slices or baselines).
    pub fn train_popularity(&self, ds: &Dataset) -> Vec<u32> {
        let mut c = vec![0u32; ds.num_items()];
        for (x, p) in ds.interactions.iter().zip(&self.parts) {
            if *p == Part::Train {
                c[x.item as usize] += 1;
            }
        }
        c
    }
}

/// One row the ranker is trained or evaluated on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Impression {
    pub user: u32,
    pub item: u32,
    pub timestamp: i64,
    pub label: bool,
    pub part: Part,
    /// Drawn as a negative from items the user never interacted with.
    pub sampled: bool,
}

/// Impressions of the train, validation and test parts (never off-log), and with
/// `negatives_per_event > 0` that many sampled negatives per event, drawn with `seed` from items
/// the user has no interaction with at all.
pub fn impressions(
    ds: &Dataset,
    protocol: &Protocol,
    policy: LabelPolicy,
    negatives_per_event: usize,
    seed: u64,
) -> Result<Vec<Impression>> {
    let mut out = Vec::with_capacity(ds.interactions.len() * (1 + negatives_per_event));
    let mut rng = SeededRng::derive(seed, 13);
    let mut seen = vec![u32::MAX; ds.num_items()];
    for (u, seq) in protocol.timelines.iter().enumerate() {
        // Mark the user's items (counting distinct ones) so negatives can avoid them.
        let mut distinct = 0;
        for &i in seq {
            let item = ds.interactions[i as usize].item as usize;
            if seen[item] != u as u32 {
                seen[item] = u as u32;
                distinct += 1;
            }
        }
        let unseen = ds.num_items() - distinct;
        if negatives_per_event > 0 && unseen == 0 {
            return Err(Error::Config(format!(
                "user '{}' has interacted with every item: no negatives can be sampled",
                ds.users.name(u as u32)
            )));
        }
        for &i in seq {
            let x = &ds.interactions[i as usize];
            let part = protocol.parts[i as usize];
            if part == Part::OffLog {
                continue;
            }
            out.push(Impression {
                user: x.user,
                item: x.item,
                timestamp: x.timestamp,
                label: policy.label(x),
                part,
                sampled: false,
            });
            for _ in 0..negatives_per_event {
                let item = loop {
                    let j = rng.below(ds.num_items());
                    if seen[j] != u as u32 {
                        break j as u32;
                    }
                };
                out.push(Impression {
                    user: x.user,
                    item,
                    timestamp: x.timestamp,
                    label: false,
                    part,
                    sampled: true,
                });
            }
        }
    }
    Ok(out)
}

/// Item popularity slice, from training counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PopularityBucket {
    /// No training interaction.
    Cold,
    /// Seen in training but outside the head.
    LongTail,
    /// The most popular items that together hold `head_share` of training interactions.
    Head,
}

pub struct PopularityBuckets {
    bucket: Vec<PopularityBucket>,
}

impl PopularityBuckets {
    /// The head share every slice and population measure uses: the most popular items holding
    /// half of the training interactions.
    pub const HEAD_SHARE: f64 = 0.5;

    /// The head is the smallest set of most popular items holding at least `head_share` (e.g.
    /// 0.5) of training interactions.
    pub fn new(train_counts: &[u32], head_share: f64) -> Self {
        let total: u64 = train_counts.iter().map(|&c| c as u64).sum();
        let mut order: Vec<usize> = (0..train_counts.len()).collect();
        order.sort_by(|&a, &b| train_counts[b].cmp(&train_counts[a]).then(a.cmp(&b)));
        let mut bucket: Vec<PopularityBucket> = train_counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    PopularityBucket::Cold
                } else {
                    PopularityBucket::LongTail
                }
            })
            .collect();
        let mut acc = 0u64;
        for i in order {
            if total == 0 || acc as f64 >= head_share * total as f64 {
                break;
            }
            acc += train_counts[i] as u64;
            bucket[i] = PopularityBucket::Head;
        }
        Self { bucket }
    }

    pub fn of(&self, item: u32) -> PopularityBucket {
        self.bucket
            .get(item as usize)
            .copied()
            .unwrap_or(PopularityBucket::Cold)
    }
}

/// History-length slice: the index of the first edge that `len` does not exceed (edges sorted
/// ascending); `edges.len()` when it exceeds them all.
pub fn history_bucket(len: usize, edges: &[usize]) -> usize {
    edges.iter().position(|&e| len <= e).unwrap_or(edges.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic::{SyntheticConfig, SyntheticWorld};

    fn world() -> SyntheticWorld {
        SyntheticWorld::generate(&SyntheticConfig {
            users: 40,
            items: 60,
            min_events: 8,
            max_events: 25,
            ..SyntheticConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn split_is_chronological_and_complete() {
        let w = world();
        let ds = &w.dataset;
        let p = Protocol::new(ds, SplitConfig::default(), &BeyondLog::None, 1).unwrap();
        assert_eq!(p.count(Part::OffLog), 0);
        for (u, seq) in p.timelines.iter().enumerate() {
            let ts = |i: u32| ds.interactions[i as usize].timestamp;
            let last_train = p.events(u as u32, Part::Train).map(ts).max().unwrap();
            let first_valid = p.events(u as u32, Part::Valid).map(ts).min().unwrap();
            let first_test = p.events(u as u32, Part::Test).map(ts).min().unwrap();
            let last_valid = p.events(u as u32, Part::Valid).map(ts).max().unwrap();
            assert!(last_train <= first_valid && last_valid <= first_test);
            assert!(seq.len() >= 3);
        }
    }

    #[test]
    fn the_global_split_cuts_everyone_at_one_time() {
        let w = world();
        let ds = &w.dataset;
        let split = SplitConfig {
            kind: SplitKind::Global,
            ..SplitConfig::default()
        };
        let p = Protocol::new(ds, split, &BeyondLog::Random { rho: 0.3 }, 1).unwrap();
        let ts = |part: Part| {
            ds.interactions
                .iter()
                .zip(&p.parts)
                .filter(move |(_, q)| **q == part)
                .map(|(x, _)| x.timestamp)
        };
        let first_test = ts(Part::Test).min().unwrap();
        let (last_train, first_valid) = (
            ts(Part::Train).max().unwrap(),
            ts(Part::Valid).min().unwrap(),
        );
        assert!(ts(Part::Valid).max().unwrap() < first_test);
        assert!(last_train <= first_valid && ts(Part::OffLog).max().unwrap() < first_test);
        let share = p.count(Part::Test) as f64 / ds.interactions.len() as f64;
        assert!((share - 0.1).abs() < 0.03, "test share {share}");
        // Per user, some users' training events follow others' test events; globally none do.
        let per_user = Protocol::new(ds, SplitConfig::default(), &BeyondLog::None, 1).unwrap();
        let (mut pu_train, mut pu_test) = (i64::MIN, i64::MAX);
        for (x, q) in ds.interactions.iter().zip(&per_user.parts) {
            match q {
                Part::Train => pu_train = pu_train.max(x.timestamp),
                Part::Test => pu_test = pu_test.min(x.timestamp),
                _ => {}
            }
        }
        assert!(
            pu_train > pu_test,
            "the per-user split should overlap on this world"
        );
        assert!(SplitKind::parse("global").is_ok() && SplitKind::parse("x").is_err());
    }

    #[test]
    fn random_mode_hides_about_rho_and_never_test() {
        let w = world();
        let ds = &w.dataset;
        let base = Protocol::new(ds, SplitConfig::default(), &BeyondLog::None, 1).unwrap();
        let p = Protocol::new(
            ds,
            SplitConfig::default(),
            &BeyondLog::Random { rho: 0.3 },
            1,
        )
        .unwrap();
        let pre = ds.interactions.len() - base.count(Part::Test);
        let share = p.count(Part::OffLog) as f64 / pre as f64;
        assert!((share - 0.3).abs() < 0.05, "off-log share {share}");
        assert_eq!(p.count(Part::Test), base.count(Part::Test));
        let again = Protocol::new(
            ds,
            SplitConfig::default(),
            &BeyondLog::Random { rho: 0.3 },
            1,
        )
        .unwrap();
        assert_eq!(again, p);
        let other = Protocol::new(
            ds,
            SplitConfig::default(),
            &BeyondLog::Random { rho: 0.3 },
            2,
        )
        .unwrap();
        assert_ne!(other, p);
    }

    #[test]
    fn future_mode_hides_the_events_right_before_test() {
        let w = world();
        let ds = &w.dataset;
        let p = Protocol::new(ds, SplitConfig::default(), &BeyondLog::Future { m: 3 }, 1).unwrap();
        for (u, seq) in p.timelines.iter().enumerate() {
            let off: Vec<u32> = p.events(u as u32, Part::OffLog).collect();
            assert_eq!(off.len(), 3);
            let first_test = seq
                .iter()
                .position(|&i| p.parts[i as usize] == Part::Test)
                .unwrap();
            assert_eq!(&seq[first_test - 3..first_test], &off[..]);
        }
    }

    #[test]
    fn domain_mode_hides_exactly_the_held_out_genres() {
        let w = world();
        let ds = &w.dataset;
        let mode = BeyondLog::domain_with_share(ds, 0.2, 5).unwrap();
        let BeyondLog::Domain { genres } = &mode else {
            panic!()
        };
        assert!(!genres.is_empty());
        let p = Protocol::new(ds, SplitConfig::default(), &mode, 1).unwrap();
        for (i, x) in ds.interactions.iter().enumerate() {
            let held = ds.items[x.item as usize]
                .genres
                .iter()
                .any(|g| genres.contains(g));
            if p.parts[i] == Part::OffLog {
                assert!(held);
            } else if p.parts[i] != Part::Test {
                assert!(!held);
            }
        }
    }

    #[test]
    fn sampled_negatives_are_unseen_items() {
        let w = world();
        let ds = &w.dataset;
        let p = Protocol::new(
            ds,
            SplitConfig::default(),
            &BeyondLog::Random { rho: 0.3 },
            1,
        )
        .unwrap();
        let imps = impressions(ds, &p, LabelPolicy::default(), 2, 9).unwrap();
        let logged = ds.interactions.len() - p.count(Part::OffLog);
        assert_eq!(imps.len(), logged * 3);
        for imp in imps.iter().filter(|i| i.sampled) {
            assert!(!imp.label);
            assert!(!ds
                .interactions
                .iter()
                .any(|x| x.user == imp.user && x.item == imp.item));
        }
    }

    #[test]
    fn popularity_and_history_buckets() {
        let b = PopularityBuckets::new(&[10, 0, 1, 5, 1], 0.5);
        assert_eq!(b.of(0), PopularityBucket::Head);
        assert_eq!(b.of(1), PopularityBucket::Cold);
        assert_eq!(b.of(2), PopularityBucket::LongTail);
        assert_eq!(b.of(3), PopularityBucket::LongTail);
        assert_eq!(history_bucket(5, &[10, 50]), 0);
        assert_eq!(history_bucket(10, &[10, 50]), 0);
        assert_eq!(history_bucket(11, &[10, 50]), 1);
        assert_eq!(history_bucket(51, &[10, 50]), 2);
    }
}
