//! The graph agent: the item's knowledge-graph relations as entity sets (director, actors,
//! writer, language, awards …). MovieLens-100k's graph names entities by Freebase id only, so the
//! values are ids: opaque to a text encoder, but exact for graph embeddings.

use crate::data::Dataset;
use crate::error::Result;

use super::agent::Agent;
use super::card::{Facet, FacetKind, Provenance};

pub struct GraphAgent;

pub const GRAPH: &str = "graph";

/// Facet name of an out-relation of a film entity; `None` for relations we do not read.
pub fn facet_name(relation: &str) -> Option<&'static str> {
    let tail = relation.strip_prefix("film.film.")?;
    Some(match tail {
        "directed_by" => "director",
        "actor" => "actors",
        "written_by" => "writer",
        "produced_by" => "producer",
        "award_won" => "awards won",
        "award_nomination" => "award nominations",
        "language" => "language",
        "country" => "country",
        "genre" => "graph genres",
        "cinematography" => "cinematographer",
        "production_companies" => "production company",
        "rating" => "content rating",
        "subjects" => "subjects",
        "sequel" => "sequel",
        "prequel" => "prequel",
        _ => return None,
    })
}

impl Agent for GraphAgent {
    fn name(&self) -> &str {
        GRAPH
    }

    fn describe(&mut self, ds: &Dataset, item: u32) -> Result<Vec<Facet>> {
        let Some(g) = &ds.graph else {
            return Ok(Vec::new());
        };
        let Some(Some(entity)) = g.item_entity.get(item as usize) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Facet> = Vec::new();
        for t in g.triples.iter().filter(|t| t.head == *entity) {
            let Some(name) = facet_name(g.relations.name(t.relation)) else {
                continue;
            };
            let value = g.entities.name(t.tail).to_owned();
            match out.iter_mut().find(|f| f.name == name) {
                Some(f) => {
                    if !f.values.contains(&value) {
                        f.values.push(value);
                    }
                }
                None => out.push(Facet {
                    name: name.to_owned(),
                    values: vec![value],
                    kind: FacetKind::Entity,
                    provenance: Provenance::rule(GRAPH),
                    malformed: None,
                }),
            }
        }
        Ok(out)
    }
}
