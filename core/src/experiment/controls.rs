//! The ablation's controls: +GBR's architecture fed with sequences that carry no inference, so a
//! gain of +GBR over Base can be split into "a second block over plausible items helps" and "the
//! reasoner's inferences help". Each control sequence but the placebo has the length of that
//! user's reasoner sequence and is made from what the reasoner reads (the logged pre-test
//! history), never from off-log or test events.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::reasoner::baselines::{top_k, CoOccurrence, OffLogBaseline, Popularity};
use crate::reasoner::{excluded, logged_history};
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
}

impl Control {
    pub const ALL: [Control; 5] = [
        Control::CoOccurrence,
        Control::Popularity,
        Control::Shuffled,
        Control::Random,
        Control::OwnHistory,
    ];

    /// The name in results files, reports and the page.
    pub fn key(self) -> &'static str {
        match self {
            Control::CoOccurrence => "co-occurrence",
            Control::Popularity => "popularity",
            Control::Shuffled => "shuffled",
            Control::Random => "random",
            Control::OwnHistory => "own-history",
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
        }
    }
}

/// The rows and second-block sequences a control trains and is scored on. Per-user controls
/// keep the experiment's rows; `own-history` gives every row a sequence of its own.
pub struct ControlInput<'a> {
    pub rows: Cow<'a, ExperimentRows>,
    pub sequences: Vec<Vec<u32>>,
}

/// The inputs of `control` for the experiment's `rows`, given the reasoner's sequences `gbr`
/// (one per user), the reasoner's history length and a seed for the random draws.
pub fn control_input<'a>(
    control: Control,
    data: &Prepared,
    rows: &'a ExperimentRows,
    gbr: &[Vec<u32>],
    max_history: usize,
    seed: u64,
) -> Result<ControlInput<'a>> {
    let (ds, protocol) = (&data.ds, &data.protocol);
    if gbr.len() != ds.num_users() {
        return Err(Error::Config(format!(
            "controls: {} GBR sequences for {} users",
            gbr.len(),
            ds.num_users()
        )));
    }
    let users: Vec<u32> = (0..ds.num_users() as u32).collect();
    // A baseline's top list from the reasoner's input, as long as the user's reasoner sequence.
    let top = |b: &dyn OffLogBaseline| -> Vec<Vec<u32>> {
        users
            .iter()
            .zip(gbr)
            .map(|(&u, g)| {
                let scores = b.scores(&logged_history(ds, protocol, u, max_history));
                top_k(&scores, &excluded(ds, protocol, u), g.len())
            })
            .collect()
    };
    let sequences = match control {
        Control::CoOccurrence => top(&CoOccurrence::new(ds, protocol)),
        Control::Popularity => top(&Popularity::new(ds, protocol)),
        Control::Shuffled => shuffled(gbr, seed),
        Control::Random => {
            let mut rng = SeededRng::derive(seed, 41);
            users
                .iter()
                .zip(gbr)
                .map(|(&u, g)| random_unlogged(&excluded(ds, protocol, u), g.len(), &mut rng))
                .collect()
        }
        Control::OwnHistory => return Ok(own_history(rows, gbr)),
    };
    Ok(ControlInput {
        rows: Cow::Borrowed(rows),
        sequences,
    })
}

