//! The knowledge pipeline's figures as text, as `reaseq knowledge` prints them: a build's
//! summary, a card with its provenance, and an item's neighbours.

use std::fmt::Write;

use crate::data::Dataset;

use super::card::KnowledgeCard;
use super::pipeline::{CardStats, VectorsSummary};

/// `200 cards in 0.07s → FILE`, the items with each facet, the claims the critic dropped.
pub fn cards_report(s: &CardStats, cards_file: &str) -> String {
    let mut out = format!("{} cards in {:.2}s → {cards_file}\n", s.cards, s.seconds);
    for (name, n) in &s.facets {
        let _ = writeln!(out, "  {name:<20} {n:>5} items");
    }
    let _ = writeln!(out, "  critic dropped {} claims", s.dropped);
    out
}

/// The teacher's speed, the vectors' size, the semantic IDs' use and collisions, and the
/// student's agreement with its targets.
pub fn vectors_report(v: &VectorsSummary, vectors_file: &str) -> String {
    let (items, secs) = (v.items, v.teacher_seconds);
    let rate = items as f64 / secs;
    let mut out = format!("teacher: {items} items in {secs:.1}s ({rate:.1} items/s)\n");
    if let Some(g) = v.graph_seconds {
        let _ = writeln!(out, "graph embedding: {g:.2}s");
    }
    let dims = v.knowledge_dims;
    let _ = writeln!(out, "knowledge vectors ({dims} dims) → {vectors_file}");
    let ids = &v.semantic_ids;
    let uses: Vec<String> = ids
        .codebook_use
        .iter()
        .map(|u| format!("{:.0}%", u * 100.0))
        .collect();
    let mse: Vec<f64> = ids
        .residual_mse
        .iter()
        .map(|m| (m * 1000.0).round() / 1000.0)
        .collect();
    let _ = writeln!(
        out,
        "semantic IDs: {} levels × {} codes in {:.1}s; codebook use {}; residual MSE {mse:?}; collisions {:.1}% of items (max {} share a code)",
        ids.levels,
        ids.codebook_size,
        v.semantic_id_seconds,
        uses.join(" / "),
        ids.collision_rate * 100.0,
        ids.max_collisions
    );
    let (p, a) = (v.student.parameters, &v.student.agreement);
    let _ = writeln!(
        out,
        "student ({p} params, {:.2} MB f32) {} {:.1}s: held-out cosine {:.3} (train {:.3}), neighbour overlap@10 {:.3} on {} held-out items",
        p as f64 * 4.0 / 1e6,
        if v.student.reused { "shipped, reused in" } else { "in" },
        v.student_seconds,
        a.heldout_cosine,
        a.train_cosine,
        a.heldout_overlap_at_10,
        a.heldout_items
    );
    out
}

/// One card: its canonical text, its semantic ID if known, each facet with who claimed it
/// (and the LLM's reasoning), and what the critic dropped.
pub fn card_report(card: &KnowledgeCard, semantic_id: Option<&str>) -> String {
    let mut out = format!("{}\n\n", card.text());
    if let Some(id) = semantic_id {
        let _ = writeln!(out, "{:<20} {id}", "semantic ID");
    }
    for f in &card.facets {
        let p = &f.provenance;
        let by = match (&p.model, &p.prompt_version) {
            (Some(m), Some(v)) => format!("{} ({m}, prompt {v})", p.agent),
            _ => p.agent.clone(),
        };
        let _ = writeln!(out, "{:<20} {}  [{by}]", f.name, f.values.join(", "));
        if let Some(r) = &p.reasoning {
            let _ = writeln!(out, "{:<20} reasoning: {r}", "");
        }
    }
    for d in &card.dropped {
        let _ = writeln!(
            out,
            "dropped {}: '{}' from {} — {}",
            d.facet, d.value, d.agent, d.reason
        );
    }
    out
}

/// `0.969  Title (1966)  [Genre, Genre]` per neighbour, after `nearest to …` when they are an
/// item's.
pub fn neighbours_report(ds: &Dataset, of: Option<usize>, nn: &[(usize, f32)]) -> String {
    let mut out = String::new();
    if let Some(i) = of {
        let title = ds.items[i].display_title();
        let _ = writeln!(out, "nearest to {title} (knowledge space):");
    }
    for &(i, s) in nn {
        let it = &ds.items[i];
        let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
        let _ = writeln!(
            out,
            "{s:.3}  {}  [{}]",
            it.display_title(),
            genres.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};
    use crate::knowledge::pipeline::{make_agents, SemanticIdSummary, StudentSummary};
    use crate::knowledge::pipeline::{run_agents, KnowledgeBuildConfig};
    use crate::knowledge::student::Agreement;

    #[test]
    fn a_build_reads_as_the_cli_prints_it() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            users: 10,
            items: 40,
            min_events: 5,
            max_events: 20,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let mut agents = make_agents(&KnowledgeBuildConfig::defaults(), None).unwrap();
        let (cards, mut stats) = run_agents(&w.dataset, &mut agents).unwrap();
        stats.seconds = 0.25;
        let text = cards_report(&stats, "c.json");
        assert!(text.starts_with("40 cards in 0.25s → c.json\n"), "{text}");
        assert!(
            text.contains("\n  genres                  40 items\n"),
            "{text}"
        );
        assert!(text.ends_with("  critic dropped 0 claims\n"), "{text}");
        let card = card_report(&cards.cards[0], Some("1-2-3-0"));
        assert!(card.starts_with(&format!(
            "{}\n\nsemantic ID          1-2-3-0\n",
            cards.cards[0].text()
        )));
        assert!(card.contains("genres"), "{card}");
        let nn = neighbours_report(&w.dataset, Some(0), &[(1, 0.5)]);
        let want = format!(
            "nearest to {} (knowledge space):\n0.500  {}  [",
            w.dataset.items[0].display_title(),
            w.dataset.items[1].display_title()
        );
        assert!(nn.starts_with(&want), "{nn}");
    }

    #[test]
    fn the_vectors_summary_names_every_figure() {
        let v = VectorsSummary {
            encoder: "e".into(),
            items: 100,
            knowledge_dims: 64,
            rep_dims: 48,
            semantic_ids: SemanticIdSummary {
                levels: 3,
                codebook_size: 32,
                codebook_use: vec![1.0, 0.5, 0.25],
                residual_mse: vec![0.0651, 0.0374, 0.02],
                collision_rate: 0.095,
                max_collisions: 3,
            },
            student: StudentSummary {
                parameters: 263_728,
                agreement: Agreement {
                    heldout_cosine: 0.97,
                    train_cosine: 0.98,
                    heldout_overlap_at_10: 0.91,
                    heldout_items: 20,
                },
                reused: false,
            },
            teacher_seconds: 2.0,
            graph_seconds: None,
            semantic_id_seconds: 0.5,
            student_seconds: 1.0,
        };
        let want = "teacher: 100 items in 2.0s (50.0 items/s)\n\
            knowledge vectors (64 dims) → v.st\n\
            semantic IDs: 3 levels × 32 codes in 0.5s; codebook use 100% / 50% / 25%; residual MSE [0.065, 0.037, 0.02]; collisions 9.5% of items (max 3 share a code)\n\
            student (263728 params, 1.05 MB f32) in 1.0s: held-out cosine 0.970 (train 0.980), neighbour overlap@10 0.910 on 20 held-out items\n";
        assert_eq!(vectors_report(&v, "v.st"), want);
    }
}
