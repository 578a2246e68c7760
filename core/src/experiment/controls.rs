//! The ablation's controls: +GBR's architecture fed with sequences that carry no inference, so a
//! gain of +GBR over Base can be split into "a second block over plausible items helps" and "the
//! reasoner's inferences help"; and Base with a user embedding, for "any per-user vector
//! helps". Each control sequence but the placebo has the length of that
//! user's reasoner sequence and is made from what the reasoner reads (the logged pre-test
//! history), never from off-log or test events.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::ranker::{RankerConfig, Variant};
use crate::reasoner::baselines::{top_k, CoOccurrence, OffLogBaseline, Popularity};
use crate::reasoner::slots::{excluded_prefix, logged_items};
use crate::reasoner::GbrSlots;
use crate::rng::SeededRng;

use super::rows::ExperimentRows;

/// A control arm of the ablation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    /// The user's top items by item co-occurrence kNN over their logged history.
    CoOccurrence,
    /// The most popular training items the user has not logged.
    Popularity,
    /// Placebo: the reasoner's sequences, each given to another user.
    Shuffled,
    /// Seeded random items the user has not logged.
    Random,
    /// Capacity-matched Base: the second block reads the row's own logged history again.
    OwnHistory,
    /// Base with a learned embedding of each user: does any per-user vector do what +GBR does?
    UserEmbedding,
}

impl Control {
    pub const ALL: [Control; 6] = [
        Control::CoOccurrence,
        Control::Popularity,
        Control::Shuffled,
        Control::Random,
        Control::OwnHistory,
        Control::UserEmbedding,
    ];

    /// The name in results files, reports and the page.
    pub fn key(self) -> &'static str {
        match self {
            Control::CoOccurrence => "co-occurrence",
            Control::Popularity => "popularity",
            Control::Shuffled => "shuffled",
            Control::Random => "random",
            Control::OwnHistory => "own-history",
            Control::UserEmbedding => "user-embedding",
        }
    }

    /// What its second block reads, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Control::CoOccurrence => "co-occurrence kNN of the logged history",
            Control::Popularity => "the most popular unlogged items",
            Control::Shuffled => "another user's inferred sequence (placebo)",
            Control::Random => "random unlogged items",
            Control::OwnHistory => "the row's own logged history (capacity-matched Base)",
            Control::UserEmbedding => "Base with a learned embedding per user (no second block)",
        }
    }

    /// The ranker a control trains: +GBR's architecture, or for `user-embedding` Base with a
    /// user table over the data's `users`.
    pub fn ranker(self, cfg: RankerConfig, users: usize) -> RankerConfig {
        match self {
            Control::UserEmbedding => RankerConfig {
                variant: Variant::Base,
                ..cfg
            }
            .with_user_embedding(users),
            _ => RankerConfig {
                variant: Variant::Gbr,
                ..cfg
            },
        }
    }
}

/// The rows and second-block sequences a control trains and is scored on. Per-slot controls
/// keep the experiment's rows (and their GBR slots); `own-history` gives every row a sequence of
/// its own.
pub struct ControlInput<'a> {
    pub rows: Cow<'a, ExperimentRows>,
    pub sequences: Cow<'a, [Vec<u32>]>,
}

