//! The ranker: DIN-style target attention over the logged sequence and, in the GBR variants, a
//! second block over the inferred sequence, then an MLP head. Item representation =
//! [ID embedding; mean genre embedding; projected REP vector]. Inference is plain Rust with a
//! fixed order of operations (identical natively and in WebAssembly); the candle twin in
//! [`super::train`] learns the same weights.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bundle::Tensors;
use crate::error::{Error, Result};
use crate::nn::{sigmoid, Linear, Shapes, Weights};
use crate::rng::SeededRng;

pub const RANKER_KIND: &str = "din-ranker";

/// The four variants of the ablation, trained on identical data and seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Variant {
    /// IDs and genres only.
    Base,
    /// + the REP (item knowledge) vector in the item representation.
    Rep,
    /// + the attention block over the reasoner's inferred sequence.
    Gbr,
    /// Both.
    ReaSeq,
}

impl Variant {
    pub const ALL: [Variant; 4] = [Variant::Base, Variant::Rep, Variant::Gbr, Variant::ReaSeq];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Base => "Base",
            Variant::Rep => "+REP",
            Variant::Gbr => "+GBR",
            Variant::ReaSeq => "ReaSeq",
        }
    }

    /// Lower-case and URL-safe: the bundle's file stem and the value in a shared link.
    pub fn key(self) -> &'static str {
        match self {
            Variant::Base => "base",
            Variant::Rep => "rep",
            Variant::Gbr => "gbr",
            Variant::ReaSeq => "reaseq",
        }
    }

    /// A variant by its name ("+REP") or its key ("rep"), any case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s) || v.key().eq_ignore_ascii_case(s))
    }

    pub fn uses_rep(self) -> bool {
        matches!(self, Variant::Rep | Variant::ReaSeq)
    }

    pub fn uses_gbr(self) -> bool {
        matches!(self, Variant::Gbr | Variant::ReaSeq)
    }
}

/// The learned ID and genre embeddings, and the fixed inputs: each item's genre weights and
/// REP vector.
pub const ID_EMB: &str = "id_emb";
pub const GENRE_EMB: &str = "genre_emb";
pub const ITEM_GENRES: &str = "item_genres";
pub const REP_TABLE: &str = "rep_table";
/// The `user-embedding` control's learned user table.
pub const USER_EMB: &str = "user_emb";

/// DIN's activation unit: each sequence item `e` is weighted by
/// `sigmoid(w2 · relu(W1 [e, v, e − v, e ⊙ v] + b1) + b2)` for the target `v`, and the weighted
/// items are averaged. The bundle names its tensors `{block}.w1`, `.b1`, `.w2`, `.b2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetAttention {
    pub hidden: Linear,
    pub score: Linear,
}

impl TargetAttention {
    pub fn new(block: &str, item_dim: usize, hidden: usize) -> Self {
        let name = |s: &str| format!("{block}.{s}");
        Self {
            hidden: Linear::named(name("w1"), name("b1"), 4 * item_dim, hidden),
            score: Linear::named(name("w2"), name("b2"), hidden, 1),
        }
    }

    pub fn shapes(&self) -> Shapes {
        let mut s = self.hidden.shapes();
        s.extend(self.score.shapes());
        s
    }
}

/// One attention block's tensors, borrowed from a ranker.
pub(super) struct BlockWeights<'a> {
    d: usize,
    pub(super) h: usize,
    w1: &'a [f32],
    b1: &'a [f32],
    w2: &'a [f32],
    b2: f32,
    /// Per item, `e · (W_a + W_c)`.
    keys: &'a [f32],
}

