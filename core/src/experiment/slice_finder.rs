//! The slice finder: where do two models differ most? Test impressions are cut by what the data
//! knows of each row — the target's training popularity, genre and era, the attended history's
//! length, the user's activity, and on a synthetic world its ground truth — and by every
//! intersection of two attributes of different kinds. Each slice with at least `min_size`
//! impressions gets the paired user-bootstrap difference of a measure ([`SliceMeasure`]) between
//! `b` and `a`, an interval, a p-value and a Benjamini–Hochberg q-value over every slice tested.
//! Slices are ranked by the interval's lower end: the gain of `b` the data is surest of, so a
//! small noisy slice does not outrank a large consistent one. `reaseq slices` and the Compare
//! page's slice finder both call [`find_slices`].
//!
//! The default measure, **user pairs**, scores each of the slice's impressions against the same
//! user's test impressions of the other class (in the slice or not): the share of those pairs
//! the model orders right, ties one half. Unlike an AUC within the slice it sees a slice of
//! nearly one class — the rows a model lifts above the user's other rows — and over the whole
//! test set it is the pair-weighted GAUC. See docs/results/slice-finder.md for why it is the
//! default.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::protocol::{history_bucket, PopularityBuckets};
use std::collections::HashMap;

use crate::data::load::{read_model_scores, ModelScores, Strictness};
use crate::data::{Dataset, Part, Prepared};
use crate::error::{Error, Problem, Result};
use crate::metrics::{benjamini_hochberg, paired_bootstrap, BootstrapConfig, Metric};
use crate::ranker::slices::{history_slice_name, HISTORY_EDGES, POPULARITY_SLICES};
use crate::ranker::{Ranker, RankerExample, Variant};

/// What a slice cuts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// The target's training popularity (cold, long-tail, head).
    Popularity,
    /// Each of the target's genres (an item of two genres is in both slices).
    Genre,
    /// The target's decade of release.
    Era,
    /// The length of the history the ranker attended.
    HistoryLength,
    /// The user's logged events (tertiles over the test users).
    Activity,
    /// Synthetic worlds only, from the generator's ground truth: whether the target is of the
    /// user's partner genre, the taste the log hides.
    PartnerGenre,
}

impl Attribute {
    pub const ALL: [Attribute; 6] = [
        Self::Popularity,
        Self::Genre,
        Self::Era,
        Self::HistoryLength,
        Self::Activity,
        Self::PartnerGenre,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Popularity => "popularity",
            Self::Genre => "genre",
            Self::Era => "era",
            Self::HistoryLength => "history_length",
            Self::Activity => "activity",
            Self::PartnerGenre => "partner_genre",
        }
    }
}

/// One attribute's value, e.g. `genre=Drama`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Condition {
    pub attribute: Attribute,
    pub value: String,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.attribute.key(), self.value)
    }
}

/// The test impressions with every condition each one meets.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceTable {
    pub dataset: String,
    pub users: Vec<u32>,
    pub labels: Vec<bool>,
    /// Per row, indices into `conditions`, sorted.
    pub row_conditions: Vec<Vec<usize>>,
    pub conditions: Vec<Condition>,
    /// The activity tertiles' upper edges (logged events).
    pub activity_edges: Vec<usize>,
}

