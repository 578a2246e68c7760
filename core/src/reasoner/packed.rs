//! The diffusion reasoner laid out for the WGSL kernels (`gpu/reasoner.wgsl`): every tensor in
//! one `f32` array, a forward pass as a fixed list of operations (`program`), and the rows of a
//! batch of users with what each attends to. A CPU mirror of the kernels in the tests checks
//! this layout against [`DiffusionReasoner::forward_response`].

use crate::error::{Error, Result};
use crate::nn::EPS;

use super::model::{prefix_rows, DiffusionReasoner, ReasonerConfig, POS_EMB, TOK_EMB};

/// The kernel keeps one attention score per attended row in a fixed array.
pub const MAX_LEN: usize = 256;
/// `u32`s per row in the rows buffer: token, position row, its kv row, first kv row attended,
/// how many.
pub const ROW_WORDS: usize = 5;

/// The kernels' `Dims` uniform (offsets in `f32`s).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReasonerDims {
    /// Set per pass: the rows run.
    pub rows: u32,
    pub d: u32,
    pub heads: u32,
    pub hd: u32,
    pub ffn: u32,
    pub vocab: u32,
    pub tok: u32,
    pub pos: u32,
    /// Floats of one layer's keys (and as many of its values) in the cache.
    pub kv_layer: u32,
    /// Scratch regions: states, normalised states, qkv, attention output, FFN hidden.
    pub x: u32,
    pub xn: u32,
    pub qkv: u32,
    pub att: u32,
    pub hidden: u32,
    pub eps: f32,
    pub scale: f32,
}

impl ReasonerDims {
    pub fn to_bytes(&self) -> Vec<u8> {
        let words = [
            self.rows,
            self.d,
            self.heads,
            self.hd,
            self.ffn,
            self.vocab,
            self.tok,
            self.pos,
            self.kv_layer,
            self.x,
            self.xn,
            self.qkv,
            self.att,
            self.hidden,
            self.eps.to_bits(),
            self.scale.to_bits(),
        ];
        words.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// Floats of the scratch for `capacity` rows.
    pub fn scratch_len(&self, capacity: usize) -> usize {
        self.hidden as usize + capacity * self.ffn as usize
    }
}

/// Which kernel an operation runs (the shader's entry points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Embed,
    LayerNorm,
    Affine,
    StoreKv,
    Attention,
    Logits,
}

impl Kernel {
    pub const ALL: [Kernel; 6] = [
        Self::Embed,
        Self::LayerNorm,
        Self::Affine,
        Self::StoreKv,
        Self::Attention,
        Self::Logits,
    ];

    pub fn entry_point(self) -> &'static str {
        match self {
            Self::Embed => "embed",
            Self::LayerNorm => "layer_norm",
            Self::Affine => "affine",
            Self::StoreKv => "store_kv",
            Self::Attention => "attention",
            Self::Logits => "logits_of",
        }
    }
}

pub const GELU: u32 = 1;
pub const ADD: u32 = 2;

/// One operation's `Op` uniform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReasonerOp {
    pub input: u32,
    pub output: u32,
    pub w: u32,
    pub b: u32,
    pub n_in: u32,
    pub n_out: u32,
    pub flags: u32,
    pub layer: u32,
}

impl ReasonerOp {
    pub fn to_bytes(&self) -> Vec<u8> {
        let words = [
            self.input,
            self.output,
            self.w,
            self.b,
            self.n_in,
            self.n_out,
            self.flags,
            self.layer,
        ];
        words.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
}

/// A step of a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub kernel: Kernel,
    pub op: ReasonerOp,
}

impl Step {
    /// Threads the step runs for `rows` rows.
    pub fn threads(&self, dims: &ReasonerDims, rows: u32) -> u32 {
        rows * match self.kernel {
            Kernel::Embed | Kernel::StoreKv => dims.d,
            Kernel::LayerNorm => 1,
            Kernel::Affine => self.op.n_out,
            Kernel::Attention => dims.heads,
            Kernel::Logits => dims.vocab,
        }
    }
}

/// A reasoner's parameters packed for the kernels, and the scratch layout for a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedReasoner {
    pub config: ReasonerConfig,
    pub params: Vec<f32>,
    /// With the scratch laid out for `capacity` rows and `users` users' caches.
    pub dims: ReasonerDims,
    pub capacity: usize,
    pub users: usize,
    /// Every step of a pass that ends in logits; a prefix pass stops before the final norm.
    pub program: Vec<Step>,
}

