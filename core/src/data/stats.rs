//! Summary statistics of a dataset, as `reaseq data stats` and the Overview page show them.

use serde::Serialize;

use crate::data::{Dataset, LabelPolicy};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub p90: f64,
    pub max: f64,
    pub mean: f64,
}

impl Quantiles {
    /// Linear-interpolation quantiles (numpy's default) of `xs`; all zeros when empty.
    pub fn of(xs: &mut [f64]) -> Self {
        if xs.is_empty() {
            return Self {
                min: 0.0,
                p25: 0.0,
                median: 0.0,
                p75: 0.0,
                p90: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        xs.sort_by(f64::total_cmp);
        let q = |p: f64| quantile_sorted(xs, p);
        Self {
            min: xs[0],
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
            p90: q(0.9),
            max: xs[xs.len() - 1],
            mean: xs.iter().sum::<f64>() / xs.len() as f64,
        }
    }
}

/// Quantile `p` of sorted, non-empty `xs` with linear interpolation.
pub fn quantile_sorted(xs: &[f64], p: f64) -> f64 {
    let h = (xs.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetStats {
    pub name: String,
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    /// interactions / (users · items).
    pub density: f64,
    /// Share of interactions whose CTR label is 1 under the label policy.
    pub positive_share: f64,
    pub rating_threshold: f32,
    /// Interactions per user.
    pub history_length: Quantiles,
    /// Share of interactions on items outside the head (the 20% most interacted items).
    pub long_tail_share: f64,
    /// Items with no interaction at all.
    pub items_without_interactions: usize,
    /// Interactions per genre, most frequent first (an item counts once per genre).
    pub genres: Vec<(String, usize)>,
    pub kg_triples: usize,
    pub kg_entities: usize,
    pub kg_relations: usize,
    pub items_linked_to_kg: usize,
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
}

impl DatasetStats {
    pub fn compute(ds: &Dataset, policy: LabelPolicy) -> Self {
        let (users, items, n) = (ds.num_users(), ds.num_items(), ds.interactions.len());
        let mut per_user = vec![0f64; users];
        let mut per_item = vec![0u64; items];
        let mut positives = 0usize;
        let mut genre_counts = vec![0usize; ds.genres.len()];
        for x in &ds.interactions {
            per_user[x.user as usize] += 1.0;
            per_item[x.item as usize] += 1;
            positives += usize::from(policy.label(x));
            for &g in &ds.items[x.item as usize].genres {
                genre_counts[g as usize] += 1;
            }
        }
        let mut sorted_items = per_item.clone();
        sorted_items.sort_unstable_by(|a, b| b.cmp(a));
        let head = (items as f64 * 0.2).ceil() as usize;
        let head_mass: u64 = sorted_items.iter().take(head).sum();
        let mut genres: Vec<(String, usize)> = genre_counts
            .iter()
            .enumerate()
            .map(|(g, &c)| (ds.genres.name(g as u32).to_owned(), c))
            .collect();
        genres.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let graph = ds.graph.as_ref();
        Self {
            name: ds.name.clone(),
            users,
            items,
            interactions: n,
            density: ratio(n as f64, users as f64 * items as f64),
            positive_share: ratio(positives as f64, n as f64),
            rating_threshold: policy.rating_threshold,
            history_length: Quantiles::of(&mut per_user),
            long_tail_share: ratio((n as u64 - head_mass) as f64, n as f64),
            items_without_interactions: per_item.iter().filter(|&&c| c == 0).count(),
            genres,
            kg_triples: graph.map_or(0, |g| g.triples.len()),
            kg_entities: graph.map_or(0, |g| g.entities.len()),
            kg_relations: graph.map_or(0, |g| g.relations.len()),
            items_linked_to_kg: graph
                .map_or(0, |g| g.item_entity.iter().filter(|e| e.is_some()).count()),
            first_timestamp: ds.interactions.iter().map(|x| x.timestamp).min(),
            last_timestamp: ds.interactions.iter().map(|x| x.timestamp).max(),
        }
    }
}

/// An integer as an integer, anything else with one decimal.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// What `reaseq data stats` prints.
impl std::fmt::Display for DatasetStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, h) = (self, &self.history_length);
        writeln!(f, "dataset        {}", s.name)?;
        writeln!(f, "users          {}", s.users)?;
        writeln!(
            f,
            "items          {} ({} without interactions)",
            s.items, s.items_without_interactions
        )?;
        writeln!(f, "interactions   {}", s.interactions)?;
        writeln!(f, "density        {:.4}%", s.density * 100.0)?;
        writeln!(
            f,
            "positive share {:.3} (label 1 = rating >= {})",
            s.positive_share, s.rating_threshold
        )?;
        writeln!(
            f,
            "history length min {} · p25 {} · median {} · p75 {} · p90 {} · max {} · mean {:.1}",
            num(h.min),
            num(h.p25),
            num(h.median),
            num(h.p75),
            num(h.p90),
            num(h.max),
            h.mean
        )?;
        writeln!(
            f,
            "long-tail share {:.3} (interactions outside the top 20% of items)",
            s.long_tail_share
        )?;
        if s.kg_triples > 0 {
            writeln!(
                f,
                "knowledge graph {} triples, {} entities, {} relations, {} items linked",
                s.kg_triples, s.kg_entities, s.kg_relations, s.items_linked_to_kg
            )?;
        }
        let top: Vec<String> = s
            .genres
            .iter()
            .take(8)
            .map(|(g, c)| format!("{g} {c}"))
            .collect();
        if !top.is_empty() {
            writeln!(f, "top genres     {}", top.join(" · "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        let mut xs = vec![4.0, 1.0, 3.0, 2.0];
        let q = Quantiles::of(&mut xs);
        assert_eq!(q.min, 1.0);
        assert_eq!(q.p25, 1.75);
        assert_eq!(q.median, 2.5);
        assert!((q.p90 - 3.7).abs() < 1e-12);
        assert_eq!(q.mean, 2.5);
    }
}