impl SliceTable {
    /// The conditions of every test row of `data` (rows as the rankers score them).
    pub fn new(data: &Prepared, test: &[RankerExample]) -> Self {
        let ds = &data.ds;
        let pop = PopularityBuckets::new(
            &data.protocol.train_popularity(ds),
            PopularityBuckets::HEAD_SHARE,
        );
        let logged = |u: u32| {
            data.protocol.events(u, Part::Train).count()
                + data.protocol.events(u, Part::Valid).count()
        };
        let mut users: Vec<u32> = test.iter().map(|e| e.user).collect();
        users.sort_unstable();
        users.dedup();
        let activity_edges =
            crate::metrics::model_slices::tertiles(users.iter().map(|&u| logged(u)));
        let mut conditions: Vec<Condition> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut id = |attribute, value: String| -> usize {
            let c = Condition { attribute, value };
            *index.entry(c.clone()).or_insert_with(|| {
                conditions.push(c);
                conditions.len() - 1
            })
        };
        let mut row_conditions = Vec::with_capacity(test.len());
        for e in test {
            let item = &ds.items[e.target as usize];
            let mut cs = Vec::new();
            if let Some((_, name)) = POPULARITY_SLICES
                .iter()
                .find(|(b, _)| pop.of(e.target) == *b)
            {
                cs.push(id(Attribute::Popularity, (*name).to_owned()));
            }
            for &g in &item.genres {
                cs.push(id(Attribute::Genre, ds.genres.name(g).to_string()));
            }
            if let Some(y) = item.year {
                cs.push(id(Attribute::Era, format!("{}s", y.div_euclid(10) * 10)));
            }
            let h = history_bucket(e.history.len(), &HISTORY_EDGES);
            cs.push(id(
                Attribute::HistoryLength,
                history_slice_name(&HISTORY_EDGES, h),
            ));
            let k = history_bucket(logged(e.user), &activity_edges);
            let name = ["light", "medium", "heavy"][k.min(2)];
            let range = history_slice_name(&activity_edges, k);
            cs.push(id(Attribute::Activity, format!("{name} ({range})")));
            if let Some(truth) = &data.truth {
                let yes = truth.in_partner_genre(e.user, e.target);
                cs.push(id(
                    Attribute::PartnerGenre,
                    if yes { "yes" } else { "no" }.into(),
                ));
            }
            cs.sort_unstable();
            cs.dedup();
            row_conditions.push(cs);
        }
        Self {
            dataset: ds.name.clone(),
            users: test.iter().map(|e| e.user).collect(),
            labels: test.iter().map(|e| e.label).collect(),
            row_conditions,
            conditions,
            activity_edges,
        }
    }

    /// Every single condition and every pair of conditions of different attributes, with the
    /// rows meeting them, in a fixed order (singles first, by condition; then pairs).
    fn candidates(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        let n = self.conditions.len();
        let mut singles: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (r, cs) in self.row_conditions.iter().enumerate() {
            for &c in cs {
                singles[c].push(r);
            }
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.conditions[a].cmp(&self.conditions[b]));
        let mut out: Vec<(Vec<usize>, Vec<usize>)> = order
            .iter()
            .map(|&c| (vec![c], singles[c].clone()))
            .collect();
        for (x, &a) in order.iter().enumerate() {
            for &b in &order[x + 1..] {
                if self.conditions[a].attribute == self.conditions[b].attribute {
                    continue;
                }
                let rows: Vec<usize> = singles[a]
                    .iter()
                    .copied()
                    .filter(|&r| self.row_conditions[r].binary_search(&b).is_ok())
                    .collect();
                out.push((vec![a, b], rows));
            }
        }
        out
    }
}

/// What a slice's figure for one model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SliceMeasure {
    /// The share of (slice impression, same user's impression of the other class) pairs the
    /// model orders right, ties one half.
    #[default]
    UserPairs,
    /// AUC over the slice's impressions only (needs both classes in the slice).
    Auc,
}

impl SliceMeasure {
    pub fn key(self) -> &'static str {
        match self {
            Self::UserPairs => "user-pairs",
            Self::Auc => "auc",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        [Self::UserPairs, Self::Auc]
            .into_iter()
            .find(|m| m.key() == s)
            .ok_or_else(|| Error::Config(format!("slice measure '{s}': use user-pairs or auc")))
    }
}

/// How the tested slices are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SliceRanking {
    /// Slice Finder's rule (Chung et al., 2019): a significant gain of `b` on a slice is reported
    /// once, at its most general — an intersection whose single condition already shows a
    /// significant gain is ranked after every slice that is not such a refinement, and says
    /// which slice it refines. Within each group, by the interval's lower end.
    #[default]
    GeneralFirst,
    /// By the interval's lower end alone (a refinement of a slice can outrank it).
    LowerEnd,
}

impl SliceRanking {
    pub fn key(self) -> &'static str {
        match self {
            Self::GeneralFirst => "general-first",
            Self::LowerEnd => "lower-end",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        [Self::GeneralFirst, Self::LowerEnd]
            .into_iter()
            .find(|m| m.key() == s)
            .ok_or_else(|| {
                Error::Config(format!(
                    "slice ranking '{s}': use general-first or lower-end"
                ))
            })
    }
}

/// How the finder runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SliceFinderConfig {
    /// Fewest impressions a slice must have to be tested.
    pub min_size: usize,
    /// Fewest users a slice must have to be tested: the user bootstrap resamples users, and
    /// with a handful its percentile interval is far too narrow.
    pub min_users: usize,
    pub measure: SliceMeasure,
    pub ranking: SliceRanking,
    /// A gain is significant when its q is below this and its interval is above zero.
    pub alpha: f64,
    pub bootstrap: BootstrapConfig,
}