/// Sattolo's shuffle: one cycle through every user, so nobody keeps their own sequence.
fn shuffled(gbr: &[Vec<u32>], seed: u64) -> Vec<Vec<u32>> {
    let mut order: Vec<usize> = (0..gbr.len()).collect();
    let mut rng = SeededRng::derive(seed, 43);
    for i in (1..order.len()).rev() {
        let j = rng.below(i);
        order.swap(i, j);
    }
    order.iter().map(|&j| gbr[j].clone()).collect()
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

/// Each row reads its own history's most recent items (as many as its user's reasoner
/// sequence), most recent first: rows are renumbered so each has a sequence of its own.
fn own_history<'a>(rows: &ExperimentRows, gbr: &[Vec<u32>]) -> ControlInput<'a> {
    let mut rows = rows.clone();
    let mut sequences = Vec::with_capacity(rows.train.len() + rows.valid.len() + rows.test.len());
    for e in rows
        .train
        .iter_mut()
        .chain(rows.valid.iter_mut())
        .chain(rows.test.iter_mut())
    {
        let n = gbr.get(e.user as usize).map_or(0, Vec::len);
        sequences.push(e.history.iter().rev().take(n).copied().collect());
        e.gbr_user = (sequences.len() - 1) as u32;
    }
    ControlInput {
        rows: Cow::Owned(rows),
        sequences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Part, WorldSpec};
    use crate::experiment::RowSettings;
    use crate::ranker::HistoryEvents;

    fn setup() -> (Prepared, ExperimentRows, Vec<Vec<u32>>) {
        let data = Prepared::synthetic(WorldSpec {
            users: 40,
            items: 120,
            seed: 3,
        })
        .unwrap();
        let rows = ExperimentRows::build(
            &data,
            &RowSettings {
                negatives: 0,
                history: HistoryEvents::Liked,
                max_history: 30,
                seed: 3,
            },
        )
        .unwrap();
        // Stand-in reasoner sequences of varying length.
        let gbr = (0..40u32)
            .map(|u| (0..(u % 6)).map(|k| (u + 7 * k) % 120).collect())
            .collect();
        (data, rows, gbr)
    }

    #[test]
    fn every_control_matches_the_reasoner_lengths_and_avoids_logged_items() {
        let (data, rows, gbr) = setup();
        for c in Control::ALL {
            let input = control_input(c, &data, &rows, &gbr, 30, 1).unwrap();
            let all = || {
                let r = &input.rows;
                r.train.iter().chain(&r.valid).chain(&r.test)
            };
            for e in all() {
                let s = &input.sequences[e.gbr_user as usize];
                if c != Control::Shuffled {
                    assert!(s.len() <= gbr[e.user as usize].len(), "{c:?} too long");
                }
                if c == Control::OwnHistory {
                    // Only what the row's own history holds: nothing later, never its target.
                    assert!(s.iter().all(|i| e.history.contains(i)), "{c:?}");
                }
            }
            if matches!(
                c,
                Control::CoOccurrence | Control::Popularity | Control::Random
            ) {
                for (u, s) in input.sequences.iter().enumerate() {
                    let x = excluded(&data.ds, &data.protocol, u as u32);
                    assert!(s.iter().all(|&i| !x[i as usize]), "{c:?} logged item");
                    assert_eq!(s.len(), gbr[u].len().min(x.iter().filter(|b| !**b).count()));
                }
            }
        }
        assert!(rows.test.iter().all(|e| e.part == Part::Test));
    }

    #[test]
    fn the_placebo_gives_everyone_another_users_sequence() {
        let gbr: Vec<Vec<u32>> = (0..9u32).map(|u| vec![u]).collect();
        let s = shuffled(&gbr, 5);
        for (u, seq) in s.iter().enumerate() {
            assert_ne!(seq, &gbr[u]);
        }
        let mut items: Vec<u32> = s.concat();
        items.sort_unstable();
        assert_eq!(items, (0..9).collect::<Vec<_>>());
        assert_eq!(shuffled(&gbr, 5), s);
        assert_ne!(shuffled(&gbr, 6), s);
    }

    #[test]
    fn controls_are_seeded() {
        let (data, rows, gbr) = setup();
        let a = control_input(Control::Random, &data, &rows, &gbr, 30, 1).unwrap();
        let b = control_input(Control::Random, &data, &rows, &gbr, 30, 1).unwrap();
        let c = control_input(Control::Random, &data, &rows, &gbr, 30, 2).unwrap();
        assert_eq!(a.sequences, b.sequences);
        assert_ne!(a.sequences, c.sequences);
        assert!(control_input(Control::Random, &data, &rows, &gbr[..3], 30, 1).is_err());
    }
}
