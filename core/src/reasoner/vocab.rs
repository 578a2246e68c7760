//! The diffusion reasoner's tokens: three control tokens, one token per (level, code), then one
//! mask token per level. An item is the sequence of its semantic-ID codes (levels, then the
//! collision index), so a response of M items is M·L tokens. A masked position says which level
//! it hides: the response starts after a history of any length, so its absolute position alone
//! does not tell the model which codebook to predict from.

use crate::error::{Error, Result};
use crate::knowledge::semantic_id::SemanticIds;

pub const PAD: u32 = 0;
pub const BOS: u32 = 1;
pub const SEP: u32 = 2;
/// Opens a self-supervised training example (held-out logged items) when training with task
/// prompts; inference always opens with BOS. It shares PAD's row, which nothing else trains
/// (padded keys are masked out and PAD is outside every level's codes), so the option changes
/// no model's shape and leaves models trained without it exactly as they were.
pub const HELD_OUT: u32 = PAD;
const SPECIAL: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct ItemVocab {
    /// Token id of code 0 at each level of an item.
    offsets: Vec<u32>,
    /// Per item, its tokens.
    items: Vec<Vec<u32>>,
    /// The first mask token (level 0's); level l's is `masks + l`.
    masks: u32,
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
            masks: next,
        })
    }

    /// Tokens per item (L).
    pub fn levels(&self) -> usize {
        self.offsets.len()
    }

    pub fn size(&self) -> usize {
        (self.masks as usize) + self.levels()
    }

    /// The token that hides a code of `level`.
    pub fn mask(&self, level: usize) -> u32 {
        self.masks + level as u32
    }

    pub fn is_mask(&self, token: u32) -> bool {
        token >= self.masks && (token as usize) < self.size()
    }

    /// The tokens that may stand at `level`: a masked position is predicted among these only.
    pub fn level_tokens(&self, level: usize) -> std::ops::Range<u32> {
        let end = self.offsets.get(level + 1).copied().unwrap_or(self.masks);
        self.offsets[level]..end
    }

    pub fn num_items(&self) -> usize {
        self.items.len()
    }

    pub fn tokens(&self, item: u32) -> &[u32] {
        &self.items[item as usize]
    }

    /// Which level a code token belongs to (None for control and mask tokens).
    pub fn level_of(&self, token: u32) -> Option<usize> {
        if token < SPECIAL || token >= self.masks {
            return None;
        }
        Some(self.offsets.partition_point(|&o| o <= token) - 1)
    }

    /// `[BOS] history [SEP]` then `slots` times the L level masks.
    pub fn prompt(&self, history: &[u32], slots: usize) -> Vec<u32> {
        let mut t = Vec::with_capacity(2 + (history.len() + slots) * self.levels());
        t.push(BOS);
        for &i in history {
            t.extend_from_slice(self.tokens(i));
        }
        t.push(SEP);
        for _ in 0..slots {
            t.extend((0..self.levels()).map(|l| self.mask(l)));
        }
        t
    }
}