impl Default for SliceFinderConfig {
    fn default() -> Self {
        Self {
            min_size: 100,
            min_users: 20,
            measure: SliceMeasure::UserPairs,
            ranking: SliceRanking::GeneralFirst,
            alpha: 0.05,
            bootstrap: BootstrapConfig::default(),
        }
    }
}

/// One slice and how `b` does against `a` there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundSlice {
    pub conditions: Vec<Condition>,
    /// Impressions, their users and positives.
    pub size: usize,
    pub users: usize,
    pub positives: usize,
    /// The measure of `a` and of `b` on the slice.
    pub value_a: f64,
    pub value_b: f64,
    /// `value_b − value_a`.
    pub diff: f64,
    /// The paired user bootstrap's 95% interval of `diff`.
    pub ci: [f64; 2],
    pub p: f64,
    /// Benjamini–Hochberg over every slice tested.
    pub q: f64,
    /// A significant gain of `b`: `q` below the finder's alpha and the interval above zero.
    pub significant: bool,
    /// Under [`SliceRanking::GeneralFirst`], the more general slice (one of this one's
    /// conditions) whose significant gain this one refines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refines: Option<Vec<Condition>>,
}

impl FoundSlice {
    /// `genre=Drama ∧ era=1990s`
    pub fn name(&self) -> String {
        self.conditions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ∧ ")
    }
}

/// The ranked slices of one pair of models (`slices.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceFinding {
    pub format_version: u32,
    pub dataset: String,
    pub a: String,
    pub b: String,
    pub config: SliceFinderConfig,
    /// Every test impression, and the slices considered (with at least one row).
    pub impressions: usize,
    pub candidates: usize,
    /// Ranked by the interval's lower end, highest first: where `b` surely gains most.
    pub slices: Vec<FoundSlice>,
}

impl Artifact for SliceFinding {
    const KIND: &'static str = "slice finding";
    /// 2: the general-first ranking, `significant`, `refines` and `min_users`.
    const FORMAT_VERSION: u32 = 2;
    const MADE_BY: &'static str = "reaseq slices";
}

/// The slices of `table` ranked by how surely model `b` beats model `a` (scores per row).
/// `progress` hears the share of candidate slices done.
pub fn find_slices(
    table: &SliceTable,
    (a_name, a): (&str, &[f64]),
    (b_name, b): (&str, &[f64]),
    cfg: &SliceFinderConfig,
    progress: &dyn Fn(f64),
) -> Result<SliceFinding> {
    let n = table.labels.len();
    for (name, col) in [(a_name, a), (b_name, b)] {
        if col.len() != n {
            return Err(Error::Config(format!(
                "slice finder: {name} has {} scores for {n} impressions",
                col.len()
            )));
        }
    }
    let candidates = table.candidates();
    let total = candidates.len();
    let pairs = match cfg.measure {
        SliceMeasure::UserPairs => Some((user_pairs(table, a), user_pairs(table, b))),
        SliceMeasure::Auc => None,
    };
    let mut found = Vec::new();
    for (k, (conds, rows)) in candidates.into_iter().enumerate() {
        progress(k as f64 / total.max(1) as f64);
        if rows.len() < cfg.min_size.max(1) {
            continue;
        }
        let users: Vec<u32> = rows.iter().map(|&r| table.users[r]).collect();
        let mut distinct = users.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < cfg.min_users.max(1) {
            continue;
        }
        let labels: Vec<bool> = rows.iter().map(|&r| table.labels[r]).collect();
        let positives = labels.iter().filter(|&&l| l).count();
        let d = match &pairs {
            Some((pa, pb)) => match paired_user_pairs(&users, &rows, pa, pb, &cfg.bootstrap)? {
                Some(d) => d,
                None => continue,
            },
            None => {
                if positives == 0 || positives == labels.len() {
                    continue;
                }
                let sa: Vec<f64> = rows.iter().map(|&r| a[r]).collect();
                let sb: Vec<f64> = rows.iter().map(|&r| b[r]).collect();
                let d = paired_bootstrap(Metric::Auc, &users, &labels, &sb, &sa, &cfg.bootstrap)?;
                let value_a = crate::metrics::auc(&labels, &sa)?;
                Difference {
                    value_a,
                    value_b: value_a + d.estimate,
                    lower: d.lower,
                    upper: d.upper,
                    p: d.p_value,
                }
            }
        };
        found.push(FoundSlice {
            conditions: conds.iter().map(|&c| table.conditions[c].clone()).collect(),
            size: rows.len(),
            users: distinct.len(),
            positives,
            value_a: d.value_a,
            value_b: d.value_b,
            diff: d.value_b - d.value_a,
            ci: [d.lower, d.upper],
            p: d.p,
            q: 0.0,
            significant: false,
            refines: None,
        });
    }
    progress(1.0);
    let q = benjamini_hochberg(&found.iter().map(|s| s.p).collect::<Vec<_>>());
    for (s, q) in found.iter_mut().zip(q) {
        s.q = q;
        s.significant = q < cfg.alpha && s.ci[0] > 0.0;
    }
    // Ties (equal lower ends): the larger difference, then the broader slice (fewer conditions,
    // more rows), then the fixed candidate order.
    found.sort_by(|x, y| {
        y.ci[0]
            .total_cmp(&x.ci[0])
            .then(y.diff.total_cmp(&x.diff))
            .then(x.conditions.len().cmp(&y.conditions.len()))
            .then(y.size.cmp(&x.size))
    });
    if cfg.ranking == SliceRanking::GeneralFirst {
        mark_refinements(&mut found);
        // Stable: each group keeps the order above.
        found.sort_by_key(|s| s.refines.is_some());
    }
    Ok(SliceFinding {
        format_version: SliceFinding::FORMAT_VERSION,
        dataset: table.dataset.clone(),
        a: a_name.to_owned(),
        b: b_name.to_owned(),
        config: *cfg,
        impressions: n,
        candidates: total,
        slices: found,
    })
}

