//! The ranker's rows: each impression with the user's logged history before it and the user's
//! GBR sequence. Off-log and test events never enter a history.

use crate::data::protocol::{Impression, Part, Protocol};
use crate::data::{Dataset, LabelPolicy};
use crate::error::{Error, Result};
use crate::ranker::RankerInput;

#[derive(Debug, Clone, PartialEq)]
pub struct RankerExample {
    pub user: u32,
    pub target: u32,
    pub label: bool,
    pub part: Part,
    /// Logged (train or validation) items before the impression, oldest first, at most
    /// `max_history`.
    pub history: Vec<u32>,
    /// Logged (train or validation) events of the user before the impression, liked or not:
    /// where it sits in the log, so a time-windowed GBR sequence can be picked for it.
    pub logged_before: u32,
    /// Index into the GBR sequences: the user's, or with time windows the user's latest
    /// checkpoint at or before `logged_before`.
    pub gbr_slot: u32,
}

impl RankerExample {
    pub fn gbr<'a>(&self, sequences: &'a [Vec<u32>]) -> &'a [u32] {
        sequences
            .get(self.gbr_slot as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// What a ranker scores for this row, its GBR sequence read from `sequences`.
    pub fn input<'a>(&'a self, sequences: &'a [Vec<u32>]) -> RankerInput<'a> {
        RankerInput {
            target: self.target,
            history: &self.history,
            gbr: self.gbr(sequences),
            user: Some(self.user),
        }
    }
}

/// Which logged events make up a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryEvents {
    /// Every logged event.
    All,
    /// Only the events labelled positive (DIN's behaviour sequence of liked items), so the
    /// history says what the user likes, not only what they saw.
    Liked,
}

/// One example per impression, for impressions in the order [`impressions`] gives them (each
/// user's timeline in order, a sampled negative right after its event). The history of an
/// impression is the user's logged events before it (`which` of them); test impressions come
/// last and see the whole pre-test log; a sampled negative shares its event's history.
///
/// [`impressions`]: crate::data::protocol::impressions
pub fn ranker_examples(
    ds: &Dataset,
    protocol: &Protocol,
    impressions: &[Impression],
    policy: LabelPolicy,
    which: HistoryEvents,
    max_history: usize,
) -> Result<Vec<RankerExample>> {
    // Per user: logged items in timeline order, and whether each may enter a history.
    let logged: Vec<Vec<(u32, bool)>> = (0..ds.num_users() as u32)
        .map(|u| {
            protocol.timelines[u as usize]
                .iter()
                .filter(|&&i| matches!(protocol.parts[i as usize], Part::Train | Part::Valid))
                .map(|&i| {
                    let x = &ds.interactions[i as usize];
                    (x.item, which == HistoryEvents::All || policy.label(x))
                })
                .collect()
        })
        .collect();
    // Per user: logged impressions seen so far, and where the last event's history ended.
    let mut cursor = vec![0usize; ds.num_users()];
    let mut end_of_last = vec![0usize; ds.num_users()];
    let mut out = Vec::with_capacity(impressions.len());
    for (n, x) in impressions.iter().enumerate() {
        let u = x.user as usize;
        let log = logged.get(u).ok_or_else(|| {
            Error::Config(format!(
                "impression {n}: user {} is not in {}",
                x.user, ds.name
            ))
        })?;
        let end = match (x.part, x.sampled) {
            (Part::Test, _) => log.len(),
            (_, true) => end_of_last[u],
            (Part::Train | Part::Valid, false) => {
                if log.get(cursor[u]).map(|e| e.0) != Some(x.item) {
                    return Err(Error::Config(format!(
                        "impression {n}: user '{}' item '{}' is not the next logged event: \
                         impressions must come from this protocol, in timeline order",
                        ds.users.name(x.user),
                        ds.items.get(x.item as usize).map_or("?", |i| i.id.as_str())
                    )));
                }
                cursor[u] += 1;
                cursor[u] - 1
            }
            (Part::OffLog, _) => {
                return Err(Error::Config(format!(
                    "impression {n}: an off-log event cannot be an impression"
                )))
            }
        };
        end_of_last[u] = end;
        let mut history: Vec<u32> = log[..end].iter().filter(|e| e.1).map(|e| e.0).collect();
        history.drain(..history.len().saturating_sub(max_history));
        out.push(RankerExample {
            user: x.user,
            target: x.item,
            label: x.label,
            part: x.part,
            history,
            logged_before: end as u32,
            gbr_slot: x.user,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::protocol::impressions;
    use crate::data::{BeyondLog, SplitConfig, SyntheticConfig, SyntheticWorld};

    #[test]
    fn histories_hold_only_earlier_logged_events() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            users: 20,
            items: 60,
            min_events: 8,
            max_events: 20,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let ds = w.dataset;
        let p = Protocol::new(
            &ds,
            SplitConfig::default(),
            &BeyondLog::Random { rho: 0.3 },
            1,
        )
        .unwrap();
        let imp = impressions(&ds, &p, LabelPolicy::default(), 1, 2).unwrap();
        let ex = ranker_examples(
            &ds,
            &p,
            &imp,
            LabelPolicy::default(),
            HistoryEvents::All,
            1000,
        )
        .unwrap();
        let liked = ranker_examples(
            &ds,
            &p,
            &imp,
            LabelPolicy::default(),
            HistoryEvents::Liked,
            3,
        )
        .unwrap();
        for (a, b) in ex.iter().zip(&liked) {
            assert!(b.history.len() <= 3 && b.history.iter().all(|i| a.history.contains(i)));
        }
        assert!(liked
            .iter()
            .zip(&ex)
            .any(|(b, a)| b.history.len() < a.history.len().min(3)));
        let mut shuffled = imp.clone();
        shuffled.reverse();
        let e = ranker_examples(
            &ds,
            &p,
            &shuffled,
            LabelPolicy::default(),
            HistoryEvents::All,
            9,
        )
        .unwrap_err();
        assert!(e.to_string().contains("timeline order"), "{e}");
        assert_eq!(ex.len(), imp.len());
        for u in 0..ds.num_users() as u32 {
            let off: Vec<u32> = p
                .events(u, Part::OffLog)
                .chain(p.events(u, Part::Test))
                .map(|i| ds.interactions[i as usize].item)
                .collect();
            let logged: Vec<u32> = p.timelines[u as usize]
                .iter()
                .filter(|&&i| matches!(p.parts[i as usize], Part::Train | Part::Valid))
                .map(|&i| ds.interactions[i as usize].item)
                .collect();
            let mine: Vec<&RankerExample> = ex.iter().filter(|e| e.user == u).collect();
            let mut last_len = 0;
            for e in &mine {
                assert!(
                    e.history.iter().all(|i| !off.contains(i)),
                    "off-log or test in history"
                );
                // Histories are prefixes of the log that only grow.
                assert_eq!(e.history[..], logged[..e.history.len()]);
                assert!(e.history.len() >= last_len);
                last_len = e.history.len();
                assert!(!e.history.contains(&e.target));
            }
            if let Some(t) = mine.iter().find(|e| e.part == Part::Test) {
                assert_eq!(t.history, logged);
            }
            assert!(mine.iter().any(|e| e.history.len() < logged.len()));
        }
    }
}
