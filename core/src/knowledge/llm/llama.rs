//! A Llama decoder (SmolLM2's architecture) in candle over the weights of a GGUF file, expanded
//! to f32 for batching.
//!
//! Why not `quantized_llama::ModelWeights`: measured here on 2 cores, its batched step costs as
//! much per sequence as one sequence alone (its matrices multiply a `(batch, 1, hidden)` input as
//! `batch` separate vector products, and a batched multi-token prefill fails on a non-contiguous
//! hidden state), so batch 16 gave 27 tokens/s against 14 at batch 1. Here every projection is
//! one `(batch, hidden) × (hidden, out)` product, the key/value cache is explicit (so a prompt
//! prefix computed once can be shared by a whole batch), and prefill takes a causal mask at any
//! offset. The weights, tokenizer and rotary layout are those `quantized_llama` reads.

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::nn::candle::model_error;

fn cerr(e: candle_core::Error) -> Error {
    model_error("llama")(e)
}

/// What the GGUF metadata says about the architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub rope_dim: usize,
    pub rope_base: f32,
    pub rms_eps: f64,
    pub max_positions: usize,
}

impl LlamaConfig {
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self> {
        let get = |k: &str| {
            content
                .metadata
                .get(k)
                .ok_or_else(|| Error::Model(format!("GGUF metadata lacks {k}")))
        };
        let u = |k: &str| get(k).and_then(|v| v.to_u32().map(|x| x as usize).map_err(cerr));
        let cfg = Self {
            hidden: u("llama.embedding_length")?,
            layers: u("llama.block_count")?,
            heads: u("llama.attention.head_count")?,
            kv_heads: u("llama.attention.head_count_kv")?,
            rope_dim: u("llama.rope.dimension_count")?,
            rope_base: get("llama.rope.freq_base")
                .and_then(|v| v.to_f32().map_err(cerr))
                .unwrap_or(10_000.0),
            rms_eps: get("llama.attention.layer_norm_rms_epsilon")?
                .to_f32()
                .map_err(cerr)? as f64,
            max_positions: u("llama.context_length").unwrap_or(2048).min(4096),
        };
        if cfg.heads == 0 || cfg.kv_heads == 0 || !cfg.heads.is_multiple_of(cfg.kv_heads) {
            return Err(Error::Model(format!(
                "GGUF: {} heads cannot share {} key/value heads",
                cfg.heads, cfg.kv_heads
            )));
        }
        Ok(cfg)
    }

    fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

/// A projection stored transposed, `(in, out)`, so `x · w` is one plain matrix product.
struct Linear(Tensor);

/// One decoder block: RMS-normed grouped-query attention, then an RMS-normed SwiGLU MLP.
struct Block {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

impl Block {
    /// Block `i`'s tensors by their GGUF names (`blk.{i}.{name}.weight`), each shape checked
    /// against the configuration, so a GGUF of another architecture is a clear error.
    fn load(
        i: usize,
        cfg: &LlamaConfig,
        tensor: &mut dyn FnMut(&str) -> Result<Tensor>,
    ) -> Result<Self> {
        let mut get = |name: &str, shape: Option<&[usize]>| -> Result<Tensor> {
            let name = format!("blk.{i}.{name}.weight");
            let t = tensor(&name)?;
            match shape {
                Some(want) if t.dims() != want => Err(Error::Model(format!(
                    "GGUF tensor {name}: shape {:?}, the configuration says {want:?}",
                    t.dims()
                ))),
                _ => Ok(t),
            }
        };
        let (d, hd) = (cfg.hidden, cfg.head_dim());
        let (q, kv) = (cfg.heads * hd, cfg.kv_heads * hd);
        // GGUF stores a projection (out, in); it is kept transposed.
        let t = |x: Tensor| x.t().and_then(|t| t.contiguous()).map(Linear).map_err(cerr);
        // The MLP's width is the gate's; the up and down projections must agree with it.
        let gate = get("ffn_gate", None)?;
        let ffn = gate.dims().first().copied().unwrap_or(0);
        if gate.dims() != [ffn, d] {
            return Err(Error::Model(format!(
                "GGUF tensor blk.{i}.ffn_gate.weight: shape {:?}, the configuration says [_, {d}]",
                gate.dims()
            )));
        }
        Ok(Self {
            attn_norm: get("attn_norm", Some(&[d]))?,
            q: t(get("attn_q", Some(&[q, d]))?)?,
            k: t(get("attn_k", Some(&[kv, d]))?)?,
            v: t(get("attn_v", Some(&[kv, d]))?)?,
            o: t(get("attn_output", Some(&[d, q]))?)?,
            ffn_norm: get("ffn_norm", Some(&[d]))?,
            gate: t(gate)?,
            up: t(get("ffn_up", Some(&[ffn, d]))?)?,
            down: t(get("ffn_down", Some(&[d, ffn]))?)?,
        })
    }
}

/// Keys and values of every layer, `(batch, kv_heads, positions, head_dim)`.
#[derive(Clone, Default)]
pub struct KvCache {
    layers: Vec<(Tensor, Tensor)>,
    pub len: usize,
}

pub struct Llama {
    cfg: LlamaConfig,
    embeddings: Tensor,
    /// The tied output projection, `(hidden, vocab)`.
    output: Tensor,
    norm: Tensor,
    blocks: Vec<Block>,
    cos: Tensor,
    sin: Tensor,
    device: Device,
}

impl Llama {
    pub fn load<R: std::io::Seek + std::io::Read>(
        content: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Self> {
        let cfg = LlamaConfig::from_gguf(content)?;
        let mut tensor = |name: &str| -> Result<Tensor> {
            content
                .tensor(reader, name, device)
                .and_then(|q| q.dequantize(device))
                .map_err(|e| Error::Model(format!("GGUF tensor {name}: {e}")))
        };
        let blocks = (0..cfg.layers)
            .map(|i| Block::load(i, &cfg, &mut tensor))
            .collect::<Result<Vec<_>>>()?;
        let embeddings = tensor("token_embd.weight")?;
        let output = if content.tensor_infos.contains_key("output.weight") {
            tensor("output.weight")?
        } else {
            embeddings.clone()
        };
        let output = output.t().and_then(|t| t.contiguous()).map_err(cerr)?;
        let norm = tensor("output_norm.weight")?;
        // Rotary tables, interleaved pairs (the GGUF layout of Q and K).
        let half = cfg.rope_dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| 1.0 / cfg.rope_base.powf(2.0 * i as f32 / cfg.rope_dim as f32))
            .collect();
        let mut angles = Vec::with_capacity(cfg.max_positions * half);
        for p in 0..cfg.max_positions {
            angles.extend(inv.iter().map(|f| p as f32 * f));
        }
        let angles = Tensor::from_vec(angles, (cfg.max_positions, half), device).map_err(cerr)?;
        Ok(Self {
            cos: angles.cos().map_err(cerr)?,
            sin: angles.sin().map_err(cerr)?,
            cfg,
            embeddings,
            output,
            norm,
            blocks,
            device: device.clone(),
        })
    }

    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    /// Feeds `tokens` (`batch` rows of `n` tokens) at the positions after `prefix` (keys and values
    /// of a prompt prefix all rows share, batch of one) and `cache` (each row's own), and returns
    /// the normalised hidden state after each row's last token, `(batch, hidden)`.
    pub fn forward(
        &self,
        tokens: &[Vec<u32>],
        prefix: Option<&KvCache>,
        cache: &mut KvCache,
    ) -> Result<Tensor> {
        let (b, n) = (tokens.len(), tokens.first().map_or(0, Vec::len));
        if b == 0 || n == 0 || tokens.iter().any(|t| t.len() != n) {
            return Err(Error::Model("forward needs equal, non-empty rows".into()));
        }
        let shared = prefix.map_or(0, |p| p.len);
        let pos = shared + cache.len;
        if pos + n > self.cfg.max_positions {
            return Err(Error::Model(format!(
                "{} positions exceed the model's {}",
                pos + n,
                self.cfg.max_positions
            )));
        }
        let (h, kvh, hd) = (self.cfg.heads, self.cfg.kv_heads, self.cfg.head_dim());
        let group = h / kvh;
        let ids: Vec<u32> = tokens.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(ids, b * n, &self.device).map_err(cerr)?;
        let mut x = self.embeddings.index_select(&ids, 0).map_err(cerr)?; // (b·n, hidden)
        let cos = self.cos.narrow(0, pos, n).map_err(cerr)?;
        let sin = self.sin.narrow(0, pos, n).map_err(cerr)?;
        // Causal mask over this call's own tokens (earlier positions are all visible).
        let (before, own) = (cache.len, cache.len + n);
        let mask = if n > 1 {
            let m: Vec<f32> = (0..n)
                .flat_map(|i| {
                    (0..own).map(move |j| {
                        if j > before + i {
                            f32::NEG_INFINITY
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            Some(Tensor::from_vec(m, (n, own), &self.device).map_err(cerr)?)
        } else {
            None
        };
        if cache.layers.is_empty() {
            let empty = Tensor::zeros((b, kvh, 0, hd), DType::F32, &self.device).map_err(cerr)?;
            cache.layers = vec![(empty.clone(), empty); self.blocks.len()];
        }
        let scale = 1.0 / (hd as f64).sqrt();
        for (l, (block, (k_cache, v_cache))) in
            self.blocks.iter().zip(cache.layers.iter_mut()).enumerate()
        {
            let attn = (|| -> candle_core::Result<Tensor> {
                let xn = candle_nn::ops::rms_norm(&x, &block.attn_norm, self.cfg.rms_eps as f32)?;
                let heads =
                    |t: Tensor, nh: usize| t.reshape((b, n, nh, hd))?.transpose(1, 2)?.contiguous();
                let q = heads(xn.matmul(&block.q.0)?, h)?;
                let k = heads(xn.matmul(&block.k.0)?, kvh)?;
                let v = heads(xn.matmul(&block.v.0)?, kvh)?;
                let q = candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?;
                let k = candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?;
                let k = Tensor::cat(&[&*k_cache, &k], 2)?;
                let v = Tensor::cat(&[&*v_cache, &v], 2)?;
                *k_cache = k.clone();
                *v_cache = v.clone();
                // Grouped-query attention: each key/value head serves `group` query heads.
                let q = q.reshape((b, kvh, group * n, hd))?;
                let mut att = (q.matmul(&k.t()?)? * scale)?; // (b, kvh, group·n, own)
                if let Some(m) = &mask {
                    att = att
                        .reshape((b, kvh, group, n, own))?
                        .broadcast_add(m)?
                        .reshape((b, kvh, group * n, own))?;
                }
                // The shared prefix: one product for the whole batch per key/value head.
                let shared_kv = prefix.map(|p| &p.layers[l]);
                let q_rows = match shared_kv {
                    Some(_) => Some(q.transpose(0, 1)?.contiguous()?.reshape((
                        kvh,
                        b * group * n,
                        hd,
                    ))?),
                    None => None,
                };
                if let (Some((pk, _)), Some(qr)) = (shared_kv, &q_rows) {
                    let pk = pk.squeeze(0)?; // (kvh, shared, hd)
                    let pre = (qr.matmul(&pk.t()?)? * scale)? // (kvh, b·group·n, shared)
                        .reshape((kvh, b, group * n, shared))?
                        .transpose(0, 1)?;
                    att = Tensor::cat(&[&pre, &att], 3)?.contiguous()?;
                }
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                let y = match shared_kv {
                    Some((_, pv)) => {
                        let a_pre = att
                            .narrow(3, 0, shared)?
                            .transpose(0, 1)?
                            .contiguous()?
                            .reshape((kvh, b * group * n, shared))?;
                        let y_pre = a_pre
                            .matmul(&pv.squeeze(0)?)? // (kvh, b·group·n, hd)
                            .reshape((kvh, b, group * n, hd))?
                            .transpose(0, 1)?;
                        let a_own = att.narrow(3, shared, own)?.contiguous()?;
                        (y_pre + a_own.matmul(&v)?)?
                    }
                    None => att.matmul(&v)?,
                }; // (b, kvh, group·n, hd)
                let y = y
                    .reshape((b, h, n, hd))?
                    .transpose(1, 2)?
                    .reshape((b * n, h * hd))?;
                y.matmul(&block.o.0)
            })()
            .map_err(cerr)?;
            x = (x + attn).map_err(cerr)?;
            let ffn = (|| -> candle_core::Result<Tensor> {
                let xn = candle_nn::ops::rms_norm(&x, &block.ffn_norm, self.cfg.rms_eps as f32)?;
                let gate = candle_nn::ops::silu(&xn.matmul(&block.gate.0)?)?;
                let up = xn.matmul(&block.up.0)?;
                (gate * up)?.matmul(&block.down.0)
            })()
            .map_err(cerr)?;
            x = (x + ffn).map_err(cerr)?;
        }
        cache.len += n;
        let last = x
            .reshape((b, n, self.cfg.hidden))
            .and_then(|t| t.narrow(1, n - 1, 1))
            .and_then(|t| t.reshape((b, self.cfg.hidden)))
            .map_err(cerr)?;
        candle_nn::ops::rms_norm(&last, &self.norm, self.cfg.rms_eps as f32).map_err(cerr)
    }

    /// Next-token logits for the chosen `rows` of `hidden`, `(rows, vocab)`: rows whose next
    /// token is dictated (prompt, forced format) skip the largest product of the step.
    pub fn logits(&self, hidden: &Tensor, rows: &[usize]) -> Result<Vec<Vec<f32>>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
        let idx = Tensor::from_vec(idx, rows.len(), &self.device).map_err(cerr)?;
        hidden
            .index_select(&idx, 0)
            .and_then(|h| h.matmul(&self.output))
            .and_then(|l| l.to_vec2::<f32>())
            .map_err(cerr)
    }
}