/// Marks each significant intersection one of whose conditions alone is a significant slice
/// (`found` sorted by lower end: the surest such parent is named).
fn mark_refinements(found: &mut [FoundSlice]) {
    let general: Vec<Vec<Condition>> = found
        .iter()
        .filter(|s| s.significant && s.conditions.len() == 1)
        .map(|s| s.conditions.clone())
        .collect();
    for s in found.iter_mut() {
        if s.significant && s.conditions.len() > 1 {
            s.refines = general
                .iter()
                .find(|g| g.iter().all(|c| s.conditions.contains(c)))
                .cloned();
        }
    }
}

/// The models a slice finder compares, each a score of every test impression: the variants'
/// bundles, and the models of score files matched to the impressions ([`align_scores`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelColumns {
    columns: Vec<(String, Vec<f64>)>,
}

impl ModelColumns {
    /// Every ranker's probability of every test row, named by its variant; with `only`, the
    /// rankers of the variants it names alone (the others are not scored).
    pub fn of_rankers(
        rankers: &[Ranker],
        only: Option<&[&str]>,
        test: &[RankerExample],
        gbr: &[Vec<u32>],
    ) -> Result<Self> {
        let wanted =
            |v: Variant| only.is_none_or(|ns| ns.iter().any(|n| Variant::parse(n) == Some(v)));
        let columns = rankers
            .iter()
            .filter(|m| wanted(m.config.variant))
            .map(|m| {
                let col = test
                    .iter()
                    .map(|e| Ok(f64::from(m.score(&e.input(gbr))?.probability)))
                    .collect::<Result<_>>()?;
                Ok((m.config.variant.name().to_owned(), col))
            })
            .collect::<Result<_>>()?;
        Ok(Self { columns })
    }

    /// Adds the models of score files (`(name, bytes)`; with several files, each file is one
    /// model named by the file, as `reaseq metrics` names them), matched to `test`.
    pub fn add_score_files<'f>(
        &mut self,
        files: &[(&'f str, &'f [u8])],
        ds: &Dataset,
        test: &[RankerExample],
    ) -> Result<()> {
        for &(file, bytes) in files {
            let mut s = read_model_scores(file, bytes, Strictness::Strict)?;
            if files.len() > 1 {
                s = s.named_by_file(file);
            }
            for (name, col) in align_scores(file, &s, ds, test)? {
                if Variant::parse(&name).is_some() || self.get(&name).is_ok() {
                    return Err(Error::Config(format!(
                        "{file}: a model named '{name}' is here already: rename its column"
                    )));
                }
                self.columns.push((name, col));
            }
        }
        Ok(())
    }

    /// Every model's name, variants first.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The model named `name` (a variant also by its key, e.g. `gbr`).
    pub fn get(&self, name: &str) -> Result<(&str, &[f64])> {
        let variant = Variant::parse(name).map(Variant::name);
        self.columns
            .iter()
            .find(|(n, _)| n == name || Some(n.as_str()) == variant)
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .ok_or_else(|| {
                let variants = Variant::ALL.map(Variant::name);
                let theirs: Vec<&str> = self
                    .names()
                    .into_iter()
                    .filter(|n| !variants.contains(n))
                    .collect();
                Error::Config(format!(
                    "no model '{name}': the models are the variants {} and a score file's models once it is opened{}",
                    variants.join(", "),
                    if theirs.is_empty() { String::new() } else { format!(" ({})", theirs.join(", ")) }
                ))
            })
    }

    /// The test rows with every model's score (`reaseq slices --write-rows`).
    pub fn rows_csv(&self, ds: &Dataset, test: &[RankerExample]) -> String {
        let models: Vec<(&str, &[f64])> = self
            .columns
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        test_rows_csv(ds, test, &models)
    }
}