impl BlockWeights<'_> {
    /// The target's part of the hidden layer, `v(W_b − W_c) + b1`: once per target.
    pub(super) fn target_part(&self, v: &[f32]) -> Vec<f32> {
        let (d, h, w1) = (self.d, self.h, self.w1);
        let mut base = self.b1.to_vec();
        for (k, &vk) in v.iter().enumerate() {
            let (wb, wc) = (
                &w1[(d + k) * h..(d + k + 1) * h],
                &w1[(2 * d + k) * h..(2 * d + k + 1) * h],
            );
            for j in 0..h {
                base[j] += vk * (wb[j] - wc[j]);
            }
        }
        base
    }

    /// The sigmoid weight target `v` (its part `base`) gives item `it` (representation `e`):
    /// it depends on neither the item's position nor the other items.
    pub(super) fn weight(
        &self,
        v: &[f32],
        base: &[f32],
        e: &[f32],
        it: u32,
        hidden: &mut [f32],
    ) -> f32 {
        let (d, h, w1) = (self.d, self.h, self.w1);
        let key = &self.keys[it as usize * h..(it as usize + 1) * h];
        for j in 0..h {
            hidden[j] = base[j] + key[j];
        }
        for k in 0..d {
            let ev = e[k] * v[k];
            let wd = &w1[(3 * d + k) * h..(3 * d + k + 1) * h];
            for j in 0..h {
                hidden[j] += ev * wd[j];
            }
        }
        let mut s = self.b2;
        for (&x, &w) in hidden[..h].iter().zip(&self.w2[..h]) {
            s += x.max(0.0) * w;
        }
        sigmoid(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankerConfig {
    pub variant: Variant,
    pub items: usize,
    pub genres: usize,
    /// Width of the REP vectors (used only by the REP variants).
    pub rep_dim: usize,
    pub id_dim: usize,
    pub genre_dim: usize,
    /// The REP vector is projected to this width.
    pub rep_proj: usize,
    /// Hidden units of the attention (activation) unit.
    pub att_hidden: usize,
    pub mlp: [usize; 2],
    /// Most recent logged items attended to.
    pub max_history: usize,
    /// Inferred items attended to.
    pub max_gbr: usize,
    /// Users with a learned embedding (0: none, as in every variant; the `user-embedding`
    /// control has one per user). Absent from bundles made before it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub users: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub user_dim: usize,
}

fn is_zero(x: &usize) -> bool {
    *x == 0
}

impl RankerConfig {
    /// The browser-sized default.
    pub fn small(variant: Variant, items: usize, genres: usize, rep_dim: usize) -> Self {
        Self {
            variant,
            items,
            genres,
            rep_dim,
            id_dim: 16,
            genre_dim: 8,
            rep_proj: 16,
            att_hidden: 32,
            mlp: [64, 32],
            max_history: 30,
            max_gbr: 10,
            users: 0,
            user_dim: 0,
        }
    }

    /// The same model with a learned embedding of each of `users` users, as wide as an item's
    /// ID embedding, read by the head beside the pooled sequences.
    pub fn with_user_embedding(self, users: usize) -> Self {
        Self {
            users,
            user_dim: self.id_dim,
            ..self
        }
    }

    pub fn uses_user(&self) -> bool {
        self.users > 0 && self.user_dim > 0
    }

    /// Width of an item's representation.
    pub fn item_dim(&self) -> usize {
        self.id_dim
            + self.genre_dim
            + if self.variant.uses_rep() {
                self.rep_proj
            } else {
                0
            }
    }

    /// The target-attention blocks: over the logged history, and for GBR variants over the
    /// inferred sequence.
    pub fn blocks(&self) -> Vec<TargetAttention> {
        let mut names = vec!["att_log"];
        if self.variant.uses_gbr() {
            names.push("att_gbr");
        }
        names
            .into_iter()
            .map(|n| TargetAttention::new(n, self.item_dim(), self.att_hidden))
            .collect()
    }

    /// The REP vector's projection into the item representation.
    pub fn rep_projection(&self) -> Linear {
        Linear::new("rep_proj", self.rep_dim, self.rep_proj)
    }

    /// The MLP over the target and the pooled sequences: two hidden layers, then the logit.
    pub fn head(&self) -> [Linear; 3] {
        let [m0, m1] = self.mlp;
        let user = if self.uses_user() { self.user_dim } else { 0 };
        let input = self.item_dim() * (1 + 2 * self.blocks().len()) + user;
        [
            Linear::new("mlp1", input, m0),
            Linear::new("mlp2", m0, m1),
            Linear::new("out", m1, 1),
        ]
    }

    /// Every tensor and its shape, in a fixed order. `item_genres` and `rep_table` are inputs
    /// carried in the bundle (so a bundle scores on its own), not learned.
    pub fn shapes(&self) -> Shapes {
        let mut s = vec![
            (ID_EMB.to_string(), vec![self.items, self.id_dim]),
            (
                GENRE_EMB.to_string(),
                vec![self.genres.max(1), self.genre_dim],
            ),
            (
                ITEM_GENRES.to_string(),
                vec![self.items, self.genres.max(1)],
            ),
        ];
        if self.uses_user() {
            s.push((USER_EMB.into(), vec![self.users, self.user_dim]));
        }
        if self.variant.uses_rep() {
            s.push((REP_TABLE.into(), vec![self.items, self.rep_dim]));
            s.extend(self.rep_projection().shapes());
        }
        for b in self.blocks() {
            s.extend(b.shapes());
        }
        for l in self.head() {
            s.extend(l.shapes());
        }
        s
    }

    /// Names of the tensors that are inputs, not parameters.
    pub fn is_input(name: &str) -> bool {
        matches!(name, ITEM_GENRES | REP_TABLE)
    }

    /// An error when a history or inferred item, or the user, is outside the model.
    pub fn check_input(&self, history: &[u32], gbr: &[u32], user: Option<u32>) -> Result<()> {
        for (what, items) in [("history", history), ("inferred", gbr)] {
            if let Some(i) = items.iter().find(|&&i| i as usize >= self.items) {
                return Err(Error::Model(format!(
                    "ranker: {what} item {i} outside the model's {} items",
                    self.items
                )));
            }
        }
        match user {
            Some(u) if self.uses_user() && u as usize >= self.users => Err(Error::Model(format!(
                "ranker: user {u} outside the model's {} users",
                self.users
            ))),
            _ => Ok(()),
        }
    }

    fn check(&self) -> Result<()> {
        if self.items == 0 || self.id_dim == 0 || self.att_hidden == 0 || self.mlp.contains(&0) {
            return Err(Error::Config(
                "ranker: items, id_dim, att_hidden and mlp must be positive".into(),
            ));
        }
        if self.variant.uses_rep() && (self.rep_dim == 0 || self.rep_proj == 0) {
            return Err(Error::Config(format!(
                "ranker: variant {} needs REP vectors (rep_dim and rep_proj > 0)",
                self.variant.name()
            )));
        }
        Ok(())
    }
}

/// The fixed inputs of a ranker: each item's genres and (for REP variants) its REP vector.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFeatures {
    pub genres: Vec<Vec<u32>>,
    pub num_genres: usize,
    pub rep: Option<Vec<Vec<f32>>>,
}

impl ItemFeatures {
    /// Row-normalised multi-hot genres `(items, genres)`: an item's genre embedding is the
    /// mean of its genres'.
    fn genre_matrix(&self) -> Vec<f32> {
        let g = self.num_genres.max(1);
        let mut m = vec![0f32; self.genres.len() * g];
        for (i, gs) in self.genres.iter().enumerate() {
            let valid: Vec<u32> = gs.iter().copied().filter(|&x| (x as usize) < g).collect();
            for &x in &valid {
                m[i * g + x as usize] = 1.0 / valid.len() as f32;
            }
        }
        m
    }
}

/// One (user, target) pair to score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankerInput<'a> {
    pub target: u32,
    /// Logged items before the impression, oldest first.
    pub history: &'a [u32],
    /// The reasoner's inferred items, most confident first.
    pub gbr: &'a [u32],
    /// The user, read by models with a user embedding (None: a user the model never saw,
    /// whose embedding is zeros).
    pub user: Option<u32>,
}

