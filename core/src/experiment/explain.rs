//! What-if: edit a user's logged history — remove events, add catalogue items, type new items
//! the student encoder places, reorder — and see the reasoner's inferred behaviours, every
//! variant's score and attention for one target, and every variant's top-K recommendations
//! before and after; with each item's leave-one-out effect on each score. `reaseq explain` and
//! the Sequences page's what-if both call [`Explainer`].
//!
//! The history is the ranker's for the user's first test impression (the pre-test log it
//! attends). Before and after are computed the same way: fold 0's reasoner reads that history
//! (catalogue items only: a typed item has no code in its vocabulary) and the ranked decoder
//! with the bundle's prior infers the GBR sequence — so "before" can differ from the cross-fit
//! sequence the test set was scored with, and the difference between before and after is the
//! edit's alone.

use std::cell::RefCell;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::ranker::cold::ColdSpace;
use crate::ranker::{AttentionCache, Ranker, RankerExample, RankerInput, Scored};
use crate::reasoner::every_user::max_history;
use crate::reasoner::{
    beam_items_with_prior, excluded, BeamConfig, DecodingPrior, DiffusionReasoner, ItemVocab,
    PriorWeight,
};

use super::full_ranking::top_items;

/// A catalogue item given by its id moved to position `to` (0: oldest) of the edited history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub item: String,
    pub to: usize,
}

impl Move {
    /// `ID:POS`, as `--move` and a shared URL write it.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::Config(format!("move '{s}': write it ITEM_ID:POSITION, e.g. 50:0"));
        let (item, to) = s.rsplit_once(':').ok_or_else(bad)?;
        let to = to.trim().parse().map_err(|_| bad())?;
        if item.trim().is_empty() {
            return Err(bad());
        }
        Ok(Self {
            item: item.trim().to_owned(),
            to,
        })
    }
}

impl fmt::Display for Move {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.item, self.to)
    }
}

/// An item no log has seen, typed by the researcher; the student encoder places it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedItem {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Genre names of the dataset.
    #[serde(default)]
    pub genres: Vec<String>,
}

/// The edits of one what-if, applied in this order: removals, catalogue additions (appended,
/// newest last), typed items (appended, named `new-1`, `new-2`, …), then moves in turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edits {
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub new_items: Vec<TypedItem>,
    #[serde(default)]
    pub moves: Vec<Move>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty()
            && self.add.is_empty()
            && self.new_items.is_empty()
            && self.moves.is_empty()
    }

    /// The id typed item `k` (from 0) has in a history and in `--move`.
    pub fn new_item_id(k: usize) -> String {
        format!("new-{}", k + 1)
    }
}

/// An event of an edited history: a catalogue item or the k-th typed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Catalogue(u32),
    Typed(usize),
}

/// An item as a what-if names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRef {
    pub id: String,
    pub title: String,
    /// A typed item, which no log has seen.
    #[serde(default)]
    pub typed: bool,
}

/// One variant's view of a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantState {
    pub variant: String,
    pub probability: f32,
    pub logit: f32,
    /// The first history position the ranker attends (it reads the last `max_history`).
    pub attended_from: usize,
    /// Attention weight of each attended history item (from `attended_from` on).
    pub history_weights: Vec<f32>,
    /// Attention weight of each inferred item (variants with GBR).
    pub gbr_weights: Vec<f32>,
    /// Per history position, the score's probability minus the probability without that event
    /// (leave-one-out, exact; the inferred items held fixed).
    pub history_effect: Vec<f32>,
    /// Per inferred item, the probability minus the probability without it (0 for variants that
    /// do not read GBR).
    pub inferred_effect: Vec<f32>,
    /// The top K catalogue items for this user, best first (items the history shows excluded).
    pub top: Vec<ItemRef>,
}

/// A history and what the models make of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIfState {
    /// Oldest first.
    pub history: Vec<ItemRef>,
    /// The reasoner's inferred items, best first.
    pub inferred: Vec<ItemRef>,
    pub variants: Vec<VariantState>,
}

/// Before and after one set of edits (what `reaseq explain --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub format_version: u32,
    pub dataset: String,
    pub user: String,
    pub target: ItemRef,
    /// The target's label when it is one of the user's test impressions.
    pub target_label: Option<bool>,
    pub top_k: usize,
    pub edits: Edits,
    pub before: WhatIfState,
    pub after: WhatIfState,
}

impl Artifact for Explanation {
    const KIND: &'static str = "what-if explanation";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq explain";
}

