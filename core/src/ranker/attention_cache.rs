//! Every catalogue target's attention weight on the items a history holds, kept across calls
//! of [`Ranker::score_catalogue_cached`]. A target's weight on an item depends on neither the
//! item's position nor the other items of the sequence, so a what-if's edit only computes the
//! columns of the items it brings in — with the arithmetic [`Ranker::score_catalogue`] does,
//! so the scores are the same to the bit.

use std::collections::HashMap;

use crate::error::{Error, Result};

use super::Ranker;

/// Columns kept per block before the cache starts again (each is one weight per target).
const MAX_COLUMNS: usize = 512;

/// One ranker's kept attention weights over its catalogue.
#[derive(Debug, Clone, Default)]
pub struct AttentionCache {
    /// The ranker's tensors' FNV-1a hash: whose weights these are.
    owner: Option<u64>,
    /// Targets (catalogue items) the cache covers: items beyond them (a what-if's typed new
    /// items) are computed afresh every call.
    targets: usize,
    /// Per block, every target's `v(W_b − W_c) + b1`, `(targets, att_hidden)`.
    parts: Vec<Vec<f32>>,
    /// Per block, per catalogue item, the weight every target gives it.
    columns: Vec<HashMap<u32, Vec<f32>>>,
}

impl AttentionCache {
    /// Columns held, over all blocks.
    pub fn columns(&self) -> usize {
        self.columns.iter().map(HashMap::len).sum()
    }

    /// Made ready for `ranker` over its first `targets` items: kept when it is the ranker the
    /// cache was filled by, emptied otherwise.
    fn bind(&mut self, ranker: &Ranker, targets: usize) {
        let owner = Some(ranker.tensor_hash());
        if self.owner != owner || self.targets != targets {
            let blocks = ranker.config.blocks().len();
            *self = Self {
                owner,
                targets,
                parts: (0..blocks)
                    .map(|b| {
                        let w = ranker.block(b);
                        (0..targets as u32)
                            .flat_map(|t| w.target_part(ranker.item(t)))
                            .collect()
                    })
                    .collect(),
                columns: vec![HashMap::new(); blocks],
            };
        }
    }
}

impl Ranker {
    /// [`Ranker::score_catalogue`], reading each catalogue target's attention weight on a
    /// catalogue item from `cache` (filled on first use): same arithmetic, same logits. The
    /// catalogue is the first `catalogue` items; items past it (typed items of
    /// [`Ranker::with_extra_items`]) are computed afresh.
    pub fn score_catalogue_cached(
        &self,
        (history, gbr, user): (&[u32], &[u32], Option<u32>),
        catalogue: usize,
        cache: &mut AttentionCache,
        out: &mut [f32],
    ) -> Result<()> {
        let c = self.config;
        if out.len() != c.items || catalogue > c.items {
            return Err(Error::Model(format!(
                "ranker: {} scores of a {}-item catalogue asked of a model of {} items",
                out.len(),
                catalogue,
                c.items
            )));
        }
        c.check_input(history, gbr, user)?;
        cache.bind(self, catalogue);
        let history = &history[history.len().saturating_sub(c.max_history)..];
        let gbr = &gbr[..gbr.len().min(c.max_gbr)];
        let seqs: Vec<&[u32]> = if c.variant.uses_gbr() {
            vec![history, gbr]
        } else {
            vec![history]
        };
        let blocks: Vec<_> = (0..seqs.len()).map(|b| self.block(b)).collect();
        let mut hidden = vec![0f32; c.att_hidden];
        for ((b, seq), w) in seqs.iter().enumerate().zip(&blocks) {
            let (parts, columns) = (&cache.parts[b], &mut cache.columns[b]);
            if columns.len() + seq.len() > MAX_COLUMNS {
                columns.clear();
            }
            for &it in seq.iter().filter(|&&it| (it as usize) < catalogue) {
                columns.entry(it).or_insert_with(|| {
                    let e = self.item(it);
                    (0..catalogue)
                        .map(|t| {
                            let part = &parts[t * w.h..(t + 1) * w.h];
                            w.weight(self.item(t as u32), part, e, it, &mut hidden)
                        })
                        .collect()
                });
            }
        }
        let mut weights = Vec::new();
        for (t, o) in out.iter_mut().enumerate() {
            let v = self.item(t as u32);
            let mut pooled = Vec::with_capacity(seqs.len());
            for ((b, seq), w) in seqs.iter().enumerate().zip(&blocks) {
                let fresh = (t >= catalogue).then(|| w.target_part(v));
                weights.clear();
                for &it in seq.iter() {
                    let a = match (&fresh, cache.columns[b].get(&it)) {
                        (None, Some(col)) => col[t],
                        _ => {
                            let part = match &fresh {
                                Some(p) => p.as_slice(),
                                None => &cache.parts[b][t * w.h..(t + 1) * w.h],
                            };
                            w.weight(v, part, self.item(it), it, &mut hidden)
                        }
                    };
                    weights.push(a);
                }
                pooled.push(self.pool(seq, &weights));
            }
            *o = self.head(v, &pooled[0], pooled.get(1).map(Vec::as_slice), user);
        }
        Ok(())
    }