/// A score and the attention weights behind it (for the browser's heat strip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub logit: f32,
    pub probability: f32,
    /// Per attended logged item (the last `max_history`), its weight in (0, 1).
    pub history_weights: Vec<f32>,
    pub gbr_weights: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct Ranker {
    pub config: RankerConfig,
    weights: Weights,
    /// Item representations `(items, item_dim)`, computed once from the weights.
    table: Vec<f32>,
    /// Per attention block, `e · (W_a + W_c)` of every item `(items, att_hidden)`.
    keys: Vec<Vec<f32>>,
}

impl PartialEq for Ranker {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config && self.weights == other.weights
    }
}

impl Ranker {
    /// Seeded initialisation (normal, std 0.05 for embeddings, Xavier-like for layers).
    pub fn init(config: RankerConfig, features: &ItemFeatures, seed: u64) -> Result<Self> {
        config.check()?;
        let mut rng = SeededRng::new(seed);
        let mut t = Tensors::new();
        for (name, shape) in config.shapes() {
            let n: usize = shape.iter().product();
            let data = match name.as_str() {
                ITEM_GENRES | REP_TABLE => Vec::new(),
                _ if name.ends_with(".b") || name.ends_with(".b1") || name.ends_with(".b2") => {
                    vec![0.0; n]
                }
                _ => {
                    let std = if name.ends_with("_emb") {
                        0.05
                    } else {
                        (2.0 / (shape[0] + shape[1]) as f64).sqrt()
                    };
                    (0..n).map(|_| (rng.gaussian() * std) as f32).collect()
                }
            };
            t.insert(name, (shape, data));
        }
        Self::with_features(config, t, features)
    }

