//! Which GBR sequence each ranker row reads. Per user, one sequence is inferred from the whole
//! logged pre-test history, so a training row's sequence is conditioned on events after it
//! (its own target among them). Time-windowed, a user's sequence is inferred at checkpoints of
//! their logged timeline, each from the logged events before it only, and a row reads the latest
//! checkpoint at or before its own place in the log: no row's sequence has seen its target or
//! anything later.

use crate::data::protocol::{Part, Protocol};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::ranker::RankerExample;

/// GBR sequences with the user and the logged prefix each was inferred from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GbrSlots {
    /// Per slot: its user.
    pub users: Vec<u32>,
    /// Per slot: how many of the user's logged events its history covers (a prefix).
    pub logged: Vec<u32>,
    /// Per slot: the inferred items, most confident first.
    pub sequences: Vec<Vec<u32>>,
    /// Time-windowed (rows read the latest checkpoint before them), or one slot per user that
    /// every row of the user reads.
    pub windowed: bool,
}

impl GbrSlots {
    /// One slot per user (slot = user), inferred from the whole logged pre-test history.
    pub fn per_user(ds: &Dataset, protocol: &Protocol, sequences: Vec<Vec<u32>>) -> Self {
        let users = (0..sequences.len() as u32).collect();
        let logged = (0..sequences.len() as u32)
            .map(|u| logged_items(ds, protocol, u).len() as u32)
            .collect();
        Self {
            users,
            logged,
            sequences,
            windowed: false,
        }
    }

    pub fn len(&self) -> usize {
        self.sequences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sequences.is_empty()
    }

    /// Per user, their slots in order of the prefix they cover.
    fn by_user(&self, num_users: usize) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); num_users];
        for (k, &u) in self.users.iter().enumerate() {
            if let Some(v) = out.get_mut(u as usize) {
                v.push(k);
            }
        }
        for v in &mut out {
            v.sort_by_key(|&k| self.logged[k]);
        }
        out
    }

    /// Each user's slot covering the most of their log (the whole pre-test log).
    pub fn last_slot(&self, num_users: usize) -> Vec<Option<usize>> {
        self.by_user(num_users)
            .into_iter()
            .map(|v| v.last().copied())
            .collect()
    }

    /// Each user's last sequence (from the whole logged pre-test history): what a per-user
    /// consumer (the cold start) reads.
    pub fn last_sequences(&self, num_users: usize) -> Vec<Vec<u32>> {
        self.last_slot(num_users)
            .into_iter()
            .map(|k| k.map_or_else(Vec::new, |k| self.sequences[k].clone()))
            .collect()
    }

    /// Points every row at its user's latest slot whose prefix ends at or before the row's
    /// place in the log; per user, at the user's one slot (whose prefix, the whole log, may
    /// follow the row: the look-ahead the windows remove).
    pub fn assign(&self, num_users: usize, rows: &mut [RankerExample]) -> Result<()> {
        let by_user = self.by_user(num_users);
        for (n, e) in rows.iter_mut().enumerate() {
            let slots = by_user.get(e.user as usize).map_or(&[][..], Vec::as_slice);
            let slot = if !self.windowed {
                slots.last().copied()
            } else {
                slots
                    .iter()
                    .rev()
                    .find(|&&k| self.logged[k] <= e.logged_before)
                    .copied()
            };
            e.gbr_slot = slot.ok_or_else(|| {
                Error::Config(format!(
                    "GBR sequences: row {n} (user {}, {} logged events before it) has no slot",
                    e.user, e.logged_before
                ))
            })? as u32;
        }
        Ok(())
    }
}

/// A user's logged (train and validation) items, in time order.
pub fn logged_items(ds: &Dataset, protocol: &Protocol, user: u32) -> Vec<u32> {
    protocol.timelines[user as usize]
        .iter()
        .filter(|&&i| matches!(protocol.parts[i as usize], Part::Train | Part::Valid))
        .map(|&i| ds.interactions[i as usize].item)
        .collect()
}

/// Where a user's sequences are inferred: every `every` logged events and at the end of the log,
/// starting with the empty prefix (nothing inferred yet).
pub fn checkpoints(logged: usize, every: usize) -> Vec<u32> {
    let mut c: Vec<u32> = (0..logged)
        .step_by(every.max(1))
        .map(|x| x as u32)
        .collect();
    c.push(logged as u32);
    c.dedup();
    c
}

/// The excluded items of a prefix: what the user had logged by then.
pub fn excluded_prefix(num_items: usize, prefix: &[u32]) -> Vec<bool> {
    let mut x = vec![false; num_items];
    for &i in prefix {
        x[i as usize] = true;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: u32, logged_before: u32) -> RankerExample {
        RankerExample {
            user,
            target: 0,
            label: true,
            part: Part::Train,
            history: Vec::new(),
            logged_before,
            gbr_slot: u32::MAX,
        }
    }

    #[test]
    fn checkpoints_start_empty_and_end_with_the_log() {
        assert_eq!(checkpoints(25, 10), vec![0, 10, 20, 25]);
        assert_eq!(checkpoints(20, 10), vec![0, 10, 20]);
        assert_eq!(checkpoints(0, 10), vec![0]);
    }

    #[test]
    fn a_row_reads_the_latest_checkpoint_not_after_it() {
        let slots = GbrSlots {
            users: vec![0, 0, 0, 1],
            logged: vec![0, 10, 12, 0],
            sequences: vec![vec![], vec![1], vec![2], vec![]],
            windowed: true,
        };
        let mut rows = vec![
            row(0, 0),
            row(0, 9),
            row(0, 10),
            row(0, 11),
            row(0, 12),
            row(1, 4),
        ];
        slots.assign(2, &mut rows).unwrap();
        let got: Vec<u32> = rows.iter().map(|r| r.gbr_slot).collect();
        assert_eq!(got, vec![0, 0, 1, 1, 2, 3]);
        let mut orphan = vec![row(2, 0)];
        assert!(slots.assign(3, &mut orphan).is_err());
        // Per user, every row reads the user's one slot, whatever its place.
        let whole = GbrSlots {
            windowed: false,
            ..slots
        };
        let mut rows = vec![row(0, 0), row(0, 11)];
        whole.assign(2, &mut rows).unwrap();
        assert_eq!((rows[0].gbr_slot, rows[1].gbr_slot), (2, 2));
    }
}