/// The test impressions as a score file (`reaseq slices --write-rows`):
/// `user_id,item_id,label` and each named model's probability — the rows a researcher scores
/// with their own model and adds as a column, for [`align_scores`].
pub fn test_rows_csv(ds: &Dataset, test: &[RankerExample], models: &[(&str, &[f64])]) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from("user_id,item_id,label");
    for (name, _) in models {
        out.push(',');
        out.push_str(&quote(name));
    }
    out.push('\n');
    for (r, e) in test.iter().enumerate() {
        out.push_str(&format!(
            "{},{},{}",
            quote(ds.users.name(e.user)),
            quote(&ds.items[e.target as usize].id),
            u8::from(e.label)
        ));
        for (_, col) in models {
            out.push_str(&format!(",{}", col[r]));
        }
        out.push('\n');
    }
    out
}

/// Each model of a score file as a column over `test`: every test impression matched to the
/// file's row of the same user and item, whose label must agree. Rows the test set does not
/// have are ignored; a test impression the file lacks, a second row of one impression or a
/// label that disagrees is an error naming the file and line.
pub fn align_scores(
    file: &str,
    s: &ModelScores,
    ds: &Dataset,
    test: &[RankerExample],
) -> Result<Vec<(String, Vec<f64>)>> {
    let problem =
        |line: u64, field: &str, msg: String| Error::Format(Problem::new(file, line, field, msg));
    let items = s.item.as_ref().ok_or_else(|| {
        problem(
            1,
            "header",
            "no item_id column: the slice finder matches rows to the test impressions by user and item (reaseq slices --write-rows FILE writes them)".into(),
        )
    })?;
    let mut at: HashMap<(&str, &str), usize> = HashMap::with_capacity(items.len());
    for (r, item) in items.iter().enumerate() {
        let key = (s.users.name(s.user[r]), item.as_str());
        if let Some(first) = at.insert(key, r) {
            return Err(problem(
                s.line[r],
                "item_id",
                format!(
                    "user {} and item {} again (first on line {}): one row per impression",
                    key.0, key.1, s.line[first]
                ),
            ));
        }
    }
    let mut rows = Vec::with_capacity(test.len());
    for e in test {
        let (user, item) = (
            ds.users.name(e.user),
            ds.items[e.target as usize].id.as_str(),
        );
        let r = *at.get(&(user, item)).ok_or_else(|| {
            problem(
                1,
                "user_id,item_id",
                format!(
                    "no row for user {user} and item {item}, a test impression of {}: score all {} (reaseq slices --write-rows FILE writes them)",
                    ds.name,
                    test.len()
                ),
            )
        })?;
        if s.label[r] != e.label {
            return Err(problem(
                s.line[r],
                "label",
                format!(
                    "label {} for user {user} and item {item}, whose test label is {}",
                    u8::from(s.label[r]),
                    u8::from(e.label)
                ),
            ));
        }
        rows.push(r);
    }
    Ok(s.models
        .iter()
        .map(|(name, col)| (name.clone(), rows.iter().map(|&r| col[r]).collect()))
        .collect())
}

/// One slice's two values and the paired interval of their difference.
struct Difference {
    value_a: f64,
    value_b: f64,
    lower: f64,
    upper: f64,
    p: f64,
}

/// Per row: (pairs it is ordered right in, ties one half; pairs it is in) against the same
/// user's rows of the other class.
fn user_pairs(table: &SliceTable, scores: &[f64]) -> Vec<(f64, f64)> {
    let mut by_user: std::collections::HashMap<u32, Vec<usize>> = std::collections::HashMap::new();
    for (r, &u) in table.users.iter().enumerate() {
        by_user.entry(u).or_default().push(r);
    }
    let mut out = vec![(0.0, 0.0); scores.len()];
    for rows in by_user.values() {
        for &r in rows {
            let (mut wins, mut n) = (0.0, 0.0);
            for &o in rows {
                if table.labels[o] == table.labels[r] {
                    continue;
                }
                let (pos, neg) = if table.labels[r] { (r, o) } else { (o, r) };
                n += 1.0;
                wins += match scores[pos].total_cmp(&scores[neg]) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                };
            }
            out[r] = (wins, n);
        }
    }
    out
}