/// The reasoner a what-if runs: fold 0's model, its vocabulary, and the ranked decoder's prior.
pub struct WhatIfReasoner<'a> {
    pub model: &'a DiffusionReasoner,
    pub vocab: &'a ItemVocab,
    pub prior: &'a DecodingPrior,
    pub weight: PriorWeight,
    /// Items inferred (the GBR sequence's length).
    pub slots: usize,
}

/// The width of the ranked decoder's beam, as the GBR sequences are decoded.
const BEAM_WIDTH: usize = 20;

/// Explains one user's what-ifs against one target.
pub struct Explainer<'a> {
    data: &'a Prepared,
    rankers: &'a [Ranker],
    reasoner: WhatIfReasoner<'a>,
    space: Option<&'a ColdSpace>,
    row: &'a RankerExample,
    user: u32,
    target: u32,
    target_label: Option<bool>,
    top_k: usize,
    /// Per ranker, the attention weights kept between states (see [`AttentionCache`]).
    caches: RefCell<Vec<AttentionCache>>,
}

impl<'a> Explainer<'a> {
    /// `user` by name and `target` by item id (default: the user's first test target); `test`
    /// the test rows the rankers score; `space` places typed items (None: typing is refused).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        data: &'a Prepared,
        rankers: &'a [Ranker],
        reasoner: WhatIfReasoner<'a>,
        space: Option<&'a ColdSpace>,
        test: &'a [RankerExample],
        user: &str,
        target: Option<&str>,
        top_k: usize,
    ) -> Result<Self> {
        let ds = &data.ds;
        if reasoner.vocab.num_items() != ds.num_items() {
            return Err(Error::Config(format!(
                "what-if: the reasoner's vocabulary has {} items, {} has {}",
                reasoner.vocab.num_items(),
                ds.name,
                ds.num_items()
            )));
        }
        let u = ds
            .users
            .get(user)
            .ok_or_else(|| Error::Config(format!("no user '{user}' in {}", ds.name)))?;
        let mine: Vec<&RankerExample> = test.iter().filter(|e| e.user == u).collect();
        let row = *mine
            .first()
            .ok_or_else(|| Error::Config(format!("user '{user}' has no test impression")))?;
        let target = match target {
            Some(id) => item_index(data, id, "target")?,
            None => row.target,
        };
        let target_label = mine.iter().find(|e| e.target == target).map(|e| e.label);
        Ok(Self {
            data,
            rankers,
            reasoner,
            space,
            row,
            user: u,
            target,
            target_label,
            top_k,
            caches: RefCell::new(vec![AttentionCache::default(); rankers.len()]),
        })
    }

    /// This explainer starting from `caches` (what [`Explainer::into_caches`] gave, for any
    /// user of the same rankers): the page's worker keeps them between edits.
    pub fn with_caches(self, caches: Vec<AttentionCache>) -> Self {
        if caches.len() == self.rankers.len() {
            *self.caches.borrow_mut() = caches;
        }
        self
    }

    /// The attention weights kept so far, one cache per ranker.
    pub fn into_caches(self) -> Vec<AttentionCache> {
        self.caches.into_inner()
    }

    /// The logged history (oldest first) as item ids: what edits refer to.
    pub fn logged(&self) -> Vec<ItemRef> {
        self.row.history.iter().map(|&i| self.item_ref(i)).collect()
    }

    /// Before and after `edits`.
    pub fn explain(&self, edits: &Edits) -> Result<Explanation> {
        self.explain_from(self.state(&Edits::default())?, edits)
    }

    /// [`Explainer::explain`] with the logged history's state already computed (by
    /// [`Explainer::state`] of no edits): what the page's worker keeps between edits.
    pub fn explain_from(&self, before: WhatIfState, edits: &Edits) -> Result<Explanation> {
        Ok(Explanation {
            format_version: Explanation::FORMAT_VERSION,
            dataset: self.data.ds.name.clone(),
            user: self.data.ds.users.name(self.user).to_string(),
            target: self.item_ref(self.target),
            target_label: self.target_label,
            top_k: self.top_k,
            edits: edits.clone(),
            before,
            after: self.state(edits)?,
        })
    }

    fn item_ref(&self, i: u32) -> ItemRef {
        let item = &self.data.ds.items[i as usize];
        ItemRef {
            id: item.id.clone(),
            title: item.display_title(),
            typed: false,
        }
    }

    /// The edited history, in the order [`Edits`] says.
    fn edited(&self, edits: &Edits) -> Result<Vec<Event>> {
        let user = self.data.ds.users.name(self.user);
        let mut h: Vec<Event> = self
            .row
            .history
            .iter()
            .map(|&i| Event::Catalogue(i))
            .collect();
        for id in &edits.remove {
            let i = item_index(self.data, id, "remove")?;
            if !h.contains(&Event::Catalogue(i)) {
                return Err(Error::Config(format!(
                    "remove {id}: not in user {user}'s history"
                )));
            }
            h.retain(|&e| e != Event::Catalogue(i));
        }
        for id in &edits.add {
            let i = item_index(self.data, id, "add")?;
            if h.contains(&Event::Catalogue(i)) {
                return Err(Error::Config(format!(
                    "add {id}: already in user {user}'s history"
                )));
            }
            h.push(Event::Catalogue(i));
        }
        if !edits.new_items.is_empty() && self.space.is_none() {
            return Err(Error::Config(
                "typed items need the student encoder, which this data's bundles lack".into(),
            ));
        }
        h.extend((0..edits.new_items.len()).map(Event::Typed));
        for m in &edits.moves {
            let from = h
                .iter()
                .position(|&e| self.event_id(e) == m.item)
                .ok_or_else(|| {
                    Error::Config(format!("move {m}: {} is not in the edited history", m.item))
                })?;
            if m.to >= h.len() {
                return Err(Error::Config(format!(
                    "move {m}: position {} is past the history's end (it has {} events, from 0)",
                    m.to,
                    h.len()
                )));
            }
            let e = h.remove(from);
            h.insert(m.to, e);
        }
        Ok(h)
    }

    fn event_id(&self, e: Event) -> String {
        match e {
            Event::Catalogue(i) => self.data.ds.items[i as usize].id.clone(),
            Event::Typed(k) => Edits::new_item_id(k),
        }
    }

    /// The rankers with `edits`' typed items appended to their catalogues (the rankers
    /// themselves when there are none).
    fn rankers_for(&self, edits: &Edits) -> Result<Vec<std::borrow::Cow<'a, Ranker>>> {
        let Some(space) = self.space.filter(|_| !edits.new_items.is_empty()) else {
            return Ok(self
                .rankers
                .iter()
                .map(std::borrow::Cow::Borrowed)
                .collect());
        };
        let mut placed = Vec::new();
        for t in &edits.new_items {
            let p = space.place(&t.title, &t.description, 1)?;
            let genres = self
                .data
                .ds
                .genre_indices(t.genres.iter().map(String::as_str))?;
            placed.push((genres, p.rep));
        }
        self.rankers
            .iter()
            .map(|m| {
                let extra = placed
                    .iter()
                    .map(|(g, rep)| m.cold_item(g, m.config.variant.uses_rep().then_some(rep)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(std::borrow::Cow::Owned(m.with_extra_items(&extra)?))
            })
            .collect()
    }

    /// The reasoner's inferred items for a history (its catalogue items only).
    fn infer(&self, history: &[u32], removed: &[u32]) -> Result<Vec<u32>> {
        let r = &self.reasoner;
        let mut model = r.model.clone();
        let keep = max_history(&model, r.vocab, r.slots);
        let prompt = &history[history.len().saturating_sub(keep)..];
        let mut x = excluded(&self.data.ds, &self.data.protocol, self.user);
        for &i in removed {
            x[i as usize] = false;
        }
        for &i in history {
            x[i as usize] = true;
        }
        let q = r.prior.for_user(prompt, r.weight.mix)?;
        let prior = (r.weight.lambda > 0.0).then_some((q.as_ref(), r.weight.lambda));
        let beam = BeamConfig {
            items: r.slots,
            width: BEAM_WIDTH.max(r.slots),
        };
        let (ranked, _) = beam_items_with_prior(&mut model, r.vocab, prompt, &x, &beam, prior)?;
        Ok(ranked.into_iter().map(|(i, _)| i).collect())
    }

    /// What the models make of the history `edits` give.
    pub fn state(&self, edits: &Edits) -> Result<WhatIfState> {
        let ds = &self.data.ds;
        let events = self.edited(edits)?;
        let n = ds.num_items() as u32;
        let ids: Vec<u32> = events
            .iter()
            .map(|&e| match e {
                Event::Catalogue(i) => i,
                Event::Typed(k) => n + k as u32,
            })
            .collect();
        let catalogue: Vec<u32> = ids.iter().copied().filter(|&i| i < n).collect();
        let removed: Vec<u32> = edits
            .remove
            .iter()
            .filter_map(|id| ds.item_index(id))
            .collect();
        let inferred = self.infer(&catalogue, &removed)?;
        // Never recommended: the user's logged items the edits kept, and the added ones.
        let mut seen: Vec<u32> = excluded(ds, &self.data.protocol, self.user)
            .iter()
            .enumerate()
            .filter(|&(i, &x)| x && !removed.contains(&(i as u32)))
            .map(|(i, _)| i as u32)
            .chain(catalogue.iter().copied())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let history = events
            .iter()
            .map(|&e| match e {
                Event::Catalogue(i) => self.item_ref(i),
                Event::Typed(k) => ItemRef {
                    id: Edits::new_item_id(k),
                    title: edits.new_items[k].title.trim().to_owned(),
                    typed: true,
                },
            })
            .collect();
        let mut variants = Vec::new();
        let mut scores = vec![0f32; 0];
        let mut caches = self.caches.borrow_mut();
        for (m, cache) in self.rankers_for(edits)?.into_iter().zip(caches.iter_mut()) {
            let score = |history: &[u32], gbr: &[u32]| -> Result<Scored> {
                m.score(&RankerInput {
                    target: self.target,
                    history,
                    gbr,
                    user: Some(self.user),
                })
            };
            let full = score(&ids, &inferred)?;
            let without = |xs: &[u32], k: usize| -> Vec<u32> {
                xs.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != k)
                    .map(|(_, &i)| i)
                    .collect()
            };
            let history_effect = (0..ids.len())
                .map(|k| Ok(full.probability - score(&without(&ids, k), &inferred)?.probability))
                .collect::<Result<Vec<f32>>>()?;
            let inferred_effect = (0..inferred.len())
                .map(|k| Ok(full.probability - score(&ids, &without(&inferred, k))?.probability))
                .collect::<Result<Vec<f32>>>()?;
            scores.resize(m.config.items, 0.0);
            m.score_catalogue_cached(
                (&ids, &inferred, Some(self.user)),
                n as usize,
                cache,
                &mut scores,
            )?;
            let top = top_items(&scores[..n as usize], &seen, self.top_k)?
                .into_iter()
                .map(|i| self.item_ref(i))
                .collect();
            variants.push(VariantState {
                variant: m.config.variant.name().to_owned(),
                probability: full.probability,
                logit: full.logit,
                attended_from: ids.len().saturating_sub(m.config.max_history),
                history_weights: full.history_weights,
                gbr_weights: full.gbr_weights,
                history_effect,
                inferred_effect,
                top,
            });
        }
        Ok(WhatIfState {
            history,
            inferred: inferred.iter().map(|&i| self.item_ref(i)).collect(),
            variants,
        })
    }
}

