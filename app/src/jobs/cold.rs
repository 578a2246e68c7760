//! The cold-start job: a title and description no log has seen, placed in the deployed
//! rankers' REP space and scored for one user by every variant (`reaseq_core::ranker::cold`,
//! as `reaseq experiment --cold-title …` does). It runs in the worker.

use reaseq_core::knowledge::student::StudentEncoder;
use reaseq_core::ranker::cold::{rep_vectors, score_new_item, test_context, ColdScore, ColdSpace};
use serde::{Deserialize, Serialize};

use crate::pages::compare::{Assets, ExperimentRows};

/// What the page asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    pub title: String,
    pub description: String,
    /// Genre names; unknown ones are reported, not guessed.
    pub genres: Vec<String>,
    /// A user by name; the first user with a test impression when absent.
    pub user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdStart {
    /// The data the rankers were trained on: its name, users and items.
    pub data: (String, usize, usize),
    pub user: String,
    pub history: usize,
    pub genres: Vec<String>,
    pub unknown_genres: Vec<String>,
    /// Nearest catalog items in REP space: id, title, cosine.
    pub neighbours: Vec<(String, String, f32)>,
    pub semantic_id: Vec<u16>,
    pub scores: Vec<ColdScore>,
}

/// The REP space of the deployed rankers: the +REP bundle's table, the student into it.
pub(crate) fn cold_space(student: StudentEncoder, assets: &Assets) -> Result<ColdSpace, String> {
    let rep = rep_vectors(&assets.rankers).ok_or("the +REP bundle has no REP vectors")?;
    ColdSpace::new(student, rep).map_err(|e| e.to_string())
}

pub(crate) fn cold_start(
    space: &ColdSpace,
    assets: &Assets,
    ds: &reaseq_core::data::Dataset,
    rows: &ExperimentRows,
    item: &NewItem,
) -> Result<ColdStart, String> {
    let err = |e: reaseq_core::Error| e.to_string();
    let placed = space
        .place(&item.title, &item.description, 8)
        .map_err(err)?;
    let (mut genres, mut unknown_genres) = (Vec::new(), Vec::new());
    for g in &item.genres {
        match ds.genres.get(g) {
            Some(id) => genres.push(id),
            None => unknown_genres.push(g.clone()),
        }
    }
    let user = match &item.user {
        Some(name) => Some(
            ds.users
                .get(name)
                .ok_or_else(|| format!("no user '{name}' in {}", ds.name))?,
        ),
        None => None,
    };
    let example = test_context(&rows.examples, user).ok_or_else(|| match &item.user {
        Some(name) => format!("user '{name}' has no test impression"),
        None => "the experiment has no test impression".to_string(),
    })?;
    let (history, gbr) = (&example.history, example.gbr(&rows.gbr));
    let scores =
        score_new_item(&assets.rankers, &genres, &placed.rep, history, gbr).map_err(err)?;
    Ok(ColdStart {
        data: (ds.name.clone(), ds.num_users(), ds.num_items()),
        user: ds.users.name(example.user).to_string(),
        history: history.len(),
        genres: genres
            .iter()
            .map(|&g| ds.genres.name(g).to_string())
            .collect(),
        unknown_genres,
        neighbours: placed
            .neighbours
            .into_iter()
            .map(|(i, s)| (ds.items[i].id.clone(), ds.items[i].display_title(), s))
            .collect(),
        semantic_id: placed.semantic_id,
        scores,
    })
}
