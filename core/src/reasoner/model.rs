//! The mask predictor: a small bidirectional (pre-LayerNorm) transformer over semantic-ID
//! tokens, its output layer tied to the token embeddings. Inference is plain Rust with a fixed
//! order of operations, so a seed gives bit-identical outputs natively and in WebAssembly; the
//! weights travel in the shared model bundle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bundle::Tensors;
use crate::error::{Error, Result};
use crate::nn::{gelu, LayerNorm, Linear, Shapes, Weights};
use crate::rng::SeededRng;

use super::sampler::MaskPredictor;

pub const REASONER_KIND: &str = "diffusion-reasoner";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonerConfig {
    pub vocab: usize,
    /// Longest input: BOS + history + SEP + response.
    pub max_len: usize,
    pub dim: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
}

impl ReasonerConfig {
    /// The browser-sized default for a vocabulary of `vocab` tokens.
    pub fn small(vocab: usize) -> Self {
        Self {
            vocab,
            max_len: 2 + (50 + 8) * 4,
            dim: 96,
            layers: 3,
            heads: 4,
            ffn: 256,
        }
    }

    /// Every tensor of the model and its shape, in a fixed order.
    pub fn shapes(&self) -> Shapes {
        let d = self.dim;
        let mut s = vec![
            (TOK_EMB.to_string(), vec![self.vocab, d]),
            (POS_EMB.to_string(), vec![self.max_len, d]),
        ];
        for l in 0..self.layers {
            s.extend(self.layer(l).shapes());
        }
        s.extend(self.final_norm().shapes());
        s
    }

    /// Layer `l`'s tensors.
    pub fn layer(&self, l: usize) -> EncoderLayer {
        EncoderLayer::new(&format!("layer{l}"), self.dim, self.ffn)
    }

    /// The norm before the tied output.
    pub fn final_norm(&self) -> LayerNorm {
        LayerNorm::new("lnf", self.dim)
    }

    fn check(&self) -> Result<()> {
        if self.dim == 0 || self.heads == 0 || !self.dim.is_multiple_of(self.heads) {
            return Err(Error::Config(format!(
                "reasoner: dim {} must be a positive multiple of heads {}",
                self.dim, self.heads
            )));
        }
        if self.vocab == 0 || self.max_len == 0 || self.ffn == 0 {
            return Err(Error::Config(
                "reasoner: empty vocabulary, length or ffn".into(),
            ));
        }
        Ok(())
    }
}

/// The token embeddings (also the tied output layer) and the position embeddings.
pub const TOK_EMB: &str = "tok_emb";
pub const POS_EMB: &str = "pos_emb";

/// One pre-LayerNorm encoder layer: attention (`qkv`, `out`) and the feed-forward network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderLayer {
    pub ln1: LayerNorm,
    pub qkv: Linear,
    pub out: Linear,
    pub ln2: LayerNorm,
    pub ffn1: Linear,
    pub ffn2: Linear,
}

impl EncoderLayer {
    pub fn new(prefix: &str, dim: usize, ffn: usize) -> Self {
        let p = |s: &str| format!("{prefix}.{s}");
        Self {
            ln1: LayerNorm::new(&p("ln1"), dim),
            qkv: Linear::new(&p("qkv"), dim, 3 * dim),
            out: Linear::new(&p("out"), dim, dim),
            ln2: LayerNorm::new(&p("ln2"), dim),
            ffn1: Linear::new(&p("ffn1"), dim, ffn),
            ffn2: Linear::new(&p("ffn2"), ffn, dim),
        }
    }

    /// In the bundle's order.
    pub fn shapes(&self) -> Shapes {
        let mut s = self.ln1.shapes();
        s.extend(self.qkv.shapes());
        s.extend(self.out.shapes());
        s.extend(self.ln2.shapes());
        s.extend(self.ffn1.shapes());
        s.extend(self.ffn2.shapes());
        s
    }