/// The user-pairs measure of `a` and `b` on `rows`, with the paired user bootstrap of b − a;
/// None when no row of the slice has a pair.
fn paired_user_pairs(
    users: &[u32],
    rows: &[usize],
    a: &[(f64, f64)],
    b: &[(f64, f64)],
    cfg: &BootstrapConfig,
) -> Result<Option<Difference>> {
    // Per user of the slice: a's wins, b's wins, pairs.
    let n_users = users.iter().max().map_or(0, |&m| m as usize + 1);
    let mut per_user = vec![(0.0, 0.0, 0.0); n_users];
    for (&u, &r) in users.iter().zip(rows) {
        let e = &mut per_user[u as usize];
        e.0 += a[r].0;
        e.1 += b[r].0;
        e.2 += a[r].1;
    }
    let value = |m: &dyn Fn(usize) -> f64| -> Option<(f64, f64)> {
        let (mut wa, mut wb, mut n) = (0.0, 0.0, 0.0);
        for (u, e) in per_user.iter().enumerate() {
            let w = m(u);
            if w > 0.0 {
                wa += w * e.0;
                wb += w * e.1;
                n += w * e.2;
            }
        }
        (n > 0.0).then(|| (wa / n, wb / n))
    };
    let Some((value_a, value_b)) = value(&|_| 1.0) else {
        return Ok(None);
    };
    let mut diffs = Vec::with_capacity(cfg.replicates);
    crate::metrics::bootstrap::for_each_replicate(users, cfg, |m| {
        if let Some((x, y)) = value(&|u| m[u]) {
            diffs.push(y - x);
        }
    });
    let (lower, upper, p) =
        crate::metrics::bootstrap::difference_interval(&mut diffs, cfg.confidence)?;
    Ok(Some(Difference {
        value_a,
        value_b,
        lower,
        upper,
        p,
    }))
}

/// What `reaseq slices` prints: the top `top` slices.
impl SliceFinding {
    pub fn markdown(&self, top: usize) -> String {
        let c = &self.config;
        let rule = match c.ranking {
            SliceRanking::GeneralFirst => "significant gains at their most general first (a refinement of one after), then by the 95% interval's lower end",
            SliceRanking::LowerEnd => "by the 95% interval's lower end",
        };
        let mut s = format!(
            "Slices of {} where {} beats {} most surely by {} ({} impressions, {} slices of at least {} impressions and {} users tested of {}; ranked {rule}; q = Benjamini–Hochberg, significant: q < {} and the interval above 0)\n\n",
            self.dataset,
            self.b,
            self.a,
            c.measure.key(),
            self.impressions,
            self.slices.len(),
            c.min_size,
            c.min_users,
            self.candidates,
            c.alpha,
        );
        s.push_str(&format!(
            "| # | slice | size | users | {a} | {b} | diff | 95% CI | q | |\n",
            a = self.a,
            b = self.b
        ));
        s.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
        for (k, x) in self.slices.iter().take(top).enumerate() {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {:.4} | {:.4} | {:+.4} | [{:+.4}, {:+.4}] | {:.3} | {} |\n",
                k + 1,
                x.name(),
                x.size,
                x.users,
                x.value_a,
                x.value_b,
                x.diff,
                x.ci[0],
                x.ci[1],
                x.q,
                x.note()
            ));
        }
        s
    }
}

