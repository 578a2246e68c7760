//! Nearest neighbours in knowledge space (cosine similarity of unit vectors): of an item (what
//! `reaseq knowledge neighbours` and the browser's Knowledge view show), of a free text placed
//! by the student, and the look-ups of an item by id or title.

use crate::data::Dataset;
use crate::error::{Error, Result};

use super::student::StudentEncoder;

/// Dot product; cosine similarity for unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales `v` to unit length (leaves a zero vector alone).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The `k` items most similar to `query` (highest first, ties by index), skipping `exclude`.
pub fn nearest(
    vectors: &[Vec<f32>],
    query: &[f32],
    k: usize,
    exclude: Option<usize>,
) -> Vec<(usize, f32)> {
    let mut scored: Vec<(usize, f32)> = vectors
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != exclude)
        .map(|(i, v)| (i, dot(v, query)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

/// The `k` items nearest to item `item` in `vectors` (one row per item), the item itself left
/// out; highest first.
pub fn item_neighbours(vectors: &[Vec<f32>], item: usize, k: usize) -> Result<Vec<(usize, f32)>> {
    let query = vectors.get(item).ok_or_else(|| {
        Error::NotFound(format!("no item {item} among {} vectors", vectors.len()))
    })?;
    Ok(nearest(vectors, query, k, Some(item)))
}

/// The `k` items nearest to a free text (a title and description no log has seen): the student
/// places it in the REP space of `rep`.
pub fn text_neighbours(
    rep: &[Vec<f32>],
    student: &StudentEncoder,
    text: &str,
    k: usize,
) -> Vec<(usize, f32)> {
    nearest(rep, &student.embed(text), k, None)
}

/// The index of the item with this id.
/// One neighbour as `reaseq knowledge neighbours --json` prints it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NeighbourRow {
    pub item_id: String,
    pub score: f64,
    pub title: String,
}

/// The rows of `neighbours` (item index, score) of `ds`.
pub fn neighbour_rows(ds: &Dataset, neighbours: &[(usize, f32)]) -> Vec<NeighbourRow> {
    let row = |&(i, s): &(usize, f32)| NeighbourRow {
        item_id: ds.items[i].id.clone(),
        score: f64::from(s),
        title: ds.items[i].display_title(),
    };
    neighbours.iter().map(row).collect()
}

pub fn find_item(ds: &Dataset, id: &str) -> Result<usize> {
    ds.item_index(id)
        .map(|i| i as usize)
        .ok_or_else(|| Error::NotFound(format!("no item '{id}'")))
}

/// The item a title names, as shown (`Toy Story (1995)`), case-insensitive: the exact match,
/// else the one item whose title contains it.
pub fn find_title(ds: &Dataset, title: &str) -> Result<usize> {
    let want = title.to_lowercase();
    let shown: Vec<String> = ds
        .items
        .iter()
        .map(|it| it.display_title().to_lowercase())
        .collect();
    if let Some(i) = shown.iter().position(|s| *s == want) {
        return Ok(i);
    }
    let hits: Vec<usize> = (0..shown.len())
        .filter(|&i| shown[i].contains(&want))
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::NotFound(format!("no item titled '{title}'"))),
        many => {
            let names: Vec<String> = many
                .iter()
                .take(8)
                .map(|&i| ds.items[i].display_title())
                .collect();
            Err(Error::NotFound(format!(
                "'{title}' matches {} items: {} …",
                many.len(),
                names.join("; ")
            )))
        }
    }
}

/// Mean over items of the share of their `k` nearest neighbours with the same label: how well
/// a vector space recovers a known attribute.
pub fn knn_purity(vectors: &[Vec<f32>], labels: &[u32], k: usize) -> f64 {
    let mut unit: Vec<Vec<f32>> = vectors.to_vec();
    for v in &mut unit {
        normalise(v);
    }
    let mut total = 0.0;
    for (i, v) in unit.iter().enumerate() {
        let nn = nearest(&unit, v, k, Some(i));
        total += nn.iter().filter(|(j, _)| labels[*j] == labels[i]).count() as f64
            / nn.len().max(1) as f64;
    }
    total / unit.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_orders_by_similarity_and_skips_the_query() {
        let v = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        let nn = nearest(&v, &v[0], 2, Some(0));
        assert_eq!(nn.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(knn_purity(&v, &[0, 0, 1], 1), (1.0 + 1.0 + 0.0) / 3.0);
    }

    fn world() -> crate::data::SyntheticWorld {
        crate::data::SyntheticWorld::generate(&crate::data::SyntheticConfig {
            users: 10,
            items: 60,
            min_events: 5,
            max_events: 20,
            ..crate::data::SyntheticConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn an_items_neighbours_leave_it_out_and_a_missing_item_is_an_error() {
        let v = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        assert_eq!(item_neighbours(&v, 2, 5).unwrap(), vec![(1, 0.6), (0, 0.0)]);
        assert!(item_neighbours(&v, 3, 5).is_err());
        let student = StudentEncoder::init(super::super::student::StudentConfig::default(), 1);
        let rep: Vec<Vec<f32>> = ["space opera", "a space opera", "wedding comedy"]
            .iter()
            .map(|t| student.embed(t))
            .collect();
        let nn = text_neighbours(&rep, &student, "space opera", 2);
        assert_eq!(nn[0].0, 0);
        assert_eq!(nn.len(), 2);
    }

    #[test]
    fn items_are_found_by_id_and_by_a_unique_part_of_their_title() {
        let w = world();
        let ds = &w.dataset;
        assert_eq!(find_item(ds, "i3").unwrap(), 3);
        assert_eq!(
            find_item(ds, "nope").unwrap_err().to_string(),
            "no item 'nope'"
        );
        let shown = ds.items[5].display_title();
        assert_eq!(find_title(ds, &shown.to_uppercase()).unwrap(), 5);
        let e = find_title(ds, "zzz").unwrap_err().to_string();
        assert_eq!(e, "no item titled 'zzz'");
        // Every title has a year in brackets: "(" matches them all.
        let e = find_title(ds, "(").unwrap_err().to_string();
        assert!(e.starts_with("'(' matches 60 items: "), "{e}");
        assert!(e.ends_with(" …"), "{e}");
    }
}
