//! The ranker laid out for the WGSL kernel (`gpu/ranker.wgsl`): every tensor the forward pass
//! reads in one `f32` array with their offsets in a uniform header, and the users' sequences in
//! one `u32` array. Default WebGPU limits allow few storage buffers per stage, so tensors are
//! packed rather than bound one by one.

use crate::error::{Error, Result};

use super::model::{Ranker, RankerConfig, RankerInput, USER_EMB};

/// The kernel keeps per-thread vectors of these fixed widths.
pub const MAX_ITEM_DIM: usize = 64;
pub const MAX_ATT_HIDDEN: usize = 64;
pub const MAX_MLP0: usize = 128;
pub const MAX_MLP1: usize = 64;

/// Sizes and offsets (in `f32`s into the params) the kernel reads, as its `Dims` uniform.
/// An attention block at `att` holds `b1 [h]`, `W_b − W_c [d·h]`, `W_d [d·h]`, `w2 [h]`,
/// `b2 [1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RankerHeader {
    pub items: u32,
    pub d: u32,
    pub h: u32,
    pub m0: u32,
    pub m1: u32,
    pub user_dim: u32,
    pub blocks: u32,
    /// Set per dispatch: the pairs to score.
    pub pairs: u32,
    pub max_history: u32,
    pub max_gbr: u32,
    pub slot_stride: u32,
    pub table: u32,
    pub keys: [u32; 2],
    pub att: [u32; 2],
    pub mlp1_w: u32,
    pub mlp1_b: u32,
    pub mlp2_w: u32,
    pub mlp2_b: u32,
    pub out_w: u32,
    pub out_b: u32,
    pub user_emb: u32,
    pub users: u32,
}

impl RankerHeader {
    /// The uniform's bytes, fields in declaration order (little-endian `u32`s).
    pub fn to_bytes(&self) -> Vec<u8> {
        let fields = [
            self.items,
            self.d,
            self.h,
            self.m0,
            self.m1,
            self.user_dim,
            self.blocks,
            self.pairs,
            self.max_history,
            self.max_gbr,
            self.slot_stride,
            self.table,
            self.keys[0],
            self.keys[1],
            self.att[0],
            self.att[1],
            self.mlp1_w,
            self.mlp1_b,
            self.mlp2_w,
            self.mlp2_b,
            self.out_w,
            self.out_b,
            self.user_emb,
            self.users,
        ];
        fields.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
}

/// A ranker's parameters packed for the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedRanker {
    pub config: RankerConfig,
    pub header: RankerHeader,
    pub params: Vec<f32>,
}

fn u(x: usize) -> Result<u32> {
    u32::try_from(x).map_err(|_| Error::Config(format!("{x} does not fit the kernel's u32")))
}

impl PackedRanker {
    /// Packs `ranker`, refusing widths beyond the kernel's per-thread vectors.
    pub fn new(ranker: &Ranker) -> Result<Self> {
        let c = ranker.config;
        let (d, h) = (c.item_dim(), c.att_hidden);
        let [m0, m1] = c.mlp;
        for (what, n, max) in [
            ("item width", d, MAX_ITEM_DIM),
            ("attention hidden units", h, MAX_ATT_HIDDEN),
            ("first MLP layer", m0, MAX_MLP0),
            ("second MLP layer", m1, MAX_MLP1),
        ] {
            if n > max {
                return Err(Error::Config(format!(
                    "the kernel takes at most {max} {what}, this {} model has {n}",
                    c.variant.name()
                )));
            }
        }
        let mut params: Vec<f32> = Vec::new();
        let mut put = |xs: &[f32]| -> Result<u32> {
            let at = u(params.len())?;
            params.extend_from_slice(xs);
            Ok(at)
        };
        let get = |name: &str| -> Result<&[f32]> {
            ranker
                .weight(name)
                .ok_or_else(|| Error::Model(format!("the model has no tensor {name}")))
        };
        let mut header = RankerHeader {
            items: u(c.items)?,
            d: u(d)?,
            h: u(h)?,
            m0: u(m0)?,
            m1: u(m1)?,
            max_history: u(c.max_history)?,
            max_gbr: u(c.max_gbr)?,
            slot_stride: u(3 + c.max_history + c.max_gbr)?,
            ..RankerHeader::default()
        };
        header.table = put(ranker.item_table())?;
        let blocks = c.blocks();
        header.blocks = u(blocks.len())?;
        for (b, unit) in blocks.iter().enumerate() {
            let keys = ranker
                .block_keys_of(b)
                .ok_or_else(|| Error::Model(format!("the model has no keys of block {b}")))?;
            header.keys[b] = put(keys)?;
            let w1 = get(&unit.hidden.w)?;
            // W1's rows: [e | v | e − v | e ⊙ v] blocks of d rows each.
            let rows = |from: usize| &w1[from * d * h..(from + 1) * d * h];
            let wbc: Vec<f32> = rows(1).iter().zip(rows(2)).map(|(b, c)| b - c).collect();
            header.att[b] = put(get(&unit.hidden.b)?)?;
            put(&wbc)?;
            put(rows(3))?;
            put(get(&unit.score.w)?)?;
            put(get(&unit.score.b)?)?;
        }
        let [mlp1, mlp2, out] = c.head();
        header.mlp1_w = put(get(&mlp1.w)?)?;
        header.mlp1_b = put(get(&mlp1.b)?)?;
        header.mlp2_w = put(get(&mlp2.w)?)?;
        header.mlp2_b = put(get(&mlp2.b)?)?;
        header.out_w = put(get(&out.w)?)?;
        header.out_b = put(get(&out.b)?)?;
        if c.uses_user() {
            header.user_emb = put(get(USER_EMB)?)?;
            header.users = u(c.users)?;
            header.user_dim = u(c.user_dim)?;
        }
        Ok(Self {
            config: c,
            header,
            params,
        })
    }