    /// FNV-1a, a word at a time, over every tensor's name and f32 bits, in name order.
    fn tensor_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |w: u64| {
            h ^= w;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        for (name, t) in self.tensors_by_name() {
            name.bytes().for_each(|b| eat(u64::from(b)));
            t.iter().for_each(|x| eat(u64::from(x.to_bits())));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranker::{ItemFeatures, RankerConfig, Variant};

    fn ranker(variant: Variant, seed: u64) -> Ranker {
        let f = ItemFeatures {
            genres: (0..9).map(|i| vec![i % 3]).collect(),
            num_genres: 3,
            rep: variant
                .uses_rep()
                .then(|| (0..9).map(|i| vec![i as f32 * 0.1, -0.3]).collect()),
        };
        let c = RankerConfig {
            max_history: 4,
            max_gbr: 3,
            ..RankerConfig::small(variant, 9, 3, 2)
        };
        Ranker::init(c, &f, seed).unwrap()
    }

    #[test]
    fn cached_scores_are_the_catalogues_to_the_bit_across_edits_and_rankers() {
        for v in Variant::ALL {
            let m = ranker(v, 3);
            let mut cache = AttentionCache::default();
            let histories: [(&[u32], &[u32]); 4] = [
                (&[0, 1, 2], &[5, 6]),
                (&[0, 2], &[6]),
                (&[3, 0, 1, 2, 4, 7], &[5, 8, 6, 1]),
                (&[], &[]),
            ];
            for (h, g) in histories {
                let (mut plain, mut cached) = (vec![0f32; 9], vec![0f32; 9]);
                m.score_catalogue(h, g, None, &mut plain).unwrap();
                m.score_catalogue_cached((h, g, None), 9, &mut cache, &mut cached)
                    .unwrap();
                let bits = |x: &[f32]| x.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&plain), bits(&cached), "{v:?} {h:?} {g:?}");
            }
            assert!(cache.columns() > 0);
            // Another ranker's weights empty the cache rather than read it.
            let other = ranker(v, 4);
            let (mut plain, mut cached) = (vec![0f32; 9], vec![0f32; 9]);
            other
                .score_catalogue(&[0, 1], &[5], None, &mut plain)
                .unwrap();
            other
                .score_catalogue_cached((&[0, 1], &[5], None), 9, &mut cache, &mut cached)
                .unwrap();
            assert_eq!(plain, cached, "{v:?}");
        }
    }

    #[test]
    fn typed_items_past_the_catalogue_are_computed_afresh() {
        let m = ranker(Variant::ReaSeq, 5);
        let mut cache = AttentionCache::default();
        for extra in [m.item(2).to_vec(), m.item(7).to_vec()] {
            let x = m.with_extra_items(&[extra]).unwrap();
            let (mut plain, mut cached) = (vec![0f32; 10], vec![0f32; 10]);
            x.score_catalogue(&[0, 9, 1], &[9, 4], None, &mut plain)
                .unwrap();
            x.score_catalogue_cached((&[0, 9, 1], &[9, 4], None), 9, &mut cache, &mut cached)
                .unwrap();
            assert_eq!(plain, cached);
        }
        let mut out = vec![0f32; 9];
        assert!(m
            .score_catalogue_cached((&[0], &[], None), 10, &mut cache, &mut out)
            .is_err());
        assert!(m
            .score_catalogue_cached((&[12], &[], None), 9, &mut cache, &mut out)
            .is_err());
    }
}