fn u(x: usize) -> Result<u32> {
    u32::try_from(x).map_err(|_| Error::Config(format!("{x} does not fit the kernel's u32")))
}

impl PackedReasoner {
    /// Packs `model` for batches of up to `users` users.
    pub fn new(model: &DiffusionReasoner, users: usize) -> Result<Self> {
        let c = model.config;
        if users == 0 {
            return Err(Error::Config(
                "the reasoner kernel needs room for a user".into(),
            ));
        }
        if c.max_len > MAX_LEN {
            return Err(Error::Config(format!(
                "the kernel takes inputs of at most {MAX_LEN} tokens, this reasoner {}",
                c.max_len
            )));
        }
        let mut params: Vec<f32> = Vec::new();
        let mut put = |name: &str| -> Result<u32> {
            let w = model
                .weight(name)
                .ok_or_else(|| Error::Model(format!("the reasoner has no tensor {name}")))?;
            let at = u(params.len())?;
            params.extend_from_slice(w);
            Ok(at)
        };
        let (d, capacity) = (c.dim, users * c.max_len);
        let hd = d / c.heads;
        let mut dims = ReasonerDims {
            d: u(d)?,
            heads: u(c.heads)?,
            hd: u(hd)?,
            ffn: u(c.ffn)?,
            vocab: u(c.vocab)?,
            tok: put(TOK_EMB)?,
            pos: put(POS_EMB)?,
            kv_layer: u(capacity * d)?,
            eps: EPS,
            scale: 1.0 / (hd as f32).sqrt(),
            ..ReasonerDims::default()
        };
        dims.xn = u(capacity * d)?;
        dims.qkv = u(2 * capacity * d)?;
        dims.att = u(5 * capacity * d)?;
        dims.hidden = u(6 * capacity * d)?;
        u(dims.scratch_len(capacity))?;
        u(c.layers * 2 * capacity * d)?;
        let (x, xn, qkv, att, hidden) = (dims.x, dims.xn, dims.qkv, dims.att, dims.hidden);
        let (dw, fw) = (dims.d, dims.ffn);
        let mut program = vec![Step {
            kernel: Kernel::Embed,
            op: ReasonerOp::default(),
        }];
        let norm = |g: u32, b: u32, input: u32, output: u32| Step {
            kernel: Kernel::LayerNorm,
            op: ReasonerOp {
                input,
                output,
                w: g,
                b,
                n_in: dw,
                n_out: dw,
                ..ReasonerOp::default()
            },
        };
        let affine = |w: u32, b: u32, (input, n_in): (u32, u32), (output, n_out), flags| Step {
            kernel: Kernel::Affine,
            op: ReasonerOp {
                input,
                output,
                w,
                b,
                n_in,
                n_out,
                flags,
                layer: 0,
            },
        };
        for l in 0..c.layers {
            let layer = c.layer(l);
            let lu = u(l)?;
            program.push(norm(put(&layer.ln1.g)?, put(&layer.ln1.b)?, x, xn));
            let (w, b) = (put(&layer.qkv.w)?, put(&layer.qkv.b)?);
            program.push(affine(w, b, (xn, dw), (qkv, 3 * dw), 0));
            for kernel in [Kernel::StoreKv, Kernel::Attention] {
                program.push(Step {
                    kernel,
                    op: ReasonerOp {
                        layer: lu,
                        ..ReasonerOp::default()
                    },
                });
            }
            let (w, b) = (put(&layer.out.w)?, put(&layer.out.b)?);
            program.push(affine(w, b, (att, dw), (x, dw), ADD));
            program.push(norm(put(&layer.ln2.g)?, put(&layer.ln2.b)?, x, xn));
            let (w, b) = (put(&layer.ffn1.w)?, put(&layer.ffn1.b)?);
            program.push(affine(w, b, (xn, dw), (hidden, fw), GELU));
            let (w, b) = (put(&layer.ffn2.w)?, put(&layer.ffn2.b)?);
            program.push(affine(w, b, (hidden, fw), (x, dw), ADD));
        }
        let lnf = c.final_norm();
        program.push(norm(put(&lnf.g)?, put(&lnf.b)?, x, xn));
        program.push(Step {
            kernel: Kernel::Logits,
            op: ReasonerOp::default(),
        });
        Ok(Self {
            config: c,
            params,
            dims,
            capacity,
            users,
            program,
        })
    }

    /// The steps of a pass: all of them when it ends in logits, else those before the final
    /// norm (a prefix pass only fills the caches).
    pub fn steps(&self, logits: bool) -> &[Step] {
        let n = self.program.len();
        if logits {
            &self.program
        } else {
            &self.program[..n - 2]
        }
    }