    /// The sequences of `inputs` (their targets ignored), one slot of `slot_stride` words
    /// each: history length, inferred length, user + 1 (0: none), the last `max_history`
    /// logged items, the first `max_gbr` inferred ones — what [`Ranker::score`] reads.
    pub fn slots(&self, inputs: &[RankerInput]) -> Result<Vec<u32>> {
        let hd = &self.header;
        let (mh, mg) = (hd.max_history as usize, hd.max_gbr as usize);
        let mut out = vec![0u32; inputs.len() * hd.slot_stride as usize];
        for (x, slot) in inputs
            .iter()
            .zip(out.chunks_exact_mut(hd.slot_stride as usize))
        {
            // Refused as `Ranker::score` refuses them, before the truncation it also does.
            self.config.check_input(x.history, x.gbr, x.user)?;
            let hist = &x.history[x.history.len().saturating_sub(mh)..];
            let gbr = &x.gbr[..x.gbr.len().min(mg)];
            let user = match x.user {
                Some(u) if hd.users > 0 => u + 1,
                _ => 0,
            };
            slot[0] = hist.len() as u32;
            slot[1] = gbr.len() as u32;
            slot[2] = user;
            slot[3..3 + hist.len()].copy_from_slice(hist);
            slot[3 + mh..3 + mh + gbr.len()].copy_from_slice(gbr);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel is valid WGSL and its `Dims` uniform is the header's bytes.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_kernel_validates_and_reads_the_header_as_laid_out() {
        let module = crate::wgsl_check::validated(include_str!("../gpu/ranker.wgsl"));
        let size = crate::wgsl_check::global_size(&module, "dims");
        assert_eq!(size, RankerHeader::default().to_bytes().len());
    }
    use crate::ranker::{ItemFeatures, RankerConfig, Variant};

    #[test]
    fn the_offsets_point_at_the_tensors_and_a_slot_holds_what_score_reads() {
        let features = ItemFeatures {
            genres: (0..6).map(|i| vec![i % 3]).collect(),
            num_genres: 3,
            rep: Some(vec![vec![0.5; 4]; 6]),
        };
        let cfg = RankerConfig::small(Variant::ReaSeq, 6, 3, 4).with_user_embedding(5);
        let m = Ranker::init(cfg, &features, 1).unwrap();
        let p = PackedRanker::new(&m).unwrap();
        let h = p.header;
        assert_eq!((h.blocks, h.d, h.users), (2, cfg.item_dim() as u32, 5));
        let at = |o: u32, n: usize| &p.params[o as usize..o as usize + n];
        assert_eq!(at(h.table, 6 * h.d as usize), m.item_table());
        assert_eq!(at(h.mlp2_b, 32), m.weight("mlp2.b").unwrap());
        assert_eq!(at(h.out_b, 1), m.weight("out.b").unwrap());
        assert_eq!(at(h.att[1], 32), m.weight("att_gbr.b1").unwrap());
        assert_eq!(p.params.len(), h.user_emb as usize + 5 * 16);
        assert_eq!(h.to_bytes().len() % 16, 0);
        let history: Vec<u32> = (0..40).map(|i| i % 6).collect();
        let x = RankerInput {
            target: 0,
            history: &history,
            gbr: &[5, 4],
            user: Some(2),
        };
        let s = p.slots(&[x]).unwrap();
        assert_eq!(&s[..3], &[30, 2, 3]);
        assert_eq!(s[3..33], history[10..]);
        assert_eq!(&s[33..35], &[5, 4]);
        let bad = RankerInput { gbr: &[9], ..x };
        assert!(p.slots(&[bad]).is_err());
    }
}
