use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::hash::Fnv1a;

/// Raw string ids interned to dense `u32` indices in first-seen order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl From<Vec<String>> for Vocab {
    fn from(names: Vec<String>) -> Self {
        let mut v = Vocab::default();
        for n in names {
            v.intern(&n);
        }
        v
    }
}

impl From<Vocab> for Vec<String> {
    fn from(v: Vocab) -> Self {
        v.names
    }
}

impl Vocab {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, i: u32) -> &str {
        self.names
            .get(i as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The id as written in the source files.
    pub id: String,
    pub title: String,
    pub year: Option<i32>,
    /// Indices into [`Dataset::genres`].
    pub genres: Vec<u32>,
    pub description: Option<String>,
}

impl Item {
    /// `Title (Year)`, the form MovieLens uses.
    pub fn display_title(&self) -> String {
        match self.year {
            Some(y) if !self.title.ends_with(')') => format!("{} ({y})", self.title),
            _ => self.title.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Index into [`Dataset::users`].
    pub user: u32,
    /// Index into [`Dataset::items`].
    pub item: u32,
    /// Seconds (any monotone unit works; only the order is used).
    pub timestamp: i64,
    pub rating: Option<f32>,
    pub label: Option<bool>,
}

/// CTR label of an impression: an explicit label wins, else `rating >= threshold`, else a click.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelPolicy {
    pub rating_threshold: f32,
}

impl Default for LabelPolicy {
    fn default() -> Self {
        Self {
            rating_threshold: 4.0,
        }
    }
}

impl LabelPolicy {
    pub fn label(&self, x: &Interaction) -> bool {
        match (x.label, x.rating) {
            (Some(l), _) => l,
            (None, Some(r)) => r >= self.rating_threshold,
            (None, None) => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triple {
    pub head: u32,
    pub relation: u32,
    pub tail: u32,
}

/// Knowledge-graph triples over entities, and the item → entity links.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeGraph {
    pub entities: Vocab,
    pub relations: Vocab,
    pub triples: Vec<Triple>,
    /// Per item, its entity (if linked).
    pub item_entity: Vec<Option<u32>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub users: Vocab,
    pub items: Vec<Item>,
    item_index: HashMap<String, u32>,
    pub genres: Vocab,
    pub interactions: Vec<Interaction>,
    pub graph: Option<KnowledgeGraph>,
}

impl Dataset {
    /// The genre indices of genre names (blanks ignored); an unknown name is an error that
    /// names it and lists the genres there are.
    pub fn genre_indices<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> crate::Result<Vec<u32>> {
        names
            .into_iter()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(|g| {
                self.genres.get(g).ok_or_else(|| {
                    crate::Error::Config(format!(
                        "no genre '{g}' in {} (its genres: {})",
                        self.name,
                        self.genres.names().join(", ")
                    ))
                })
            })
            .collect()
    }

    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn item_index(&self, id: &str) -> Option<u32> {
        self.item_index.get(id).copied()
    }

    /// Adds an item; `None` if the id is already present.
    pub fn add_item(&mut self, item: Item) -> Option<u32> {
        if self.item_index.contains_key(&item.id) {
            return None;
        }
        Some(self.push_item(item))
    }

    /// Appends an item whose id is known to be new.
    fn push_item(&mut self, item: Item) -> u32 {
        let i = self.items.len() as u32;
        self.item_index.insert(item.id.clone(), i);
        self.items.push(item);
        i
    }

    /// The item with this id, created with an empty title when the source has no item file.
    pub fn item_or_insert(&mut self, id: &str) -> u32 {
        match self.item_index(id) {
            Some(i) => i,
            None => self.push_item(Item {
                id: id.to_owned(),
                title: String::new(),
                year: None,
                genres: Vec::new(),
                description: None,
            }),
        }
    }

    pub fn num_users(&self) -> usize {
        self.users.len()
    }

    pub fn num_items(&self) -> usize {
        self.items.len()
    }

    /// Per user, interaction indices in time order (ties keep file order).
    pub fn timelines(&self) -> Vec<Vec<u32>> {
        let mut t: Vec<Vec<u32>> = vec![Vec::new(); self.num_users()];
        for (i, x) in self.interactions.iter().enumerate() {
            t[x.user as usize].push(i as u32);
        }
        for seq in &mut t {
            seq.sort_by_key(|&i| self.interactions[i as usize].timestamp);
        }
        t
    }

    /// A content hash (FNV-1a, 64 bit) that is the same on every platform: ties bundles and test
    /// expectations to exact data.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fnv1a::new();
        h.str(&self.name);
        for u in self.users.names() {
            h.str(u);
        }
        for it in &self.items {
            h.str(&it.id);
            h.str(&it.title);
            h.u64(it.year.map_or(u64::MAX, |y| y as u64));
            for g in &it.genres {
                h.str(self.genres.name(*g));
            }
            h.str(it.description.as_deref().unwrap_or(""));
        }
        for x in &self.interactions {
            h.u64(x.user as u64);
            h.u64(x.item as u64);
            h.u64(x.timestamp as u64);
            h.u64(x.rating.map_or(u64::MAX, |r| r.to_bits() as u64));
            h.u64(x.label.map_or(2, u64::from));
        }
        if let Some(g) = &self.graph {
            for t in &g.triples {
                h.u64(((t.head as u64) << 32) | t.tail as u64);
                h.u64(t.relation as u64);
            }
        }
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_policy_prefers_explicit_label() {
        let p = LabelPolicy::default();
        let mut x = Interaction {
            user: 0,
            item: 0,
            timestamp: 0,
            rating: Some(5.0),
            label: Some(false),
        };
        assert!(!p.label(&x));
        x.label = None;
        assert!(p.label(&x));
        x.rating = Some(3.5);
        assert!(!p.label(&x));
        x.rating = None;
        assert!(p.label(&x));
    }

    #[test]
    fn vocab_interns_once() {
        let mut v = Vocab::default();
        assert_eq!(v.intern("a"), 0);
        assert_eq!(v.intern("b"), 1);
        assert_eq!(v.intern("a"), 0);
        assert_eq!(v.len(), 2);
        let json = serde_json::to_string(&v).unwrap();
        let back: Vocab = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn display_title_adds_year_once() {
        let mut it = Item {
            id: "1".into(),
            title: "Toy Story".into(),
            year: Some(1995),
            genres: vec![],
            description: None,
        };
        assert_eq!(it.display_title(), "Toy Story (1995)");
        it.title = "Toy Story (1995)".into();
        assert_eq!(it.display_title(), "Toy Story (1995)");
    }
}