    /// Learned tensors plus the fixed inputs from `features`.
    pub fn with_features(
        config: RankerConfig,
        mut tensors: Tensors,
        features: &ItemFeatures,
    ) -> Result<Self> {
        if features.genres.len() != config.items
            || features.num_genres.max(1) != config.genres.max(1)
        {
            return Err(Error::Config(format!(
                "ranker: features for {} items and {} genres, the model has {} and {}",
                features.genres.len(),
                features.num_genres,
                config.items,
                config.genres
            )));
        }
        tensors.insert(
            ITEM_GENRES.into(),
            (
                vec![config.items, config.genres.max(1)],
                features.genre_matrix(),
            ),
        );
        if config.variant.uses_rep() {
            let rep = features.rep.as_ref().ok_or_else(|| {
                Error::Config(format!(
                    "ranker: variant {} needs REP vectors",
                    config.variant.name()
                ))
            })?;
            if rep.len() != config.items || rep.iter().any(|r| r.len() != config.rep_dim) {
                return Err(Error::Config(format!(
                    "ranker: REP vectors must be {} rows of {}",
                    config.items, config.rep_dim
                )));
            }
            tensors.insert(
                REP_TABLE.into(),
                (
                    vec![config.items, config.rep_dim],
                    rep.iter().flatten().copied().collect(),
                ),
            );
        }
        Self::from_tensors(config, tensors)
    }

    /// From named tensors (a bundle's, or a trainer's), checking every name and shape.
    pub fn from_tensors(config: RankerConfig, tensors: Tensors) -> Result<Self> {
        config.check()?;
        let weights = crate::bundle::take_exact("ranker", config.shapes(), tensors)?;
        let mut r = Self {
            config,
            weights,
            table: Vec::new(),
            keys: Vec::new(),
        };
        r.table = r.build_item_table();
        r.keys = config.blocks().iter().map(|b| r.block_keys(b)).collect();
        Ok(r)
    }

    pub fn tensors(&self) -> Tensors {
        self.config
            .shapes()
            .into_iter()
            .map(|(name, shape)| {
                let data = self.weights[&name].clone();
                (name, (shape, data))
            })
            .collect()
    }

    /// Learned parameters (the fixed inputs not counted).
    pub fn num_parameters(&self) -> usize {
        self.weights
            .iter()
            .filter(|(n, _)| !RankerConfig::is_input(n))
            .map(|(_, v)| v.len())
            .sum()
    }

    fn w(&self, name: &str) -> &[f32] {
        &self.weights[name]
    }

    /// Every tensor, in name order.
    pub(super) fn tensors_by_name(&self) -> impl Iterator<Item = (&String, &Vec<f32>)> {
        self.weights.iter()
    }

    /// A learned or fixed tensor by name, flat (for the WebGPU kernels' packing).
    pub fn weight(&self, name: &str) -> Option<&[f32]> {
        self.weights.get(name).map(Vec::as_slice)
    }

    /// Every item's representation `(items, item_dim)`, flat.
    pub fn item_table(&self) -> &[f32] {
        &self.table
    }

    /// Per item, the history-only part of attention block `block`'s hidden layer
    /// `(items, att_hidden)`, flat.
    pub fn block_keys_of(&self, block: usize) -> Option<&[f32]> {
        self.keys.get(block).map(Vec::as_slice)
    }

    fn build_item_table(&self) -> Vec<f32> {
        let c = self.config;
        let (d, g) = (c.item_dim(), c.genres.max(1));
        let (ids, ge, ig) = (self.w(ID_EMB), self.w(GENRE_EMB), self.w(ITEM_GENRES));
        let rep_projection = c.variant.uses_rep().then(|| c.rep_projection());
        let mut t = vec![0f32; c.items * d];
        let mut proj = vec![0f32; c.rep_proj];
        for i in 0..c.items {
            let row = &mut t[i * d..(i + 1) * d];
            row[..c.id_dim].copy_from_slice(&ids[i * c.id_dim..(i + 1) * c.id_dim]);
            for k in 0..g {
                let wk = ig[i * g + k];
                if wk != 0.0 {
                    for j in 0..c.genre_dim {
                        row[c.id_dim + j] += wk * ge[k * c.genre_dim + j];
                    }
                }
            }
            if let Some(l) = &rep_projection {
                let rep = &self.w(REP_TABLE)[i * c.rep_dim..(i + 1) * c.rep_dim];
                l.bind(&self.weights).forward(rep, &mut proj);
                row[c.id_dim + c.genre_dim..].copy_from_slice(&proj);
            }
        }
        t
    }

