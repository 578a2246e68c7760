//! Cold start: an item no log has seen, known only by its title, description and genres. The
//! student encoder places its text in the rankers' REP space; there it has nearest items and a
//! semantic ID (residual quantisation of the REP vectors), and every variant can score it for
//! a user with a zero ID embedding (see [`Ranker::cold_item`]). The workbench's new-item box
//! and `reaseq experiment --cold-title …` both call this.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::knowledge::neighbours::nearest;
use crate::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use crate::knowledge::student::StudentEncoder;

use super::examples::RankerExample;
use super::model::{Ranker, RankerInput, Variant};
use crate::data::Part;

/// The REP space of one experiment: its student, every item's REP vector and their semantic IDs.
#[derive(Debug, Clone)]
pub struct ColdSpace {
    pub student: StudentEncoder,
    pub rep: Vec<Vec<f32>>,
    pub ids: SemanticIds,
}

/// Where a new text lands: its REP vector, nearest items (index, cosine) and semantic ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub rep: Vec<f32>,
    pub neighbours: Vec<(usize, f32)>,
    pub semantic_id: Vec<u16>,
}

/// One variant's score of the new item for a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdScore {
    pub variant: Variant,
    pub probability: f32,
    /// Catalog items this variant scores above the new item for the user (its rank is
    /// `above + 1` of `catalog + 1`).
    pub above: usize,
    pub catalog: usize,
}

/// The row a new item is scored against: `user`'s first test impression (its history is the
/// whole pre-test log and its GBR sequence the user's), or the first test impression of all.
pub fn test_context(examples: &[RankerExample], user: Option<u32>) -> Option<&RankerExample> {
    examples
        .iter()
        .find(|e| e.part == Part::Test && user.is_none_or(|u| e.user == u))
}

/// The REP vectors of an experiment: the table of its +REP ranker.
pub fn rep_vectors(rankers: &[Ranker]) -> Option<Vec<Vec<f32>>> {
    rankers
        .iter()
        .find(|m| m.config.variant == Variant::Rep)
        .and_then(Ranker::rep_vectors)
}

impl ColdSpace {
    /// `rep`: the REP vectors the rankers read (the +REP bundle's table).
    pub fn new(student: StudentEncoder, rep: Vec<Vec<f32>>) -> Result<Self> {
        let dim = rep.first().map_or(0, Vec::len);
        if student.config.dim != dim {
            return Err(Error::Config(format!(
                "cold start: the student writes {}-dim vectors, the rankers read {dim}",
                student.config.dim
            )));
        }
        let ids = residual_quantise(&rep, &RqConfig::default())?;
        Ok(Self { student, rep, ids })
    }

    /// Embeds `title. description` and places it among the catalog's items.
    pub fn place(&self, title: &str, description: &str, k: usize) -> Result<Placement> {
        let (title, description) = (title.trim(), description.trim());
        if title.is_empty() && description.is_empty() {
            return Err(Error::Config(
                "cold start: give the new item a title or a description".into(),
            ));
        }
        let rep = self.student.embed(&format!("{title}. {description}"));
        Ok(Placement {
            neighbours: nearest(&self.rep, &rep, k, None),
            semantic_id: self.ids.encode(&rep)?,
            rep,
        })
    }
}

/// Every ranker's score of a new item (its genres and REP vector) for a user with this history
/// and inferred sequence, and how many catalog items it scores higher.
pub fn score_new_item(
    rankers: &[Ranker],
    genres: &[u32],
    rep: &[f32],
    history: &[u32],
    gbr: &[u32],
) -> Result<Vec<ColdScore>> {
    rankers
        .iter()
        .map(|m| {
            let v = m.cold_item(genres, m.config.variant.uses_rep().then_some(rep))?;
            let probability = m.score_cold(&v, history, gbr)?.probability;
            let catalog = m.config.items;
            let mut above = 0;
            for target in 0..catalog as u32 {
                let s = m.score(&RankerInput {
                    target,
                    history,
                    gbr,
                })?;
                above += usize::from(s.probability > probability);
            }
            Ok(ColdScore {
                variant: m.config.variant,
                probability,
                above,
                catalog,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::student::StudentConfig;

    #[test]
    fn a_text_is_placed_and_scored_and_an_empty_one_is_refused() {
        let cfg = StudentConfig {
            buckets: 64,
            hidden: 4,
            dim: 3,
        };
        let student = StudentEncoder::init(cfg, 1);
        let rep: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                let mut v = vec![(i % 5) as f32, (i % 3) as f32, 1.0];
                crate::knowledge::neighbours::normalise(&mut v);
                v
            })
            .collect();
        let space = ColdSpace::new(student.clone(), rep.clone()).unwrap();
        let p = space.place("A new film", "about nothing", 5).unwrap();
        assert_eq!(p.neighbours.len(), 5);
        assert_eq!(p.rep, student.embed("A new film. about nothing"));
        assert_eq!(p.semantic_id.len(), RqConfig::default().levels + 1);
        assert!(space.place(" ", "", 5).is_err());
        let wrong = StudentEncoder::init(StudentConfig { dim: 4, ..cfg }, 1);
        assert!(ColdSpace::new(wrong, rep).is_err());
    }
}
