//! `reaseq explain` and `reaseq slices`: the Sequences page's what-if and the Compare page's
//! slice finder, from the bundles the page reads (`reaseq_core::experiment::{explain,
//! slice_finder}` compute both).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use reaseq_core::artifact::to_json;
use reaseq_core::experiment::slice_finder::ModelColumns;
use reaseq_core::experiment::{
    find_slices, Edits, Explainer, Move, SliceFinderConfig, SliceMeasure, SliceRanking, SliceTable,
    TypedItem, WhatIfReasoner,
};
use reaseq_core::metrics::BootstrapConfig;

use crate::source::DataArgs;
use crate::workspace::workspace;

#[derive(Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The protocol's seed (the bundles' own).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The user, by name.
    #[arg(long)]
    user: String,
    /// Remove this logged item (by id) from the history; repeatable.
    #[arg(long)]
    remove: Vec<String>,
    /// Append this catalogue item (by id) to the history; repeatable.
    #[arg(long)]
    add: Vec<String>,
    /// Append a new item by its title (placed by the student encoder), named new-1, new-2, …;
    /// repeatable.
    #[arg(long = "new")]
    new_titles: Vec<String>,
    /// The genres of the --new items, comma-separated, one flag per --new in order.
    #[arg(long = "new-genres")]
    new_genres: Vec<String>,
    /// Move an item (ITEM_ID:POSITION, 0 = oldest) after the other edits; repeatable, in turn.
    #[arg(long = "move")]
    moves: Vec<String>,
    /// The target item by id (default: the user's first test impression).
    #[arg(long)]
    target: Option<String>,
    /// Recommendations shown per variant.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Items the reasoner infers (the GBR sequence's length).
    #[arg(long, default_value_t = 10)]
    slots: usize,
    #[arg(long)]
    json: bool,
}

impl ExplainArgs {
    fn edits(&self) -> Result<Edits> {
        if self.new_genres.len() > self.new_titles.len() {
            bail!(
                "--new-genres given {} times for {} --new",
                self.new_genres.len(),
                self.new_titles.len()
            );
        }
        Ok(Edits {
            remove: self.remove.clone(),
            add: self.add.clone(),
            new_items: self
                .new_titles
                .iter()
                .enumerate()
                .map(|(k, title)| TypedItem {
                    title: title.clone(),
                    description: String::new(),
                    genres: self.new_genres.get(k).map_or_else(Vec::new, |g| {
                        g.split(',')
                            .map(str::trim)
                            .filter(|g| !g.is_empty())
                            .map(str::to_owned)
                            .collect()
                    }),
                })
                .collect(),
            moves: self
                .moves
                .iter()
                .map(|m| Move::parse(m))
                .collect::<reaseq_core::Result<_>>()?,
        })
    }
}

pub fn explain(a: ExplainArgs) -> Result<ExitCode> {
    let ws = workspace();
    let data = a.data.prepare(10, a.seed)?;
    let page = ws.page_rankers(&data)?;
    let r = ws.page_reasoner_decoder(&data)?;
    let reasoner = WhatIfReasoner {
        model: &r.model,
        vocab: &r.vocab,
        prior: &r.prior,
        weight: r.weight,
        slots: a.slots,
    };
    let x = Explainer::new(
        &data,
        &page.rankers,
        reasoner,
        Some(&page.space),
        &page.rows.test,
        &a.user,
        a.target.as_deref(),
        a.top,
    )?;
    let e = x.explain(&a.edits()?)?;
    if a.json {
        println!("{}", String::from_utf8(to_json(&e)?)?);
    } else {
        print!("{e}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct SlicesArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The reference model: Base, +REP, +GBR or ReaSeq.
    #[arg(long)]
    a: String,
    /// The model compared with it; slices are ranked by how surely it beats --a.
    #[arg(long)]
    b: String,
    /// Fewest impressions a slice needs to be tested.
    #[arg(long, default_value_t = SliceFinderConfig::default().min_size)]
    min_size: usize,
    /// Fewest users a slice needs to be tested (the bootstrap resamples users).
    #[arg(long, default_value_t = SliceFinderConfig::default().min_users)]
    min_users: usize,
    /// How slices are ordered: general-first (a significant gain at its most general slice,
    /// its refinements after) or lower-end (by the interval's lower end alone).
    #[arg(long, default_value = "general-first")]
    ranking: String,
    /// What each slice is measured by: user-pairs (each slice impression against the same
    /// user's impressions of the other class) or auc (within the slice only).
    #[arg(long, default_value = "user-pairs")]
    measure: String,
    /// Score files of your own models on the test impressions (`user_id,item_id,label` and a
    /// column per model, or one file per model), matched by user and item; their models can
    /// then be --a or --b by column name (by file name, one file per model). Repeatable.
    #[arg(long = "scores")]
    scores: Vec<String>,
    /// Write the test impressions with every variant's probability to this CSV (the rows to
    /// score your model on, then add as a column) and stop.
    #[arg(long)]
    write_rows: Option<String>,
    /// Bootstrap replicates per slice.
    #[arg(long, default_value_t = 1000)]
    replicates: usize,
    /// Slices printed (--json prints all).
    #[arg(long, default_value_t = 15)]
    top: usize,
    #[arg(long)]
    json: bool,
}

pub fn slices(a: SlicesArgs) -> Result<ExitCode> {
    let ws = workspace();
    let data = a.data.prepare(10, a.seed)?;
    let page = ws.page_rankers(&data)?;
    let (test, gbr) = (&page.rows.test, &page.gbr);
    if let Some(path) = &a.write_rows {
        let columns = ModelColumns::of_rankers(&page.rankers, None, test, gbr)?;
        std::fs::write(path, columns.rows_csv(&data.ds, test))
            .with_context(|| format!("writing {path}"))?;
        eprintln!("{} test impressions → {path}", test.len());
        return Ok(ExitCode::SUCCESS);
    }
    let bytes = a
        .scores
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("reading {f}")))
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<(&str, &[u8])> = a
        .scores
        .iter()
        .zip(&bytes)
        .map(|(f, b)| (f.as_str(), b.as_slice()))
        .collect();
    // Only the pair's variants are scored.
    let only = [a.a.as_str(), a.b.as_str()];
    let mut columns = ModelColumns::of_rankers(&page.rankers, Some(&only), test, gbr)?;
    columns.add_score_files(&files, &data.ds, test)?;
    let table = SliceTable::new(&data, test);
    let (ca, cb) = (columns.get(&a.a)?, columns.get(&a.b)?);
    let cfg = SliceFinderConfig {
        min_size: a.min_size,
        min_users: a.min_users,
        measure: SliceMeasure::parse(&a.measure)?,
        ranking: SliceRanking::parse(&a.ranking)?,
        bootstrap: BootstrapConfig {
            replicates: a.replicates,
            ..BootstrapConfig::default()
        },
        ..SliceFinderConfig::default()
    };
    let f = find_slices(&table, ca, cb, &cfg, &|_| ())?;
    if a.json {
        println!("{}", String::from_utf8(to_json(&f)?)?);
    } else {
        print!("{}", f.markdown(a.top));
    }
    Ok(ExitCode::SUCCESS)
}