    /// This ranker with `extra` item representations (see [`Ranker::cold_item`]) appended as
    /// items `items..items + extra.len()`: a what-if's typed new items, which a history can
    /// then hold. For scoring only: the bundle's tensors keep the catalogue's shapes.
    pub fn with_extra_items(&self, extra: &[Vec<f32>]) -> Result<Ranker> {
        let d = self.config.item_dim();
        if let Some(v) = extra.iter().find(|v| v.len() != d) {
            return Err(Error::Model(format!(
                "ranker: an extra item of {} dims, items have {d}",
                v.len()
            )));
        }
        let mut r = self.clone();
        r.config.items += extra.len();
        for v in extra {
            r.table.extend_from_slice(v);
        }
        let from = self.config.items;
        for (b, block) in self.config.blocks().iter().enumerate() {
            let keys = r.block_keys_from(block, from);
            r.keys[b].extend(keys);
        }
        Ok(r)
    }

    /// `e · (W_a + W_c)` per item: the part of the activation unit that depends on the history
    /// item alone ([e, v, e − v, e ⊙ v]·W = e(W_a + W_c) + v(W_b − W_c) + (e ⊙ v)W_d).
    fn block_keys(&self, block: &TargetAttention) -> Vec<f32> {
        self.block_keys_from(block, 0)
    }

    /// [`Ranker::block_keys`] of the items from `from` on.
    fn block_keys_from(&self, block: &TargetAttention, from: usize) -> Vec<f32> {
        let c = self.config;
        let (d, h) = (c.item_dim(), c.att_hidden);
        let w1 = self.w(&block.hidden.w);
        let mut out = vec![0f32; (c.items - from) * h];
        for (o, i) in (from..c.items).enumerate() {
            let e = &self.table[i * d..(i + 1) * d];
            let o = &mut out[o * h..(o + 1) * h];
            for (k, &ek) in e.iter().enumerate() {
                let (wa, wc) = (
                    &w1[k * h..(k + 1) * h],
                    &w1[(2 * d + k) * h..(2 * d + k + 1) * h],
                );
                for j in 0..h {
                    o[j] += ek * (wa[j] + wc[j]);
                }
            }
        }
        out
    }

    /// Each item's REP vector, for the variants that read them.
    pub fn rep_vectors(&self) -> Option<Vec<Vec<f32>>> {
        let c = self.config;
        c.variant.uses_rep().then(|| {
            self.w(REP_TABLE)
                .chunks(c.rep_dim.max(1))
                .map(<[f32]>::to_vec)
                .collect()
        })
    }

    /// The item representation of `item`.
    pub fn item(&self, item: u32) -> &[f32] {
        let d = self.config.item_dim();
        &self.table[item as usize * d..(item as usize + 1) * d]
    }