/// An item's index by id; an error names the flag or field that gave it.
fn item_index(data: &Prepared, id: &str, what: &str) -> Result<u32> {
    data.ds
        .item_index(id.trim())
        .ok_or_else(|| Error::Config(format!("{what} {id}: no item '{id}' in {}", data.ds.name)))
}

/// What `reaseq explain` prints: per variant the target's score before → after, the inferred
/// items that came and went, and the top-K's entries and exits.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.target_label {
            Some(true) => " (a test positive)",
            Some(false) => " (a test negative)",
            None => "",
        };
        writeln!(
            f,
            "user {} of {}, target {} {}{label}",
            self.user, self.dataset, self.target.id, self.target.title
        )?;
        let titles = |xs: &[ItemRef]| -> String {
            xs.iter()
                .map(|x| x.title.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        writeln!(f, "history before: {}", titles(&self.before.history))?;
        writeln!(f, "history after:  {}", titles(&self.after.history))?;
        let gone: Vec<ItemRef> = diff(&self.before.inferred, &self.after.inferred);
        let came: Vec<ItemRef> = diff(&self.after.inferred, &self.before.inferred);
        writeln!(f, "inferred after: {}", titles(&self.after.inferred))?;
        writeln!(f, "  new: {}", titles(&came))?;
        writeln!(f, "  gone: {}", titles(&gone))?;
        for (b, a) in self.before.variants.iter().zip(&self.after.variants) {
            writeln!(
                f,
                "{:<8} p {:.4} → {:.4} ({:+.4}); top-{}: +{} −{}",
                a.variant,
                b.probability,
                a.probability,
                a.probability - b.probability,
                self.top_k,
                titles(&diff(&a.top, &b.top)),
                titles(&diff(&b.top, &a.top)),
            )?;
        }
        Ok(())
    }
}

/// The items of `a` not in `b`, by id.
pub fn diff(a: &[ItemRef], b: &[ItemRef]) -> Vec<ItemRef> {
    a.iter()
        .filter(|x| !b.iter().any(|y| y.id == x.id))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_parses_and_a_bad_one_says_how_to_write_it() {
        assert_eq!(
            Move::parse("50:0").unwrap(),
            Move {
                item: "50".into(),
                to: 0
            }
        );
        assert_eq!(Move::parse("new-1:3").unwrap().item, "new-1");
        for bad in ["50", "50:x", ":3", "50:-1"] {
            let e = Move::parse(bad).unwrap_err().to_string();
            assert!(e.contains("ITEM_ID:POSITION"), "{bad}: {e}");
        }
    }
}
