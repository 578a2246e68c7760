//! The cold-start job: a title and description no log has seen go through the student encoder
//! into the rankers' REP space; the job finds its nearest items there, gives it a semantic ID
//! (residual quantisation of the REP vectors) and scores it for one user with every variant,
//! next to every catalog item, so the page can say where it would rank. It runs in the worker.

use reaseq_core::data::Part;
use reaseq_core::knowledge::neighbours::nearest;
use reaseq_core::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use reaseq_core::knowledge::student::StudentEncoder;
use reaseq_core::ranker::{RankerInput, Variant};
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

/// One variant's view of the new item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdScore {
    pub variant: Variant,
    pub probability: f32,
    /// Catalog items this variant scores above the new item for the user (so its rank is
    /// `above + 1` of `catalog + 1`).
    pub above: usize,
    pub catalog: usize,
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

/// The student and the semantic IDs of the REP space, made once per deployment.
pub struct ColdSpace {
    pub student: StudentEncoder,
    pub rep: Vec<Vec<f32>>,
    pub ids: SemanticIds,
}

impl ColdSpace {
    pub(crate) fn new(student: StudentEncoder, assets: &Assets) -> Result<Self, String> {
        let rep = assets
            .rankers
            .iter()
            .find(|m| m.config.variant == Variant::Rep)
            .and_then(|m| m.rep_vectors())
            .ok_or("the +REP bundle has no REP vectors")?;
        if student.config.dim != rep.first().map_or(0, Vec::len) {
            return Err(format!(
                "the student writes {}-dim vectors, the rankers read {}",
                student.config.dim,
                rep.first().map_or(0, Vec::len)
            ));
        }
        let ids = residual_quantise(&rep, &RqConfig::default()).map_err(|e| e.to_string())?;
        Ok(Self { student, rep, ids })
    }
}

pub(crate) fn cold_start(
    space: &ColdSpace,
    assets: &Assets,
    ds: &reaseq_core::data::Dataset,
    rows: &ExperimentRows,
    item: &NewItem,
) -> Result<ColdStart, String> {
    let text = format!("{}. {}", item.title.trim(), item.description.trim());
    if item.title.trim().is_empty() && item.description.trim().is_empty() {
        return Err("give the new item a title or a description".into());
    }
    let rep = space.student.embed(&text);
    let neighbours = nearest(&space.rep, &rep, 8, None)
        .into_iter()
        .map(|(i, s)| (ds.items[i].id.clone(), ds.items[i].display_title(), s))
        .collect();
    let semantic_id = space.ids.encode(&rep).map_err(|e| e.to_string())?;
    let (mut genres, mut unknown_genres) = (Vec::new(), Vec::new());
    for g in &item.genres {
        match ds.genres.get(g) {
            Some(id) => genres.push(id),
            None => unknown_genres.push(g.clone()),
        }
    }
    // The user's history is what their test impressions see: the whole pre-test log.
    let example = match &item.user {
        Some(name) => {
            let u = ds
                .users
                .get(name)
                .ok_or_else(|| format!("no user '{name}' in {}", ds.name))?;
            rows.examples
                .iter()
                .find(|e| e.part == Part::Test && e.user == u)
                .ok_or_else(|| format!("user '{name}' has no test impression"))?
        }
        None => rows
            .examples
            .iter()
            .find(|e| e.part == Part::Test)
            .ok_or("the experiment has no test impression")?,
    };
    let (history, gbr) = (&example.history, example.gbr(&rows.gbr));
    let mut scores = Vec::new();
    for m in &assets.rankers {
        let v = m
            .cold_item(
                &genres,
                m.config.variant.uses_rep().then_some(rep.as_slice()),
            )
            .map_err(|e| e.to_string())?;
        let p = m
            .score_cold(&v, history, gbr)
            .map_err(|e| e.to_string())?
            .probability;
        let mut above = 0;
        for target in 0..ds.num_items() as u32 {
            let s = m
                .score(&RankerInput {
                    target,
                    history,
                    gbr,
                })
                .map_err(|e| e.to_string())?;
            above += usize::from(s.probability > p);
        }
        scores.push(ColdScore {
            variant: m.config.variant,
            probability: p,
            above,
            catalog: ds.num_items(),
        });
    }
    Ok(ColdStart {
        data: (ds.name.clone(), ds.num_users(), ds.num_items()),
        user: ds.users.name(example.user).to_string(),
        history: history.len(),
        genres: genres
            .iter()
            .map(|&g| ds.genres.name(g).to_string())
            .collect(),
        unknown_genres,
        neighbours,
        semantic_id,
        scores,
    })
}