    /// Attention block `block`'s weights, looked up once.
    pub(super) fn block(&self, block: usize) -> BlockWeights<'_> {
        let c = self.config;
        let unit = &c.blocks()[block];
        BlockWeights {
            d: c.item_dim(),
            h: c.att_hidden,
            w1: self.w(&unit.hidden.w),
            b1: self.w(&unit.hidden.b),
            w2: self.w(&unit.score.w),
            b2: self.w(&unit.score.b)[0],
            keys: &self.keys[block],
        }
    }

    /// Sigmoid attention weights of `seq` for target representation `v`, and the pooled vector
    /// (weights · items / length; zeros for an empty sequence).
    fn attend(&self, block: usize, v: &[f32], seq: &[u32]) -> (Vec<f32>, Vec<f32>) {
        let b = self.block(block);
        let base = b.target_part(v);
        let mut hidden = vec![0f32; b.h];
        let weights: Vec<f32> = seq
            .iter()
            .map(|&it| b.weight(v, &base, self.item(it), it, &mut hidden))
            .collect();
        let pooled = self.pool(seq, &weights);
        (weights, pooled)
    }

    /// `weights · items / length` (zeros for an empty sequence).
    pub(super) fn pool(&self, seq: &[u32], weights: &[f32]) -> Vec<f32> {
        let mut pooled = vec![0f32; self.config.item_dim()];
        for (&it, &a) in seq.iter().zip(weights) {
            for (p, &e) in pooled.iter_mut().zip(self.item(it)) {
                *p += a * e;
            }
        }
        if !seq.is_empty() {
            let n = seq.len() as f32;
            pooled.iter_mut().for_each(|p| *p /= n);
        }
        pooled
    }

    /// Scores one pair, with the attention weights.
    pub fn score(&self, x: &RankerInput) -> Result<Scored> {
        let c = self.config;
        if x.target as usize >= c.items {
            return Err(Error::Model(format!(
                "ranker: target item {} outside the model's {} items",
                x.target, c.items
            )));
        }
        c.check_input(x.history, x.gbr, x.user)?;
        Ok(self.score_representation(self.item(x.target), x.history, x.gbr, x.user))
    }

    /// Every item's logit as the target of one user's `history`, `gbr` and `user`, in item
    /// order: the full-catalogue ranking's scores, by the arithmetic of [`Ranker::score`].
    pub fn score_catalogue(
        &self,
        history: &[u32],
        gbr: &[u32],
        user: Option<u32>,
        out: &mut [f32],
    ) -> Result<()> {
        let c = self.config;
        if out.len() != c.items {
            return Err(Error::Model(format!(
                "ranker: {} scores asked of a model of {} items",
                out.len(),
                c.items
            )));
        }
        c.check_input(history, gbr, user)?;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self
                .score_representation(self.item(i as u32), history, gbr, user)
                .logit;
        }
        Ok(())
    }

    /// The representation of an item the model never saw: no learned ID embedding (zeros), the
    /// mean of its genres' embeddings, and for REP variants its REP vector through the
    /// projection — what the student encoder gives a new title and description.
    pub fn cold_item(&self, genres: &[u32], rep: Option<&[f32]>) -> Result<Vec<f32>> {
        let c = self.config;
        let mut v = vec![0f32; c.item_dim()];
        let valid: Vec<u32> = genres
            .iter()
            .copied()
            .filter(|&g| (g as usize) < c.genres)
            .collect();
        let ge = self.w(GENRE_EMB);
        for &g in &valid {
            let row = &ge[g as usize * c.genre_dim..(g as usize + 1) * c.genre_dim];
            for (o, &x) in v[c.id_dim..c.id_dim + c.genre_dim].iter_mut().zip(row) {
                *o += x / valid.len() as f32;
            }
        }
        if c.variant.uses_rep() {
            let rep = rep.ok_or_else(|| {
                Error::Model(format!(
                    "ranker: a {} model needs a REP vector",
                    c.variant.name()
                ))
            })?;
            if rep.len() != c.rep_dim {
                return Err(Error::Model(format!(
                    "ranker: a REP vector of {} dims, the model reads {}",
                    rep.len(),
                    c.rep_dim
                )));
            }
            c.rep_projection()
                .bind(&self.weights)
                .forward(rep, &mut v[c.id_dim + c.genre_dim..]);
        }
        Ok(v)
    }

    /// Scores a target given by its representation `v` (see [`Ranker::cold_item`]) against a
    /// history and inferred sequence of known items.
    pub fn score_cold(&self, v: &[f32], history: &[u32], gbr: &[u32]) -> Result<Scored> {
        let c = self.config;
        if v.len() != c.item_dim() {
            return Err(Error::Model(format!(
                "ranker: a target of {} dims, items have {}",
                v.len(),
                c.item_dim()
            )));
        }
        c.check_input(history, gbr, None)?;
        Ok(self.score_representation(v, history, gbr, None))
    }

    fn score_representation(
        &self,
        v: &[f32],
        history: &[u32],
        gbr: &[u32],
        user: Option<u32>,
    ) -> Scored {
        let c = self.config;
        let history = &history[history.len().saturating_sub(c.max_history)..];
        let gbr = &gbr[..gbr.len().min(c.max_gbr)];
        let (history_weights, p) = self.attend(0, v, history);
        let (gbr_weights, q) = if c.variant.uses_gbr() {
            self.attend(1, v, gbr)
        } else {
            (Vec::new(), Vec::new())
        };
        let logit = self.head(v, &p, c.variant.uses_gbr().then_some(q.as_slice()), user);
        Scored {
            logit,
            probability: sigmoid(logit),
            history_weights,
            gbr_weights,
        }
    }

    /// The MLP's logit for target `v`, the pooled history `p`, the pooled inferred sequence `q`
    /// (GBR variants) and the user.
    pub(super) fn head(&self, v: &[f32], p: &[f32], q: Option<&[f32]>, user: Option<u32>) -> f32 {
        let c = self.config;
        let mut input = v.to_vec();
        for p in std::iter::once(p).chain(q) {
            input.extend_from_slice(p);
            input.extend(p.iter().zip(v).map(|(a, b)| a * b));
        }
        if c.uses_user() {
            let k = c.user_dim;
            match user {
                Some(u) => input.extend_from_slice(&self.w(USER_EMB)[u as usize * k..][..k]),
                None => input.extend(std::iter::repeat_n(0.0, k)),
            }
        }
        let [mlp1, mlp2, out_l] = c.head();
        let [m0, m1] = c.mlp;
        let mut h0 = vec![0f32; m0];
        mlp1.bind(&self.weights).forward(&input, &mut h0);
        h0.iter_mut().for_each(|x| *x = x.max(0.0));
        let mut h1 = vec![0f32; m1];
        mlp2.bind(&self.weights).forward(&h0, &mut h1);
        h1.iter_mut().for_each(|x| *x = x.max(0.0));
        let mut out = [0f32];
        out_l.bind(&self.weights).forward(&h1, &mut out);
        out[0]
    }

    pub fn to_bundle(
        &self,
        dataset_fingerprint: Option<u64>,
        metrics: BTreeMap<String, f64>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        crate::bundle::encode_with(
            RANKER_KIND,
            &self.config,
            dataset_fingerprint,
            metrics,
            &self.tensors(),
        )
    }

    /// Reads a ranker from its bundle, checking checksum, names and shapes.
    pub fn from_bundle(name: &str, manifest: &[u8], weights: &[u8]) -> Result<Self> {
        let (config, t) = crate::bundle::decode_with(name, RANKER_KIND, manifest, weights)?;
        Self::from_tensors(config, t).map_err(|e| Error::Model(format!("{name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(rep: bool) -> ItemFeatures {
        ItemFeatures {
            genres: (0..6).map(|i| vec![i % 3, (i + 1) % 3]).collect(),
            num_genres: 3,
            rep: rep.then(|| (0..6).map(|i| vec![i as f32 * 0.1, 1.0, -0.5]).collect()),
        }
    }

    fn tiny(variant: Variant) -> RankerConfig {
        RankerConfig {
            id_dim: 4,
            genre_dim: 3,
            rep_proj: 2,
            att_hidden: 5,
            mlp: [6, 4],
            max_history: 3,
            max_gbr: 2,
            ..RankerConfig::small(variant, 6, 3, 3)
        }
    }

    #[test]
    fn an_extra_item_is_read_as_the_item_whose_representation_it_copies() {
        let m = Ranker::init(tiny(Variant::ReaSeq), &features(true), 3).unwrap();
        let x = m.with_extra_items(&[m.item(2).to_vec()]).unwrap();
        assert_eq!(x.config.items, 7);
        let input = |history: &'static [u32]| RankerInput {
            target: 1,
            history,
            gbr: &[4],
            user: None,
        };
        // Item 6 is a copy of item 2: in the history it scores as item 2 does.
        assert_eq!(
            x.score(&input(&[0, 6])).unwrap(),
            m.score(&input(&[0, 2])).unwrap()
        );
        assert!(m.score(&input(&[0, 6])).is_err());
        assert!(m.with_extra_items(&[vec![0.0; 2]]).is_err());
    }

    #[test]
    fn a_user_embedding_reaches_the_head_and_older_configs_read_without_one() {
        let f = features(false);
        let c = tiny(Variant::Base).with_user_embedding(3);
        let m = Ranker::init(c, &f, 5).unwrap();
        let plain = Ranker::init(tiny(Variant::Base), &f, 5).unwrap();
        assert_eq!(
            m.num_parameters(),
            plain.num_parameters() + 3 * c.user_dim + c.user_dim * c.mlp[0]
        );
        let score = |user| {
            m.score(&RankerInput {
                target: 2,
                history: &[0, 1],
                gbr: &[],
                user,
            })
        };
        let (a, b) = (score(Some(0)).unwrap(), score(Some(1)).unwrap());
        assert_ne!(a.logit, b.logit, "users differ only by their embedding");
        // An unseen user reads zeros: the score the head gives with no user term.
        assert_eq!(
            score(None).unwrap().logit,
            m.score_cold(m.item(2), &[0, 1], &[]).unwrap().logit
        );
        assert!(score(Some(3)).is_err());
        // Configs (bundles' manifests) without the fields read as no user embedding.
        let json = serde_json::to_string(&tiny(Variant::Base)).unwrap();
        assert!(!json.contains("user"), "{json}");
        let back: RankerConfig = serde_json::from_str(&json).unwrap();
        assert!(!back.uses_user());
        let with: RankerConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(with, c);
    }

    #[test]
    fn a_cold_item_is_a_known_item_without_its_id_embedding() {
        for v in Variant::ALL {
            let f = features(v.uses_rep());
            let m = Ranker::init(tiny(v), &f, 7).unwrap();
            let rep = f.rep.as_ref().map(|r| r[2].as_slice());
            let cold = m.cold_item(&f.genres[2], rep).unwrap();
            let id = m.config.id_dim;
            assert!(cold[..id].iter().all(|&x| x == 0.0));
            for (a, b) in cold[id..].iter().zip(&m.item(2)[id..]) {
                assert!((a - b).abs() < 1e-6, "{v:?}: {a} vs {b}");
            }
            // Scoring a representation is scoring the item it represents.
            let (h, g) = ([0, 1, 3], [5]);
            let known = m
                .score(&RankerInput {
                    target: 2,
                    history: &h,
                    gbr: &g,
                    user: None,
                })
                .unwrap();
            assert_eq!(m.score_cold(m.item(2), &h, &g).unwrap(), known);
            assert!(m.score_cold(&cold[1..], &h, &g).is_err());
            assert!(m.score_cold(&cold, &[99], &g).is_err());
        }
        let rep = Ranker::init(tiny(Variant::Rep), &features(true), 7).unwrap();
        assert!(rep.cold_item(&[0], None).is_err());
        assert!(rep.cold_item(&[0], Some(&[1.0])).is_err());
    }

    #[test]
    fn rep_vectors_are_the_features_a_rep_variant_was_given() {
        let m = Ranker::init(tiny(Variant::Rep), &features(true), 7).unwrap();
        assert_eq!(m.rep_vectors(), features(true).rep);
        let base = Ranker::init(tiny(Variant::Base), &features(false), 7).unwrap();
        assert_eq!(base.rep_vectors(), None);
    }

    #[test]
    fn every_variant_scores_finitely_and_only_gbr_variants_read_the_inferred_items() {
        for v in Variant::ALL {
            let m = Ranker::init(tiny(v), &features(v.uses_rep()), 7).unwrap();
            let a = m
                .score(&RankerInput {
                    target: 2,
                    history: &[0, 1, 3, 4],
                    gbr: &[5],
                    user: None,
                })
                .unwrap();
            assert!(a.logit.is_finite() && (0.0..=1.0).contains(&a.probability));
            assert_eq!(a.history_weights.len(), 3, "the last max_history items");
            let b = m
                .score(&RankerInput {
                    target: 2,
                    history: &[0, 1, 3, 4],
                    gbr: &[1],
                    user: None,
                })
                .unwrap();
            assert_eq!(v.uses_gbr(), a.logit != b.logit, "{v:?}");
            assert_eq!(a.gbr_weights.len(), usize::from(v.uses_gbr()));
        }
        assert!(Ranker::init(tiny(Variant::Rep), &features(false), 1).is_err());
    }

    #[test]
    fn bundle_round_trip_refuses_a_wrong_shape_and_out_of_range_items() {
        let m = Ranker::init(tiny(Variant::ReaSeq), &features(true), 3).unwrap();
        let (manifest, weights) = m.to_bundle(Some(1), BTreeMap::new()).unwrap();
        let back = Ranker::from_bundle("r", &manifest, &weights).unwrap();
        let x = RankerInput {
            target: 1,
            history: &[2, 3],
            gbr: &[4, 5],
            user: None,
        };
        assert_eq!(back.score(&x).unwrap(), m.score(&x).unwrap());
        let mut t = m.tensors();
        t.insert("out.b".into(), (vec![2], vec![0.0; 2]));
        let e = Ranker::from_tensors(m.config, t).unwrap_err().to_string();
        assert!(e.contains("out.b"), "{e}");
        let e = m
            .score(&RankerInput {
                target: 9,
                history: &[],
                gbr: &[],
                user: None,
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("target item 9"), "{e}");
    }

    #[test]
    fn variant_names_parse_back() {
        for v in Variant::ALL {
            assert_eq!(Variant::parse(v.name()), Some(v));
        }
        assert_eq!(Variant::parse("reaseq"), Some(Variant::ReaSeq));
        assert_eq!(Variant::parse("rep"), Some(Variant::Rep));
        assert_eq!(Variant::parse("+gbr"), Some(Variant::Gbr));
        assert_eq!(Variant::parse("gbr+"), None);
        assert_eq!(Variant::parse("nope"), None);
    }
}
