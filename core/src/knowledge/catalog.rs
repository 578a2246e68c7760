//! The catalog agent: what the item file says (title, year and its era, genres, description).

use crate::data::Dataset;
use crate::error::Result;

use super::agent::Agent;
use super::card::{Facet, FacetKind, Provenance};

pub struct CatalogAgent;

pub const CATALOG: &str = "catalog";

/// `1995` → `1990s`.
pub fn era(year: i32) -> String {
    format!("{}s", year - year.rem_euclid(10))
}

impl Agent for CatalogAgent {
    fn name(&self) -> &str {
        CATALOG
    }

    fn describe(&mut self, ds: &Dataset, item: u32) -> Result<Vec<Facet>> {
        let it = &ds.items[item as usize];
        let facet = |name: &str, values: Vec<String>| Facet {
            name: name.to_owned(),
            values,
            kind: FacetKind::Text,
            provenance: Provenance::rule(CATALOG),
            malformed: None,
        };
        let mut out = Vec::new();
        let genres: Vec<String> = it
            .genres
            .iter()
            .map(|&g| ds.genres.name(g).to_owned())
            .filter(|g| g != "unknown")
            .collect();
        if !genres.is_empty() {
            out.push(facet("genres", genres));
        }
        if let Some(y) = it.year {
            out.push(facet("year", vec![y.to_string()]));
            out.push(facet("era", vec![era(y)]));
        }
        if let Some(d) = &it.description {
            out.push(facet("description", vec![d.clone()]));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras() {
        assert_eq!(era(1995), "1990s");
        assert_eq!(era(2000), "2000s");
        assert_eq!(era(1909), "1900s");
    }
}