    /// The rows of a prefix pass over `prefixes` (user `b`'s block is `b`): each prefix row
    /// sits at its position-embedding row and attends to its whole prefix.
    pub fn prefix_rows(&self, prefixes: &[&[u32]]) -> Result<Vec<u32>> {
        let max_len = self.config.max_len;
        let mut out = Vec::new();
        for (b, p) in prefixes.iter().enumerate() {
            self.check_block(b, p.len())?;
            let first = prefix_rows(max_len, p.len());
            for (j, &t) in p.iter().enumerate() {
                out.extend([t, u(first + j)?, u(b * max_len + j)?, u(b * max_len)?]);
                out.push(u(p.len())?);
            }
        }
        self.check_rows(&out)?;
        Ok(out)
    }

    /// The rows of a response pass: `(block, prefix length, response)` per user; response
    /// rows take position rows from 0, their kv rows after the prefix's, and attend to both.
    pub fn response_rows(&self, users: &[(usize, usize, &[u32])]) -> Result<Vec<u32>> {
        let max_len = self.config.max_len;
        let mut out = Vec::new();
        for &(b, prefix, response) in users {
            let n = prefix + response.len();
            self.check_block(b, n)?;
            for (j, &t) in response.iter().enumerate() {
                out.extend([t, u(j)?, u(b * max_len + prefix + j)?, u(b * max_len)?]);
                out.push(u(n)?);
            }
        }
        self.check_rows(&out)?;
        Ok(out)
    }

    fn check_block(&self, b: usize, len: usize) -> Result<()> {
        if b >= self.users || len > self.config.max_len || len == 0 {
            return Err(Error::Model(format!(
                "reasoner kernel: user block {b} of {} with {len} tokens (1 to {})",
                self.users, self.config.max_len
            )));
        }
        Ok(())
    }

