//! The experiment's rows: one ranker example per impression, split by part. The CLI, the
//! browser's worker and the tests build them here, so each sees the rows the others see.

use crate::data::protocol::impressions;
use crate::data::{GroundTruth, LabelPolicy, Part, Prepared};
use crate::error::{Error, Result};
use crate::ranker::{ranker_examples, HistoryEvents, Ranker, RankerExample};

use super::results::{ExperimentResults, PlantedPart};

/// How the experiment turns the protocol into rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowSettings {
    /// Sampled negatives per logged event (0: labels from ratings only).
    pub negatives: usize,
    pub history: HistoryEvents,
    /// Most history items a ranker attends to.
    pub max_history: usize,
    /// Seeds the negatives.
    pub seed: u64,
}

/// Every impression's example, by part.
#[derive(Debug, Clone)]
pub struct ExperimentRows {
    pub train: Vec<RankerExample>,
    pub valid: Vec<RankerExample>,
    pub test: Vec<RankerExample>,
}

impl ExperimentRows {
    /// The rows the experiment that wrote `results` trained `rankers` on (its negatives, history
    /// and seed; the bundles' history length).
    pub fn of_results(
        data: &Prepared,
        results: &ExperimentResults,
        rankers: &[Ranker],
    ) -> Result<Self> {
        let first = rankers
            .first()
            .ok_or_else(|| Error::Config("the experiment has no ranker bundle".into()))?;
        let settings = RowSettings {
            negatives: results.negatives,
            history: results.history,
            max_history: first.config.max_history,
            seed: results.seed,
        };
        Self::build(data, &settings)
    }

    pub fn build(data: &Prepared, s: &RowSettings) -> Result<Self> {
        let (ds, protocol) = (&data.ds, &data.protocol);
        let imp = impressions(ds, protocol, LabelPolicy::default(), s.negatives, s.seed)?;
        let examples = ranker_examples(
            ds,
            protocol,
            &imp,
            LabelPolicy::default(),
            s.history,
            s.max_history,
        )?;
        let part = |p: Part| -> Vec<RankerExample> {
            examples.iter().filter(|e| e.part == p).cloned().collect()
        };
        Ok(Self {
            train: part(Part::Train),
            valid: part(Part::Valid),
            test: part(Part::Test),
        })
    }

    /// Per part, how many impressions and positives are items of the user's partner genre (the
    /// planted off-platform taste), which says where +GBR can gain.
    pub fn planted(&self, truth: &GroundTruth) -> Vec<(&'static str, PlantedPart)> {
        [
            ("train", &self.train),
            ("valid", &self.valid),
            ("test", &self.test),
        ]
        .into_iter()
        .map(|(name, rows)| {
            let mut p = PlantedPart {
                impressions: rows.len(),
                ..PlantedPart::default()
            };
            for e in rows {
                let partner = truth.in_partner_genre(e.user, e.target);
                p.positives += usize::from(e.label);
                p.partner_impressions += usize::from(partner);
                p.partner_positives += usize::from(partner && e.label);
            }
            (name, p)
        })
        .collect()
    }
}

/// A small synthetic world and its rows (liked histories of 30, no sampled negatives): the
/// fixture of the tests that need rows.
#[cfg(test)]
pub(crate) fn small_world(world_seed: u64) -> (Prepared, ExperimentRows) {
    let data = Prepared::synthetic(crate::data::WorldSpec::sized(40, 120, world_seed))
        .expect("a valid world");
    let s = RowSettings {
        negatives: 0,
        history: HistoryEvents::Liked,
        max_history: 30,
        seed: 1,
    };
    let rows = ExperimentRows::build(&data, &s).expect("rows of a valid world");
    (data, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_impression_lands_in_one_part_and_the_planted_genre_is_rarer_in_training() {
        let (data, rows) = small_world(1);
        let truth = data.truth.as_ref().unwrap();
        let planted = rows.planted(truth);
        let share = |p: &PlantedPart| p.partner_impressions as f64 / p.impressions as f64;
        assert_eq!(planted[0].1.impressions, rows.train.len());
        assert!(!rows.test.is_empty());
        assert!(share(&planted[0].1) < share(&planted[2].1), "{planted:?}");
    }
}
