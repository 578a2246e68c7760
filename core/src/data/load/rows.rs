//! Row readers shared by the CSV and RecBole formats: both map onto the same column specs.

use crate::data::text::Dialect;
use crate::data::{Dataset, Interaction, Item, KnowledgeGraph, Triple};
use crate::error::{Report, Result};

use super::table::{col, ColumnSpec, Meter, Table};

pub const ITEM_COLUMNS: &[ColumnSpec] = &[
    col("item_id", &["id"], true),
    col("title", &["movie_title", "item_title", "name"], false),
    col(
        "genres",
        &["genre", "class", "category", "categories"],
        false,
    ),
    col("year", &["release_year"], false),
    col("description", &["desc", "text"], false),
];
const I_ID: usize = 0;
const I_TITLE: usize = 1;
const I_GENRES: usize = 2;
const I_YEAR: usize = 3;
const I_DESC: usize = 4;

pub fn interaction_columns(timestamp_required: bool) -> [ColumnSpec; 5] {
    [
        col("user_id", &["user"], true),
        col("item_id", &["item"], true),
        col("timestamp", &["time", "ts"], timestamp_required),
        col("label", &["click"], false),
        col("rating", &["score"], false),
    ]
}
const X_USER: usize = 0;
const X_ITEM: usize = 1;
const X_TS: usize = 2;
const X_LABEL: usize = 3;
const X_RATING: usize = 4;

/// Genres separated by `|` when the field has one, else by white space.
fn split_genres(s: &str) -> impl Iterator<Item = &str> {
    let by_bar = s.contains('|');
    s.split(move |c: char| if by_bar { c == '|' } else { c.is_whitespace() })
        .map(str::trim)
        .filter(|g| !g.is_empty())
}

pub fn read_items(
    file: &str,
    data: &[u8],
    dialect: Dialect,
    meter: &Meter<'_>,
    ds: &mut Dataset,
) -> Result<Report> {
    let mut table = Table::open(file, data, dialect, ITEM_COLUMNS)?;
    table.for_each_row_metered(meter, |row| {
        let id = row.id(I_ID)?;
        // RecBole types the year as a token, so any string is valid there (MovieLens-100k has
        // 'unkonwn' and 'V'): a token that is not a year means no year. CSV wants a number.
        let year = match dialect {
            Dialect::Csv => row.year(I_YEAR)?,
            Dialect::Tsv => row.year(I_YEAR).ok().flatten(),
        };
        if ds.item_index(id).is_some() {
            return Err(row.problem(I_ID, format!("duplicate item id '{id}'")));
        }
        let genres = split_genres(row.get(I_GENRES).unwrap_or(""))
            .map(|g| ds.genres.intern(g))
            .collect();
        ds.add_item(Item {
            id: id.to_owned(),
            title: row.get(I_TITLE).unwrap_or("").to_owned(),
            year,
            genres,
            description: row.get(I_DESC).filter(|d| !d.is_empty()).map(str::to_owned),
        });
        Ok(())
    });
    table.finish()
}

/// Reads interactions. With `items_file`, every item must be in it; without, items are created
/// from the interactions. A missing timestamp column means file order.
pub fn read_interactions(
    file: &str,
    data: &[u8],
    dialect: Dialect,
    timestamp_required: bool,
    items_file: Option<&str>,
    meter: &Meter<'_>,
    ds: &mut Dataset,
) -> Result<Report> {
    let specs = interaction_columns(timestamp_required);
    let mut table = Table::open(file, data, dialect, &specs)?;
    let mut ordinal = 0i64;
    table.for_each_row_metered(meter, |row| {
        ordinal += 1;
        let user = row.id(X_USER)?;
        let item_id = row.id(X_ITEM)?;
        let timestamp = row.timestamp(X_TS)?.unwrap_or(ordinal);
        if timestamp_required && row.get(X_TS) == Some("") {
            return Err(row.problem(X_TS, "missing value"));
        }
        let label = row.label(X_LABEL)?;
        let rating = row.f64(X_RATING)?.map(|r| r as f32);
        let item = match items_file {
            Some(items) => ds.item_index(item_id).ok_or_else(|| {
                row.problem(X_ITEM, format!("unknown item '{item_id}' (not in {items})"))
            })?,
            None => ds.item_or_insert(item_id),
        };
        let user = ds.users.intern(user);
        ds.interactions.push(Interaction {
            user,
            item,
            timestamp,
            rating,
            label,
        });
        Ok(())
    });
    table.finish()
}

const KG_COLUMNS: &[ColumnSpec] = &[
    col("head_id", &["head"], true),
    col("relation_id", &["relation"], true),
    col("tail_id", &["tail"], true),
];
const LINK_COLUMNS: &[ColumnSpec] = &[
    col("item_id", &[], true),
    col("entity_id", &["entity"], true),
];

pub fn read_graph(
    kg: Option<(&str, &[u8])>,
    link: Option<(&str, &[u8])>,
    meter: &Meter<'_>,
    ds: &mut Dataset,
) -> Result<Report> {
    let mut report = Report::default();
    let mut g = KnowledgeGraph {
        item_entity: vec![None; ds.num_items()],
        ..KnowledgeGraph::default()
    };
    if let Some((file, data)) = link {
        let mut table = Table::open(file, data, Dialect::Tsv, LINK_COLUMNS)?;
        table.for_each_row_metered(meter, |row| {
            let item_id = row.id(0)?;
            let entity = row.id(1)?;
            let item = ds
                .item_index(item_id)
                .ok_or_else(|| row.problem(0, format!("unknown item '{item_id}'")))?;
            let slot = &mut g.item_entity[item as usize];
            if slot.is_some() {
                return Err(row.problem(0, format!("item '{item_id}' is linked twice")));
            }
            *slot = Some(g.entities.intern(entity));
            Ok(())
        });
        report.merge(table.finish()?);
    }
    if let Some((file, data)) = kg {
        let mut table = Table::open(file, data, Dialect::Tsv, KG_COLUMNS)?;
        table.for_each_row_metered(meter, |row| {
            let (h, r, t) = (row.id(0)?, row.id(1)?, row.id(2)?);
            let triple = Triple {
                head: g.entities.intern(h),
                relation: g.relations.intern(r),
                tail: g.entities.intern(t),
            };
            g.triples.push(triple);
            Ok(())
        });
        report.merge(table.finish()?);
    }
    if kg.is_some() || link.is_some() {
        ds.graph = Some(g);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genres_split_on_bar_or_space() {
        assert_eq!(
            split_genres("Action|Sci-Fi").collect::<Vec<_>>(),
            ["Action", "Sci-Fi"]
        );
        assert_eq!(
            split_genres("Animation Children's  Comedy").collect::<Vec<_>>(),
            ["Animation", "Children's", "Comedy"]
        );
        assert_eq!(
            split_genres("Film Noir|War").collect::<Vec<_>>(),
            ["Film Noir", "War"]
        );
        assert_eq!(split_genres("").count(), 0);
    }
}