    fn check_rows(&self, rows: &[u32]) -> Result<()> {
        let vocab = self.dims.vocab;
        if let Some(t) = rows.chunks(ROW_WORDS).map(|r| r[0]).find(|&t| t >= vocab) {
            return Err(Error::Model(format!(
                "reasoner: token {t} outside the vocabulary of {vocab}"
            )));
        }
        if rows.len() / ROW_WORDS > self.capacity {
            return Err(Error::Model(format!(
                "reasoner kernel: {} rows, room for {}",
                rows.len() / ROW_WORDS,
                self.capacity
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernels in plain Rust, step for step as `reasoner.wgsl` runs them.
    struct Mirror<'a> {
        p: &'a PackedReasoner,
        scratch: Vec<f32>,
        kv: Vec<f32>,
    }

    impl Mirror<'_> {
        fn run(&mut self, rows: &[u32], logits: bool) -> Vec<f32> {
            let p = self.p;
            let (dims, w) = (p.dims, &p.params);
            let n = rows.len() / ROW_WORDS;
            let (d, v) = (dims.d as usize, dims.vocab as usize);
            let row = |r: usize, k: usize| rows[r * ROW_WORDS + k] as usize;
            let mut out = vec![0f32; n * v];
            for step in p.steps(logits) {
                let o = step.op;
                let (input, output) = (o.input as usize, o.output as usize);
                let kv_at = |r: usize| o.layer as usize * 2 * dims.kv_layer as usize + r * d;
                match step.kernel {
                    Kernel::Embed => {
                        for r in 0..n {
                            for j in 0..d {
                                self.scratch[dims.x as usize + r * d + j] = w
                                    [dims.tok as usize + row(r, 0) * d + j]
                                    + w[dims.pos as usize + row(r, 1) * d + j];
                            }
                        }
                    }
                    Kernel::LayerNorm => {
                        for r in 0..n {
                            let xs = self.scratch[input + r * d..input + (r + 1) * d].to_vec();
                            let (g, b) = (o.w as usize, o.b as usize);
                            let mut y = vec![0f32; d];
                            crate::nn::layer_norm(&xs, &w[g..g + d], &w[b..b + d], &mut y);
                            self.scratch[output + r * d..output + (r + 1) * d].copy_from_slice(&y);
                        }
                    }
                    Kernel::Affine => {
                        let (ni, no) = (o.n_in as usize, o.n_out as usize);
                        for r in 0..n {
                            for k in 0..no {
                                let mut acc = w[o.b as usize + k];
                                for i in 0..ni {
                                    acc += self.scratch[input + r * ni + i]
                                        * w[o.w as usize + i * no + k];
                                }
                                if o.flags & GELU != 0 {
                                    acc = crate::nn::gelu(acc);
                                }
                                let y = &mut self.scratch[output + r * no + k];
                                *y = if o.flags & ADD != 0 { *y + acc } else { acc };
                            }
                        }
                    }
                    Kernel::StoreKv => {
                        for r in 0..n {
                            let from = dims.qkv as usize + r * 3 * d;
                            let at = kv_at(row(r, 2));
                            for j in 0..d {
                                self.kv[at + j] = self.scratch[from + d + j];
                                self.kv[at + dims.kv_layer as usize + j] =
                                    self.scratch[from + 2 * d + j];
                            }
                        }
                    }
                    Kernel::Attention => {
                        let hd = dims.hd as usize;
                        for r in 0..n {
                            for h in 0..dims.heads as usize {
                                let q = dims.qkv as usize + r * 3 * d + h * hd;
                                let (first, m) = (row(r, 3), row(r, 4));
                                let mut s: Vec<f32> = (0..m)
                                    .map(|j| {
                                        let k = kv_at(first + j) + h * hd;
                                        (0..hd)
                                            .map(|c| self.scratch[q + c] * self.kv[k + c])
                                            .sum::<f32>()
                                            * dims.scale
                                    })
                                    .collect();
                                let top = s.iter().copied().fold(f32::MIN, f32::max);
                                s.iter_mut().for_each(|x| *x = libm::expf(*x - top));
                                let z: f32 = s.iter().sum();
                                for c in 0..hd {
                                    let mut acc = 0.0;
                                    for (j, x) in s.iter().enumerate() {
                                        let val = kv_at(first + j) + dims.kv_layer as usize;
                                        acc += (x / z) * self.kv[val + h * hd + c];
                                    }
                                    self.scratch[dims.att as usize + r * d + h * hd + c] = acc;
                                }
                            }
                        }
                    }
                    Kernel::Logits => {
                        for r in 0..n {
                            for t in 0..v {
                                out[r * v + t] = (0..d)
                                    .map(|j| {
                                        self.scratch[dims.xn as usize + r * d + j]
                                            * w[dims.tok as usize + t * d + j]
                                    })
                                    .sum();
                            }
                        }
                    }
                }
            }
            out
        }
    }

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
    fn the_packed_program_on_a_batch_gives_each_users_response_logits() {
        let m = DiffusionReasoner::init(tiny(), 4).unwrap();
        let p = PackedReasoner::new(&m, 2).unwrap();
        let mut mirror = Mirror {
            p: &p,
            scratch: vec![0.0; p.dims.scratch_len(p.capacity)],
            kv: vec![0.0; m.config.layers * 2 * p.dims.kv_layer as usize],
        };
        let users: [(&[u32], &[u32]); 2] = [(&[1, 5, 6, 2], &[3, 4, 7]), (&[1, 9, 2], &[8, 3, 3])];
        let prefixes: Vec<&[u32]> = users.iter().map(|u| u.0).collect();
        let rows = p.prefix_rows(&prefixes).unwrap();
        mirror.run(&rows, false);
        let batch: Vec<(usize, usize, &[u32])> = users
            .iter()
            .enumerate()
            .map(|(b, u)| (b, u.0.len(), u.1))
            .collect();
        let rows = p.response_rows(&batch).unwrap();
        let got = mirror.run(&rows, true);
        let v = m.config.vocab;
        let mut at = 0;
        for (prefix, response) in users {
            let tokens: Vec<u32> = prefix.iter().chain(response).copied().collect();
            let want = m.clone().forward_response(&tokens, prefix.len()).unwrap();
            let n = response.len() * v;
            let worst = got[at..at + n]
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "{worst}");
            at += n;
        }
        assert!(p.response_rows(&[(2, 3, &[1])]).is_err());
        assert!(p.prefix_rows(&[&[25]]).is_err());
    }

    /// The kernels are valid WGSL, and their uniforms are these types' bytes.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_kernels_validate_and_read_the_uniforms_as_laid_out() {
        let module = crate::wgsl_check::validated(include_str!("../gpu/reasoner.wgsl"));
        let size = |name: &str| crate::wgsl_check::global_size(&module, name);
        assert_eq!(size("dims"), ReasonerDims::default().to_bytes().len());
        assert_eq!(size("op"), ReasonerOp::default().to_bytes().len());
        for k in Kernel::ALL {
            assert!(
                module
                    .entry_points
                    .iter()
                    .any(|e| e.name == k.entry_point()),
                "{k:?}"
            );
        }
    }
}