/// The inputs of `control` for the experiment's `rows` (already pointed at their GBR slots),
/// given the reasoner's slots `gbr`, the reasoner's history length and a seed for the random
/// draws. Each slot's control sequence reads only the logged prefix its reasoner sequence read.
pub fn control_input<'a>(
    control: Control,
    data: &Prepared,
    rows: &'a ExperimentRows,
    gbr: &GbrSlots,
    max_history: usize,
    seed: u64,
) -> Result<ControlInput<'a>> {
    let (ds, protocol) = (&data.ds, &data.protocol);
    let n_users = ds.num_users();
    if let Some(u) = gbr.users.iter().find(|&&u| u as usize >= n_users) {
        return Err(Error::Config(format!(
            "controls: a GBR slot of user {u}, the data has {n_users} users"
        )));
    }
    // Neither reads the logged prefixes the others are made from.
    match control {
        Control::OwnHistory => return Ok(own_history(rows, gbr)),
        // Base reads no second sequence.
        Control::UserEmbedding => {
            return Ok(ControlInput {
                rows: Cow::Borrowed(rows),
                sequences: Cow::Owned(Vec::new()),
            })
        }
        _ => {}
    }
    let logged: Vec<Vec<u32>> = (0..n_users as u32)
        .map(|u| logged_items(ds, protocol, u))
        .collect();
    let prefix = |k: usize| -> &[u32] {
        let l = &logged[gbr.users[k] as usize];
        &l[..(gbr.logged[k] as usize).min(l.len())]
    };
    let excluded = |k: usize| excluded_prefix(ds.num_items(), prefix(k));
    // A baseline's top list from the slot's input, as long as the slot's reasoner sequence.
    let top = |b: &dyn OffLogBaseline| -> Vec<Vec<u32>> {
        (0..gbr.len())
            .map(|k| {
                let p = prefix(k);
                let scores = b.scores(&p[p.len().saturating_sub(max_history)..]);
                top_k(&scores, &excluded(k), gbr.sequences[k].len())
            })
            .collect()
    };
    let sequences = match control {
        Control::CoOccurrence => top(&CoOccurrence::new(ds, protocol)),
        Control::Popularity => top(&Popularity::new(ds, protocol)),
        Control::Shuffled => shuffled(gbr, n_users, seed),
        Control::Random => {
            let mut rng = SeededRng::derive(seed, 41);
            (0..gbr.len())
                .map(|k| random_unlogged(&excluded(k), gbr.sequences[k].len(), &mut rng))
                .collect()
        }
        Control::OwnHistory | Control::UserEmbedding => unreachable!("returned above"),
    };
    Ok(ControlInput {
        rows: Cow::Borrowed(rows),
        sequences: Cow::Owned(sequences),
    })
}

/// Users permuted by Sattolo's shuffle (one cycle through every user, so nobody keeps their
/// own); each slot reads its user's image's last sequence.
fn shuffled(gbr: &GbrSlots, n_users: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut order: Vec<usize> = (0..n_users).collect();
    let mut rng = SeededRng::derive(seed, 43);
    for i in (1..order.len()).rev() {
        let j = rng.below(i);
        order.swap(i, j);
    }
    let last = gbr.last_slot(n_users);
    gbr.users
        .iter()
        .map(|&u| last[order[u as usize]].map_or_else(Vec::new, |j| gbr.sequences[j].clone()))
        .collect()
}

/// `n` distinct items, none of them `excluded` (fewer when fewer are left).
fn random_unlogged(excluded: &[bool], n: usize, rng: &mut SeededRng) -> Vec<u32> {
    let mut free: Vec<u32> = (0..excluded.len() as u32)
        .filter(|&i| !excluded[i as usize])
        .collect();
    rng.shuffle(&mut free);
    free.truncate(n);
    free
}

