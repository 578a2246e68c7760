//! The diffusion reasoner's tokens: four control tokens, then one token per (slot level, code).
//! An item is the sequence of its semantic-ID codes (levels, then the collision index), so a
//! response of M items is M·L tokens.

use crate::error::{Error, Result};
use crate::knowledge::semantic_id::SemanticIds;

pub const PAD: u32 = 0;
pub const BOS: u32 = 1;
pub const SEP: u32 = 2;
pub const MASK: u32 = 3;
const SPECIAL: u32 = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct ItemVocab {
    /// Token id of code 0 at each level of an item.
    offsets: Vec<u32>,
    /// Per item, its tokens.
    items: Vec<Vec<u32>>,
    size: u32,
}

impl ItemVocab {
    pub fn new(ids: &SemanticIds) -> Result<Self> {
        let levels = ids.codes.first().map_or(0, Vec::len);
        if levels == 0 || ids.codes.iter().any(|c| c.len() != levels) {
            return Err(Error::Config(
                "semantic IDs: every item needs the same, non-zero number of codes".into(),
            ));
        }
        // Codes per level: the codebook size, and for the collision index its largest value.
        let mut width = vec![0u32; levels];
        for c in &ids.codes {
            for (l, &x) in c.iter().enumerate() {
                width[l] = width[l].max(x as u32 + 1);
            }
        }
        let mut offsets = Vec::with_capacity(levels);
        let mut next = SPECIAL;
        for w in &width {
            offsets.push(next);
            next += w;
        }
        let items = ids
            .codes
            .iter()
            .map(|c| {
                c.iter()
                    .zip(&offsets)
                    .map(|(&x, &o)| o + x as u32)
                    .collect()
            })
            .collect();
        Ok(Self {
            offsets,
            items,
            size: next,
        })
    }

    /// Tokens per item (L).
    pub fn levels(&self) -> usize {
        self.offsets.len()
    }

    pub fn size(&self) -> usize {
        self.size as usize
    }

    pub fn num_items(&self) -> usize {
        self.items.len()
    }

    pub fn tokens(&self, item: u32) -> &[u32] {
        &self.items[item as usize]
    }

    /// Which level a token belongs to (None for control tokens).
    pub fn level_of(&self, token: u32) -> Option<usize> {
        if token < SPECIAL || token >= self.size {
            return None;
        }
        Some(self.offsets.partition_point(|&o| o <= token) - 1)
    }

    /// `[BOS] history [SEP] [MASK]×(slots·L)`.
    pub fn prompt(&self, history: &[u32], slots: usize) -> Vec<u32> {
        let mut t = Vec::with_capacity(2 + (history.len() + slots) * self.levels());
        t.push(BOS);
        for &i in history {
            t.extend_from_slice(self.tokens(i));
        }
        t.push(SEP);
        t.extend(std::iter::repeat_n(MASK, slots * self.levels()));
        t
    }
}
