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
    /// The REP space of an experiment's rankers (the +REP bundle's table), `student` into it.
    pub fn for_rankers(student: StudentEncoder, rankers: &[Ranker]) -> Result<Self> {
        let rep = rep_vectors(rankers)
            .ok_or_else(|| Error::Config("the +REP bundle has no REP vectors".into()))?;
        Self::new(student, rep)
    }

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
                    user: None,
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

/// A new item as the CLI's flags and the page's box give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    pub title: String,
    pub description: String,
    /// Genre names of the dataset; an unknown one is an error that names it.
    pub genres: Vec<String>,
    /// A user by name; the first user with a test impression when absent.
    pub user: Option<String>,
}

/// A catalog item near the new one in REP space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub item_id: String,
    pub title: String,
    pub cosine: f32,
}

/// Where a new item lands and how every variant scores it for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdStartReport {
    /// The data the rankers were trained on: its name, users and items.
    pub dataset: String,
    pub users: usize,
    pub items: usize,
    pub user: String,
    /// Logged items in the user's history.
    pub history: usize,
    pub genres: Vec<String>,
    pub neighbours: Vec<Neighbour>,
    pub semantic_id: Vec<u16>,
    pub scores: Vec<ColdScore>,
}

/// Places `item` in `space` (8 neighbours) and scores it for its user with every ranker, against
/// the user's first test impression in `test` (with the user's GBR sequence of `gbr`). What
/// `reaseq experiment --cold-title …` prints and the workbench's new-item box shows.
pub fn cold_start(
    space: &ColdSpace,
    rankers: &[Ranker],
    ds: &crate::data::Dataset,
    test: &[RankerExample],
    gbr: &[Vec<u32>],
    item: &NewItem,
) -> Result<ColdStartReport> {
    let placed = space.place(&item.title, &item.description, 8)?;
    let genres = ds.genre_indices(item.genres.iter().map(String::as_str))?;
    let user = match &item.user {
        Some(name) => Some(
            ds.users
                .get(name)
                .ok_or_else(|| Error::Config(format!("no user '{name}' in {}", ds.name)))?,
        ),
        None => None,
    };
    let e = test_context(test, user).ok_or_else(|| {
        Error::Config(match &item.user {
            Some(name) => format!("user '{name}' has no test impression"),
            None => "the experiment has no test impression".into(),
        })
    })?;
    let scores = score_new_item(rankers, &genres, &placed.rep, &e.history, e.gbr(gbr))?;
    Ok(ColdStartReport {
        dataset: ds.name.clone(),
        users: ds.num_users(),
        items: ds.num_items(),
        user: ds.users.name(e.user).to_owned(),
        history: e.history.len(),
        genres: genres
            .iter()
            .map(|&g| ds.genres.name(g).to_owned())
            .collect(),
        neighbours: placed
            .neighbours
            .iter()
            .map(|&(i, cosine)| Neighbour {
                item_id: ds.items[i].id.clone(),
                title: ds.items[i].display_title(),
                cosine,
            })
            .collect(),
        semantic_id: placed.semantic_id,
        scores,
    })
}

/// What `reaseq experiment --cold-title …` prints.
impl std::fmt::Display for ColdStartReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id: Vec<String> = self.semantic_id.iter().map(u16::to_string).collect();
        writeln!(
            f,
            "semantic ID {} — user {} ({} logged items)",
            id.join("-"),
            self.user,
            self.history
        )?;
        for n in &self.neighbours {
            writeln!(f, "{:.3}  {}", n.cosine, n.title)?;
        }
        for s in &self.scores {
            writeln!(
                f,
                "{:<7} p = {:.3}, rank {} of {}",
                s.variant.name(),
                s.probability,
                s.above + 1,
                s.catalog + 1
            )?;
        }
        Ok(())
    }
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