impl FoundSlice {
    /// `significant`, or `refines genre=Drama`, or nothing.
    pub fn note(&self) -> String {
        match (&self.refines, self.significant) {
            (Some(g), _) => format!(
                "refines {}",
                g.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ∧ ")
            ),
            (None, true) => "significant".into(),
            (None, false) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::rows::small_world;

    /// A world big enough for slices of a few hundred impressions.
    fn world() -> (Prepared, crate::experiment::ExperimentRows) {
        let data = Prepared::synthetic(crate::data::WorldSpec::sized(300, 200, 3)).unwrap();
        let s = crate::experiment::RowSettings {
            negatives: 0,
            history: crate::ranker::HistoryEvents::Liked,
            max_history: 30,
            seed: 1,
        };
        let rows = crate::experiment::ExperimentRows::build(&data, &s).unwrap();
        (data, rows)
    }

    #[test]
    fn a_model_that_knows_the_partner_genre_wins_first_there() {
        let (data, rows) = world();
        let truth = data.truth.as_ref().unwrap();
        let table = SliceTable::new(&data, &rows.test);
        // a: no opinion; b: separates the partner-genre rows perfectly, no opinion elsewhere.
        let a = vec![0.5; rows.test.len()];
        let b: Vec<f64> = rows
            .test
            .iter()
            .map(
                |e| match (truth.in_partner_genre(e.user, e.target), e.label) {
                    (true, true) => 0.9,
                    (true, false) => 0.1,
                    (false, _) => 0.5,
                },
            )
            .collect();
        let cfg = SliceFinderConfig {
            min_size: 100,
            bootstrap: BootstrapConfig {
                replicates: 200,
                ..BootstrapConfig::default()
            },
            ..SliceFinderConfig::default()
        };
        let f = find_slices(&table, ("a", &a), ("b", &b), &cfg, &|_| ()).unwrap();
        assert!(!f.slices.is_empty());
        let top = &f.slices[0];
        // Every partner-genre slice is equally sure (+0.5 in every replicate): the broadest
        // comes first.
        assert_eq!(top.name(), "partner_genre=yes", "{}", f.markdown(5));
        assert!((top.diff - 0.5).abs() < 1e-12 && top.ci[0] > 0.49 && top.q < 0.05);
        let partner = |s: &FoundSlice| s.conditions.iter().any(|c| c.value == "yes");
        assert!(f
            .slices
            .iter()
            .filter(|s| !partner(s))
            .all(|s| s.ci[0] < top.ci[0]));
        // Every slice met the minimum and q is never below p.
        assert!(f.slices.iter().all(|s| s.size >= 100 && s.q >= s.p - 1e-12));
        // Swapping the pair negates every difference.
        let g = find_slices(&table, ("b", &b), ("a", &a), &cfg, &|_| ()).unwrap();
        let back = g
            .slices
            .iter()
            .find(|s| s.conditions == top.conditions)
            .unwrap();
        assert!((back.diff + top.diff).abs() < 1e-12);
    }

    #[test]
    fn a_gain_is_reported_at_its_most_general_slice_first() {
        // Per user: partner-genre rows of genres X and Y and a row of neither kind, each a
        // positive and a negative. b separates the X rows of the partner genre perfectly and
        // its Y rows in three users of four; a has no opinion anywhere.
        let cond = |attribute, value: &str| Condition {
            attribute,
            value: value.into(),
        };
        let conditions = vec![
            cond(Attribute::PartnerGenre, "yes"),
            cond(Attribute::PartnerGenre, "no"),
            cond(Attribute::Genre, "X"),
            cond(Attribute::Genre, "Y"),
        ];
        let (mut users, mut labels, mut row_conditions, mut b) = (vec![], vec![], vec![], vec![]);
        for u in 0..60u32 {
            for (cs, gain) in [
                (vec![0, 2], 0.4),
                (vec![0, 3], if u % 4 == 0 { -0.1 } else { 0.1 }),
                (vec![1, 2], 0.0),
            ] {
                for label in [true, false] {
                    users.push(u);
                    labels.push(label);
                    row_conditions.push(cs.clone());
                    b.push(if label { 0.5 + gain } else { 0.5 - gain });
                }
            }
        }
        let table = SliceTable {
            dataset: "t".into(),
            users,
            labels,
            row_conditions,
            conditions,
            activity_edges: Vec::new(),
        };
        let a = vec![0.5; b.len()];
        let cfg = |ranking| SliceFinderConfig {
            min_size: 10,
            ranking,
            bootstrap: BootstrapConfig {
                replicates: 300,
                ..BootstrapConfig::default()
            },
            ..SliceFinderConfig::default()
        };
        let run = |r| find_slices(&table, ("a", &a), ("b", &b), &cfg(r), &|_| ()).unwrap();
        let surest = run(SliceRanking::LowerEnd);
        assert_eq!(
            surest.slices[0].name(),
            "genre=X ∧ partner_genre=yes",
            "{}",
            surest.markdown(5)
        );
        let general = run(SliceRanking::GeneralFirst);
        let top = &general.slices[0];
        assert_eq!(top.name(), "partner_genre=yes", "{}", general.markdown(8));
        assert!(top.significant && top.refines.is_none());
        let refined = general
            .slices
            .iter()
            .position(|s| s.name() == "genre=X ∧ partner_genre=yes")
            .unwrap();
        assert_eq!(
            general.slices[refined].refines.as_deref(),
            Some(&top.conditions[..])
        );
        assert_eq!(general.slices[refined].note(), "refines partner_genre=yes");
        // Every slice that refines nothing comes before every refinement.
        let first_refinement = general.slices.iter().position(|s| s.refines.is_some());
        assert!(general.slices[first_refinement.unwrap()..]
            .iter()
            .all(|s| s.refines.is_some()));
        // The same slices and figures, only in another order.
        assert_eq!(general.slices.len(), surest.slices.len());
        // Too few users: nothing is tested.
        let few = SliceFinderConfig {
            min_users: 61,
            ..cfg(SliceRanking::GeneralFirst)
        };
        let none = find_slices(&table, ("a", &a), ("b", &b), &few, &|_| ()).unwrap();
        assert!(none.slices.is_empty());
        assert_eq!(
            SliceRanking::parse("lower-end").unwrap(),
            SliceRanking::LowerEnd
        );
        assert!(SliceRanking::parse("best").is_err());
    }

    #[test]
    fn a_row_is_paired_with_its_users_rows_of_the_other_class_only() {
        let table = SliceTable {
            dataset: "t".into(),
            users: vec![0, 0, 0, 1, 1],
            labels: vec![true, false, false, true, true],
            row_conditions: vec![Vec::new(); 5],
            conditions: Vec::new(),
            activity_edges: Vec::new(),
        };
        let p = user_pairs(&table, &[0.9, 0.1, 0.9, 0.2, 0.3]);
        // The positive beats one negative and ties the other; user 1 has no negative.
        assert_eq!(
            p,
            vec![(1.5, 2.0), (1.0, 1.0), (0.5, 1.0), (0.0, 0.0), (0.0, 0.0)]
        );
        assert_eq!(SliceMeasure::parse("auc").unwrap(), SliceMeasure::Auc);
        assert!(SliceMeasure::parse("gauc").is_err());
    }

    #[test]
    fn a_score_file_of_the_test_rows_reads_back_as_its_columns_and_bad_ones_name_the_line() {
        use crate::data::load::{read_model_scores, Strictness};
        let (data, rows) = small_world(3);
        let ds = &data.ds;
        let test = &rows.test;
        let mine: Vec<f64> = (0..test.len()).map(|r| (r % 7) as f64 / 7.0).collect();
        let csv = test_rows_csv(ds, test, &[("mine", &mine)]);
        let read = |text: &str| read_model_scores("s.csv", text.as_bytes(), Strictness::Strict);
        let s = read(&csv).unwrap();
        let cols = align_scores("s.csv", &s, ds, test).unwrap();
        assert_eq!(cols, vec![("mine".to_string(), mine.clone())]);
        // Rows in another order, and one the test set does not have, read the same.
        let mut lines: Vec<&str> = csv.lines().collect();
        let header = lines.remove(0);
        lines.reverse();
        let extra = format!("{},nosuchitem,1,0.5", ds.users.name(test[0].user));
        let shuffled = format!("{header}\n{extra}\n{}\n", lines.join("\n"));
        let cols = align_scores("s.csv", &read(&shuffled).unwrap(), ds, test).unwrap();
        assert_eq!(cols[0].1, mine);
        let err = |text: String| {
            align_scores("s.csv", &read(&text).unwrap(), ds, test)
                .unwrap_err()
                .to_string()
        };
        // A missing impression; a flipped label (line 2 is the first row); a second row.
        let e = err(format!("{header}\n{}\n", lines[1..].join("\n")));
        assert!(e.contains("s.csv") && e.contains("no row for user"), "{e}");
        let first: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let flipped = format!(
            "{},{},{},{}",
            first[0],
            first[1],
            1 - first[2].parse::<u8>().unwrap(),
            first[3]
        );
        let body: Vec<&str> = csv.lines().skip(2).collect();
        let e = err(format!("{header}\n{flipped}\n{}\n", body.join("\n")));
        assert!(e.contains("s.csv:2") && e.contains("label"), "{e}");
        let e = err(format!("{csv}{}\n", csv.lines().nth(1).unwrap()));
        assert!(e.contains("again (first on line 2)"), "{e}");
        let no_item = "user_id,label,mine\nu1,1,0.5\n";
        let e = err(no_item.to_string());
        assert!(e.contains("no item_id column"), "{e}");
    }

    #[test]
    fn a_column_of_the_wrong_length_is_an_error() {
        let (data, rows) = small_world(3);
        let table = SliceTable::new(&data, &rows.test);
        let a = vec![0.5; rows.test.len()];
        let e = find_slices(
            &table,
            ("a", &a),
            ("b", &a[1..]),
            &SliceFinderConfig::default(),
            &|_| (),
        );
        assert!(e.unwrap_err().to_string().contains("b has"));
    }
}
