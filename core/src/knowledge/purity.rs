//! How well each kind of item vector recovers the synthetic world's latent genre and mood (kNN
//! purity@10), against ID-like random vectors: `reaseq knowledge purity`.

use serde::Serialize;

use crate::data::synthetic::NUM_MOODS;
use crate::data::{SyntheticConfig, SyntheticWorld};
use crate::error::Result;
use crate::rng::SeededRng;

use super::agent::{build_cards, Agent};
use super::catalog::CatalogAgent;
use super::critic::Critic;
use super::distill::distill;
use super::graph::GraphAgent;
use super::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use super::neighbours::knn_purity;
use super::student::{Agreement, DistillConfig, StudentConfig};
use super::vectors::{fuse, pca, TextEncoder, GRAPH_WEIGHT};
use super::KnowledgeCard;

/// Neighbours each item's purity is measured over.
const K: usize = 10;
/// Size of the random vectors.
const RANDOM_DIM: usize = 48;

/// The world and the student of a purity table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PurityConfig {
    /// Items of the synthetic world (it has 50 users).
    pub items: usize,
    /// Seeds the world and the random vectors.
    pub seed: u64,
    /// The student; it learns the teacher's top `student.dim` principal directions.
    pub student: StudentConfig,
    pub distill: DistillConfig,
}

impl PurityConfig {
    /// `reaseq knowledge purity --items N --seed S`: the default student.
    pub fn new(items: usize, seed: u64) -> Self {
        Self {
            items,
            seed,
            student: StudentConfig::default(),
            distill: DistillConfig::default(),
        }
    }
}

/// One kind of vectors and its purity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurityRow {
    pub vectors: String,
    pub genre_purity_at_10: f64,
    pub mood_purity_at_10: f64,
}

/// The table of `reaseq knowledge purity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurityReport {
    pub items: usize,
    pub genres: usize,
    pub moods: usize,
    pub rows: Vec<PurityRow>,
    /// The student (title and description) against the teacher's PCA of the same text.
    pub student_agreement: Agreement,
}

/// The table as `reaseq knowledge purity` prints it, with the chance levels.
impl std::fmt::Display for PurityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chance = (1.0 / self.genres as f64, 1.0 / self.moods as f64);
        writeln!(
            f,
            "synthetic world: {} items, {} latent genres, {} moods (chance purity {:.3} / {:.3})",
            self.items, self.genres, self.moods, chance.0, chance.1
        )?;
        writeln!(f, "{:<32} {:>12} {:>12}", "vectors", "genre@10", "mood@10")?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<32} {:>12.3} {:>12.3}",
                r.vectors, r.genre_purity_at_10, r.mood_purity_at_10
            )?;
        }
        let a = &self.student_agreement;
        writeln!(
            f,
            "student vs teacher on held-out items: cosine {:.3}, neighbour overlap@10 {:.3}",
            a.heldout_cosine, a.heldout_overlap_at_10
        )
    }
}

/// On a synthetic world: the purity of random vectors, the encoder's and the student's vectors
/// of title and description, the graph embedding, and the knowledge vectors (full card text and
/// graph).
pub fn purity(cfg: &PurityConfig, encoder: &dyn TextEncoder) -> Result<PurityReport> {
    let w = SyntheticWorld::generate(&SyntheticConfig {
        users: 50,
        items: cfg.items,
        min_events: 5,
        max_events: 20,
        seed: cfg.seed,
        ..SyntheticConfig::default()
    })?;
    let ds = &w.dataset;
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
    let cards = build_cards(ds, &mut agents, &Critic)?;
    // The genre is in the catalog; to test what the text *reveals*, the teacher and the student
    // read the title and description only.
    let texts: Vec<String> = ds
        .items
        .iter()
        .map(|it| format!("{}. {}", it.title, it.description.as_deref().unwrap_or("")))
        .collect();
    let full_texts: Vec<String> = cards.iter().map(KnowledgeCard::text).collect();
    let text = encoder.embed(&texts)?;
    let card_text = encoder.embed(&full_texts)?;
    let graph = graph_embedding(ds, &GraphEmbeddingConfig::default())?;
    let fused = fuse(&card_text, Some(&graph), GRAPH_WEIGHT);
    let targets = pca(&text, cfg.student.dim);
    let (student, agreement) = distill(&texts, &targets, cfg.student, &cfg.distill)?;
    let student_vectors: Vec<Vec<f32>> = texts.iter().map(|t| student.embed(t)).collect();
    let mut rng = SeededRng::new(cfg.seed);
    let ids: Vec<Vec<f32>> = (0..ds.num_items())
        .map(|_| (0..RANDOM_DIM).map(|_| rng.gaussian() as f32).collect())
        .collect();
    let kinds: [(&str, &Vec<Vec<f32>>); 5] = [
        ("ID-like (random)", &ids),
        ("teacher: title + description", &text),
        ("graph embedding", &graph),
        ("knowledge (card text + graph)", &fused),
        ("student: title + description", &student_vectors),
    ];
    let rows = kinds
        .iter()
        .map(|(name, v)| PurityRow {
            vectors: (*name).to_owned(),
            genre_purity_at_10: knn_purity(v, &w.truth.item_genre, K),
            mood_purity_at_10: knn_purity(v, &w.truth.item_mood, K),
        })
        .collect();
    Ok(PurityReport {
        items: ds.num_items(),
        genres: w.config.genres,
        moods: NUM_MOODS,
        rows,
        student_agreement: agreement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::vectors::HashedBag;

    #[test]
    fn text_that_names_the_genre_beats_random_vectors() {
        let cfg = PurityConfig {
            student: StudentConfig {
                buckets: 1024,
                hidden: 16,
                dim: 8,
            },
            distill: DistillConfig {
                steps: 60,
                ..DistillConfig::default()
            },
            ..PurityConfig::new(60, 3)
        };
        let r = purity(&cfg, &HashedBag).unwrap();
        assert_eq!((r.items, r.moods, r.rows.len()), (60, NUM_MOODS, 5));
        let genre = |name: &str| {
            r.rows
                .iter()
                .find(|row| row.vectors.starts_with(name))
                .map(|row| row.genre_purity_at_10)
                .unwrap()
        };
        assert!(genre("teacher") > genre("ID-like") + 0.2, "{r}");
        let table = r.to_string();
        assert!(table.starts_with("synthetic world: 60 items, 8 latent genres, 4 moods (chance purity 0.125 / 0.250)\n"), "{table}");
        assert_eq!(table.lines().count(), 8);
    }
}