    /// Runs rows `x` (`n · dim`, updated in place) through the layer; each row attends to the
    /// `context` keys and values (earlier rows) and to all of `x`. Returns `x`'s keys and values.
    fn forward(&self, w: &Weights, heads: usize, x: &mut [f32], context: &LayerKv) -> LayerKv {
        let (d, h) = (self.ln1.dim, heads);
        let (n, hd) = (x.len() / d, d / h);
        let (ln1, qkv_l, out_l) = (self.ln1.bind(w), self.qkv.bind(w), self.out.bind(w));
        let (ln2, ffn1, ffn2) = (self.ln2.bind(w), self.ffn1.bind(w), self.ffn2.bind(w));
        let (ctx_k, ctx_v) = context;
        let mut xn = vec![0f32; d];
        let mut qkv = vec![0f32; 3 * d];
        let mut tmp = vec![0f32; d];
        let mut hidden = vec![0f32; self.ffn1.output];
        let scale = 1.0 / (hd as f32).sqrt();
        let before = ctx_k.len() / d;
        // Keys and values: the context's rows, then these rows'.
        let mut keys = ctx_k.clone();
        let mut values = ctx_v.clone();
        let mut queries = Vec::with_capacity(n * d);
        for i in 0..n {
            ln1.forward(&x[i * d..(i + 1) * d], &mut xn);
            qkv_l.forward(&xn, &mut qkv);
            queries.extend_from_slice(&qkv[..d]);
            keys.extend_from_slice(&qkv[d..2 * d]);
            values.extend_from_slice(&qkv[2 * d..]);
        }
        let mut scores = vec![0f32; before + n];
        let mut att = vec![0f32; n * d];
        for head in 0..h {
            let hs = head * hd..(head + 1) * hd;
            for i in 0..n {
                let q = &queries[i * d..(i + 1) * d][hs.clone()];
                let mut max = f32::NEG_INFINITY;
                for (j, s) in scores.iter_mut().enumerate() {
                    let k = &keys[j * d..(j + 1) * d][hs.clone()];
                    *s = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                    max = max.max(*s);
                }
                let mut z = 0.0;
                for s in scores.iter_mut() {
                    *s = libm::expf(*s - max);
                    z += *s;
                }
                let out = &mut att[i * d..(i + 1) * d][hs.clone()];
                out.fill(0.0);
                for (j, s) in scores.iter().enumerate() {
                    let v = &values[j * d..(j + 1) * d][hs.clone()];
                    let w = s / z;
                    for (o, vj) in out.iter_mut().zip(v) {
                        *o += w * vj;
                    }
                }
            }
        }
        for i in 0..n {
            out_l.forward(&att[i * d..(i + 1) * d], &mut tmp);
            for (xv, t) in x[i * d..(i + 1) * d].iter_mut().zip(&tmp) {
                *xv += t;
            }
            ln2.forward(&x[i * d..(i + 1) * d], &mut xn);
            ffn1.forward(&xn, &mut hidden);
            for v in hidden.iter_mut() {
                *v = gelu(*v);
            }
            ffn2.forward(&hidden, &mut tmp);
            for (xv, t) in x[i * d..(i + 1) * d].iter_mut().zip(&tmp) {
                *xv += t;
            }
        }
        (keys.split_off(before * d), values.split_off(before * d))
    }
}

#[derive(Debug, Clone)]
pub struct DiffusionReasoner {
    pub config: ReasonerConfig,
    weights: Weights,
    /// The last prefix's states and per-layer keys and values.
    prefix_cache: Option<PrefixCache>,
}

impl PartialEq for DiffusionReasoner {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config && self.weights == other.weights
    }
}

/// One layer's keys and values, rows of `dim`.
type LayerKv = (Vec<f32>, Vec<f32>);

#[derive(Debug, Clone)]
struct PrefixCache {
    tokens: Vec<u32>,
    states: Vec<f32>,
    kv: Vec<LayerKv>,
}

/// The first position-embedding row of a prefix of `len` tokens. Positions are counted from
/// the separator: the response takes rows `0..`, the prefix the last rows of the table (its
/// separator always the last), so a slot's level sits at the same row whatever the history's
/// length, and the history's rows say how recent an item is.
pub fn prefix_rows(max_len: usize, len: usize) -> usize {
    max_len.saturating_sub(len)
}