/// Each row reads its own history's most recent items (as many as its slot's reasoner
/// sequence), most recent first: rows are renumbered so each has a sequence of its own.
fn own_history<'a>(rows: &ExperimentRows, gbr: &GbrSlots) -> ControlInput<'a> {
    let mut rows = rows.clone();
    let mut sequences = Vec::with_capacity(rows.train.len() + rows.valid.len() + rows.test.len());
    for e in rows
        .train
        .iter_mut()
        .chain(rows.valid.iter_mut())
        .chain(rows.test.iter_mut())
    {
        let n = gbr.sequences.get(e.gbr_slot as usize).map_or(0, Vec::len);
        sequences.push(e.history.iter().rev().take(n).copied().collect());
        e.gbr_slot = (sequences.len() - 1) as u32;
    }
    ControlInput {
        rows: Cow::Owned(rows),
        sequences: Cow::Owned(sequences),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Part, WorldSpec};
    use crate::experiment::RowSettings;
    use crate::ranker::HistoryEvents;
    use crate::reasoner::excluded;

    fn setup(windowed: bool) -> (Prepared, ExperimentRows, GbrSlots) {
        let data = Prepared::synthetic(WorldSpec::sized(40, 120, 3)).unwrap();
        let mut rows = ExperimentRows::build(
            &data,
            &RowSettings {
                negatives: 0,
                history: HistoryEvents::Liked,
                max_history: 30,
                seed: 3,
            },
        )
        .unwrap();
        // Stand-in reasoner sequences of varying length, per user or every 4 logged events.
        let per_user: Vec<Vec<u32>> = (0..40u32)
            .map(|u| (0..(u % 6)).map(|k| (u + 7 * k) % 120).collect())
            .collect();
        let mut gbr = GbrSlots::per_user(&data.ds, &data.protocol, per_user.clone());
        if windowed {
            let mut w = GbrSlots {
                windowed: true,
                ..GbrSlots::default()
            };
            for u in 0..40u32 {
                let n = logged_items(&data.ds, &data.protocol, u).len();
                for c in crate::reasoner::slots::checkpoints(n, 4) {
                    w.users.push(u);
                    w.logged.push(c);
                    w.sequences.push(per_user[u as usize].clone());
                }
            }
            gbr = w;
        }
        for part in [&mut rows.train, &mut rows.valid, &mut rows.test] {
            gbr.assign(40, part).unwrap();
        }
        (data, rows, gbr)
    }

    #[test]
    fn every_control_matches_the_reasoner_lengths_and_reads_only_its_prefix() {
        for windowed in [false, true] {
            let (data, rows, gbr) = setup(windowed);
            for c in Control::ALL {
                let input = control_input(c, &data, &rows, &gbr, 30, 1).unwrap();
                let ranker = c.ranker(RankerConfig::small(Variant::Rep, 120, 8, 4), 40);
                if c == Control::UserEmbedding {
                    // Base, a user table, and no second sequence to read.
                    assert_eq!(ranker.variant, Variant::Base);
                    assert_eq!((ranker.users, ranker.user_dim), (40, ranker.id_dim));
                    assert!(input.sequences.is_empty());
                    continue;
                }
                assert_eq!((ranker.variant, ranker.users), (Variant::Gbr, 0));
                let r = &input.rows;
                for e in r.train.iter().chain(&r.valid).chain(&r.test) {
                    let s = &input.sequences[e.gbr_slot as usize];
                    if c == Control::OwnHistory {
                        // Only what the row's own history holds: nothing later, never its target.
                        assert!(s.iter().all(|i| e.history.contains(i)), "{c:?}");
                    }
                }
                if !matches!(
                    c,
                    Control::CoOccurrence | Control::Popularity | Control::Random
                ) {
                    continue;
                }
                for (k, s) in input.sequences.iter().enumerate() {
                    let (u, upto) = (gbr.users[k], gbr.logged[k] as usize);
                    let prefix = &logged_items(&data.ds, &data.protocol, u)[..upto];
                    let x = excluded_prefix(data.ds.num_items(), prefix);
                    assert!(s.iter().all(|&i| !x[i as usize]), "{c:?} logged item");
                    let free = x.iter().filter(|b| !**b).count();
                    assert_eq!(s.len(), gbr.sequences[k].len().min(free), "{c:?}");
                    if !windowed {
                        assert_eq!(x, excluded(&data.ds, &data.protocol, u));
                    }
                }
            }
            assert!(rows.test.iter().all(|e| e.part == Part::Test));
        }
    }

    #[test]
    fn the_placebo_gives_everyone_another_users_sequence() {
        let data = Prepared::synthetic(WorldSpec::sized(9, 120, 3)).unwrap();
        let own: Vec<Vec<u32>> = (0..9u32).map(|u| vec![u]).collect();
        let gbr = GbrSlots::per_user(&data.ds, &data.protocol, own.clone());
        let s = shuffled(&gbr, 9, 5);
        for (u, seq) in s.iter().enumerate() {
            assert_ne!(seq, &own[u]);
        }
        let mut items: Vec<u32> = s.concat();
        items.sort_unstable();
        assert_eq!(items, (0..9).collect::<Vec<_>>());
        assert_eq!(shuffled(&gbr, 9, 5), s);
        assert_ne!(shuffled(&gbr, 9, 6), s);
    }

    #[test]
    fn controls_are_seeded() {
        let (data, rows, gbr) = setup(false);
        let a = control_input(Control::Random, &data, &rows, &gbr, 30, 1).unwrap();
        let b = control_input(Control::Random, &data, &rows, &gbr, 30, 1).unwrap();
        let c = control_input(Control::Random, &data, &rows, &gbr, 30, 2).unwrap();
        assert_eq!(a.sequences, b.sequences);
        assert_ne!(a.sequences, c.sequences);
        let mut bad = gbr.clone();
        bad.users[0] = 99;
        assert!(control_input(Control::Random, &data, &rows, &bad, 30, 1).is_err());
    }
}
