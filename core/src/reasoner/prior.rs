//! The ranked decoder's prior over items, learnt from training interactions only: training
//! popularity, optionally mixed with co-occurrence with the user's logged history. The beam
//! multiplies it in (`log p + λ · log q`); a fold's validation users choose λ and the mixture.
//!
//! Why a mixture: where off-log behaviour is partly like the log (the user's usual interests)
//! and partly not (the synthetic world's partner genre), the mask predictor is good at the
//! second kind and co-occurrence at the first; a prior that holds both lets the beam rank them
//! together instead of one crowding out the other.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Protocol};
use crate::error::{Error, Result};

use super::baselines::{CoOccurrence, OffLogBaseline};
use super::beam::ItemPrior;

/// How a fold decodes with the prior.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PriorWeight {
    /// λ: how strongly the prior enters the beam's score (0: the model alone).
    pub lambda: f32,
    /// β: co-occurrence's share of the prior's mixture (0: popularity alone).
    pub mix: f32,
}

impl PriorWeight {
    /// The bundle metric holding λ.
    pub const LAMBDA_METRIC: &'static str = "popularity_prior_weight";
    /// The bundle metric holding β.
    pub const MIX_METRIC: &'static str = "cooccurrence_prior_mix";

    /// The weight a reasoner bundle was decoded with (its manifest's metrics; none: no prior).
    pub fn from_manifest(m: &crate::bundle::Manifest) -> Self {
        let metric = |key| m.metrics.get(key).map_or(0.0, |&v| v as f32);
        Self {
            lambda: metric(Self::LAMBDA_METRIC),
            mix: metric(Self::MIX_METRIC),
        }
    }
}

/// The λ a fold's validation users choose from (0: the model alone).
pub const PRIOR_WEIGHTS: [f32; 5] = [0.0, 0.25, 0.5, 1.0, 1.5];

/// The mixtures β a fold's validation users choose from when co-occurrence is configured.
pub const PRIOR_MIXES: [f32; 3] = [0.0, 0.5, 0.9];

/// Training popularity and, when configured, item co-occurrence: the parts of a user's prior.
pub struct DecodingPrior {
    /// Training popularity, built once: every user's prior at β = 0, and the popularity part
    /// of a mixture.
    popularity: ItemPrior,
    cooccurrence: Option<CoOccurrence>,
}

impl DecodingPrior {
    /// Training-event counts of every item.
    pub fn popularity(counts: &[u32]) -> Self {
        Self {
            popularity: ItemPrior::popularity(counts),
            cooccurrence: None,
        }
    }

    /// The prior of a split: its training popularity and, when `cooccurrence`, co-occurrence
    /// (a pass over every user's item pairs, so only when it is mixed in).
    pub fn for_protocol(ds: &Dataset, protocol: &Protocol, cooccurrence: bool) -> Self {
        let prior = Self::popularity(&protocol.train_popularity(ds));
        if cooccurrence {
            prior.with_cooccurrence(CoOccurrence::new(ds, protocol))
        } else {
            prior
        }
    }

    /// Also offer co-occurrence with the user's history as part of the mixture.
    pub fn with_cooccurrence(self, cooccurrence: CoOccurrence) -> Self {
        Self {
            cooccurrence: Some(cooccurrence),
            ..self
        }
    }

    pub fn has_cooccurrence(&self) -> bool {
        self.cooccurrence.is_some()
    }

    /// The mixtures this prior can be decoded with.
    pub fn mixes(&self) -> &'static [f32] {
        if self.has_cooccurrence() {
            &PRIOR_MIXES
        } else {
            &PRIOR_MIXES[..1]
        }
    }

    /// The prior for a user with logged `history`: `(1 − β) · popularity share + β ·
    /// co-occurrence share` (the co-occurrence share is the co-occurrence kNN score over its
    /// total). β = 0, or a history that co-occurs with nothing, gives popularity alone; every
    /// item keeps some mass because β < 1 and popularity counts start at one.
    pub fn for_user(&self, history: &[u32], mix: f32) -> Result<Cow<'_, ItemPrior>> {
        if !(0.0..1.0).contains(&mix) {
            return Err(Error::Config(format!(
                "decoding prior: mixture {mix} must be in [0, 1)"
            )));
        }
        let popularity = Cow::Borrowed(&self.popularity);
        let Some(co) = self.cooccurrence.as_ref().filter(|_| mix > 0.0) else {
            return Ok(popularity);
        };
        let scores = co.scores(history);
        let total: f64 = scores.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Ok(popularity);
        }
        let weights = self.popularity.weights();
        let pop_total: f64 = weights.iter().sum();
        let beta = f64::from(mix);
        ItemPrior::new(
            weights
                .iter()
                .zip(&scores)
                .map(|(&w, &s)| (1.0 - beta) * w / pop_total + beta * s.max(0.0) / total)
                .collect(),
        )
        .map(Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::protocol::{BeyondLog, Protocol, SplitConfig};
    use crate::data::{SyntheticConfig, SyntheticWorld};

    #[test]
    fn the_mixture_moves_mass_to_items_that_co_occur_with_the_history() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            users: 40,
            items: 120,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let ds = &w.dataset;
        let mode = BeyondLog::Planted {
            off_log: w.truth.off_log.clone(),
        };
        let protocol = Protocol::new(ds, SplitConfig::default(), &mode, 0).unwrap();
        let co = CoOccurrence::new(ds, &protocol);
        let prior = DecodingPrior::popularity(&protocol.train_popularity(ds)).with_cooccurrence(co);
        let history: Vec<u32> = crate::reasoner::logged_history(ds, &protocol, 0, 50);
        let scores = CoOccurrence::new(ds, &protocol).scores(&history);
        let best = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap() as u32;
        let none = vec![false; ds.num_items()];
        let share = |mix: f32| {
            prior
                .for_user(&history, mix)
                .unwrap()
                .log_shares(&[best], &none)[0]
        };
        // β = 0 is popularity alone, bit for bit; more β, more mass on the best co-occurring item.
        let pop = ItemPrior::popularity(&protocol.train_popularity(ds));
        assert_eq!(share(0.0), pop.log_shares(&[best], &none)[0]);
        assert!(share(0.5) > share(0.0));
        assert!(share(0.9) > share(0.5));
        // No history co-occurs with nothing: popularity again.
        assert_eq!(*prior.for_user(&[], 0.9).unwrap(), pop);
        assert!(prior.for_user(&history, 1.0).is_err());
        assert_eq!(prior.mixes(), &PRIOR_MIXES);
        assert_eq!(
            DecodingPrior::popularity(&[1, 2]).mixes(),
            &PRIOR_MIXES[..1]
        );
    }
}