impl DiffusionReasoner {
    /// Seeded initialisation (normal, std 0.02; LayerNorm gains 1).
    pub fn init(config: ReasonerConfig, seed: u64) -> Result<Self> {
        config.check()?;
        let mut rng = SeededRng::new(seed);
        let weights = config
            .shapes()
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let v = if name.ends_with(".g") {
                    vec![1.0; n]
                } else if name.ends_with(".b") {
                    vec![0.0; n]
                } else {
                    (0..n).map(|_| (rng.gaussian() * 0.02) as f32).collect()
                };
                (name, v)
            })
            .collect();
        Ok(Self {
            config,
            weights,
            prefix_cache: None,
        })
    }

    /// From named tensors (a bundle's, or a trainer's), checking every name and shape.
    pub fn from_tensors(config: ReasonerConfig, tensors: Tensors) -> Result<Self> {
        config.check()?;
        let weights = crate::bundle::take_exact("reasoner", config.shapes(), tensors)?;
        Ok(Self {
            config,
            weights,
            prefix_cache: None,
        })
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

    pub fn num_parameters(&self) -> usize {
        self.weights.values().map(Vec::len).sum()
    }

    /// A tensor by name (for packing the model elsewhere, such as for the GPU).
    pub fn weight(&self, name: &str) -> Option<&[f32]> {
        self.weights.get(name).map(Vec::as_slice)
    }

    fn w(&self, name: &str) -> &[f32] {
        &self.weights[name]
    }

    /// Logits `(tokens.len(), vocab)`, row-major. The first `prefix` positions (BOS, history,
    /// SEP) attend only to each other, so their states never depend on the response and can be
    /// computed once per user; response positions attend to everything.
    pub fn forward(&self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>> {
        self.check_input(tokens, prefix)?;
        let cache = self.encode_prefix(&tokens[..prefix]);
        let mut logits = self.logits(&cache.states);
        logits.extend(self.logits(&self.rows(&tokens[prefix..], 0, &cache.kv).0));
        Ok(logits)
    }

    fn check_input(&self, tokens: &[u32], prefix: usize) -> Result<()> {
        let c = self.config;
        let n = tokens.len();
        if n == 0 || n > c.max_len || prefix > n {
            return Err(Error::Model(format!(
                "reasoner: {n} tokens (prefix {prefix}), the model takes 1 to {}",
                c.max_len
            )));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= c.vocab) {
            return Err(Error::Model(format!(
                "reasoner: token {t} outside the vocabulary of {}",
                c.vocab
            )));
        }
        Ok(())
    }

    fn encode_prefix(&self, prefix: &[u32]) -> PrefixCache {
        let (states, kv) = self.rows(
            prefix,
            prefix_rows(self.config.max_len, prefix.len()),
            &vec![(Vec::new(), Vec::new()); self.config.layers],
        );
        PrefixCache {
            tokens: prefix.to_vec(),
            states,
            kv,
        }
    }

    /// Runs `tokens` (at position-embedding rows `first..`) through every layer; each row attends to the
    /// `context` keys and values of its layer (earlier rows computed before) and to all of
    /// `tokens`. Returns the final states and each layer's keys and values of these rows.
    fn rows(&self, tokens: &[u32], first: usize, context: &[LayerKv]) -> (Vec<f32>, Vec<LayerKv>) {
        let c = self.config;
        let (n, d) = (tokens.len(), c.dim);
        let (tok, pos) = (self.w(TOK_EMB), self.w(POS_EMB));
        let mut x: Vec<f32> = Vec::with_capacity(n * d);
        for (p, &t) in tokens.iter().enumerate() {
            let (t, p) = (t as usize, first + p);
            x.extend((0..d).map(|j| tok[t * d + j] + pos[p * d + j]));
        }
        let kv = context
            .iter()
            .enumerate()
            .take(c.layers)
            .map(|(l, ctx)| c.layer(l).forward(&self.weights, c.heads, &mut x, ctx))
            .collect();
        (x, kv)
    }

    /// Tied-output logits of final states, `(rows, vocab)`.
    fn logits(&self, states: &[f32]) -> Vec<f32> {
        let c = self.config;
        let d = c.dim;
        let tok = self.w(TOK_EMB);
        let norm = c.final_norm();
        let norm = norm.bind(&self.weights);
        let rows = states.len() / d;
        let mut xn = vec![0f32; d];
        let mut logits = vec![0f32; rows * c.vocab];
        for i in 0..rows {
            norm.forward(&states[i * d..(i + 1) * d], &mut xn);
            for t in 0..c.vocab {
                let e = &tok[t * d..(t + 1) * d];
                logits[i * c.vocab + t] = xn.iter().zip(e).map(|(a, b)| a * b).sum();
            }
        }
        logits
    }

    /// Logits of the response positions only, `(tokens.len() - prefix, vocab)`; the prefix's
    /// keys and values are kept and reused while the prefix stays the same (one user's steps).
    pub fn forward_response(&mut self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>> {
        self.check_input(tokens, prefix)?;
        let fresh = self
            .prefix_cache
            .as_ref()
            .is_none_or(|c| c.tokens != tokens[..prefix]);
        if fresh {
            self.prefix_cache = Some(self.encode_prefix(&tokens[..prefix]));
        }
        let kv = match &self.prefix_cache {
            Some(c) => &c.kv,
            None => return Err(Error::Model("reasoner: prefix cache missing".into())),
        };
        Ok(self.logits(&self.rows(&tokens[prefix..], 0, kv).0))
    }

    pub fn to_bundle(
        &self,
        dataset_fingerprint: Option<u64>,
        metrics: BTreeMap<String, f64>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        crate::bundle::encode_with(
            REASONER_KIND,
            &self.config,
            dataset_fingerprint,
            metrics,
            &self.tensors(),
        )
    }

    /// Reads a reasoner from its bundle, checking checksum, names and shapes.
    pub fn from_bundle(name: &str, manifest: &[u8], weights: &[u8]) -> Result<Self> {
        let (config, t) = crate::bundle::decode_with(name, REASONER_KIND, manifest, weights)?;
        Self::from_tensors(config, t).map_err(|e| Error::Model(format!("{name}: {e}")))
    }
}

impl MaskPredictor for DiffusionReasoner {
    fn predict(&mut self, tokens: &[u32], prefix: usize) -> Result<Vec<f32>> {
        self.forward_response(tokens, prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ReasonerConfig {
        ReasonerConfig {
            vocab: 20,
            max_len: 16,
            dim: 8,
            layers: 2,
            heads: 2,
            ffn: 12,
        }
    }

    #[test]
    fn forward_is_seeded_finite_and_bidirectional() {
        let m = DiffusionReasoner::init(tiny(), 3).unwrap();
        assert_eq!(m, DiffusionReasoner::init(tiny(), 3).unwrap());
        let a = m.forward(&[1, 5, 6, 2, 3, 3], 4).unwrap();
        assert_eq!(a.len(), 6 * 20);
        assert!(a.iter().all(|x| x.is_finite()));
        // A response token changes the other response position (bidirectional) but not the
        // history's positions (they see only the history).
        let b = m.forward(&[1, 5, 6, 2, 3, 7], 4).unwrap();
        assert_ne!(&a[4 * 20..5 * 20], &b[4 * 20..5 * 20]);
        assert_eq!(&a[..4 * 20], &b[..4 * 20]);
        // Within the history, attention runs both ways.
        let c = m.forward(&[1, 5, 8, 2, 3, 3], 4).unwrap();
        assert_ne!(&a[20..40], &c[20..40]);
        // The cached response-only path gives the same response logits.
        let mut cached = m.clone();
        assert_eq!(
            cached.forward_response(&[1, 5, 6, 2, 3, 7], 4).unwrap(),
            b[4 * 20..]
        );
        assert_eq!(
            cached.forward_response(&[1, 5, 8, 2, 3, 3], 4).unwrap(),
            c[4 * 20..]
        );
        assert!(m.forward(&[25], 1).is_err());
        assert!(m.forward(&[1; 17], 1).is_err());
    }

    #[test]
    fn bundle_round_trip_and_a_wrong_shape_is_refused() {
        let m = DiffusionReasoner::init(tiny(), 1).unwrap();
        let (manifest, weights) = m.to_bundle(Some(9), BTreeMap::new()).unwrap();
        let back = DiffusionReasoner::from_bundle("r", &manifest, &weights).unwrap();
        assert_eq!(
            back.forward(&[1, 2, 3], 2).unwrap(),
            m.forward(&[1, 2, 3], 2).unwrap()
        );
        let mut t = m.tensors();
        t.insert("lnf.g".into(), (vec![9], vec![1.0; 9]));
        let err = DiffusionReasoner::from_tensors(tiny(), t)
            .unwrap_err()
            .to_string();
        assert!(err.contains("lnf.g"), "{err}");
    }
}
