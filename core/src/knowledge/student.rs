//! The distilled student encoder: card text → a small knowledge vector, cheap enough for the
//! browser. Hashed word and character-trigram features (so a never-seen title still has
//! features), a mean-pooled embedding bag, tanh, a linear map, L2 norm. Inference is plain Rust,
//! identical natively and in wasm; training (native, candle) lives in [`super::distill`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash::Fnv1a;
use crate::rng::SeededRng;

use super::neighbours::normalise;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentConfig {
    /// Hash buckets of the feature embedding.
    pub buckets: usize,
    pub hidden: usize,
    /// Size of the knowledge vector.
    pub dim: usize,
}

impl Default for StudentConfig {
    fn default() -> Self {
        Self {
            buckets: 8192,
            hidden: 32,
            dim: 48,
        }
    }
}

impl StudentConfig {
    pub fn parameters(&self) -> usize {
        self.buckets * self.hidden + self.hidden * self.dim + self.dim
    }
}

/// How the student is distilled from its targets (the training itself is native:
/// `knowledge::distill`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DistillConfig {
    pub steps: usize,
    pub learning_rate: f64,
    /// Decoupled (AdamW) weight decay: with ~1.5k items and ~265k weights it is what keeps the
    /// student from memorising the training cards.
    pub weight_decay: f64,
    /// Share of items held out to measure agreement.
    pub holdout: f64,
    pub seed: u64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        Self {
            steps: 300,
            learning_rate: 0.02,
            weight_decay: 1.0,
            holdout: 0.1,
            seed: 0,
        }
    }
}

/// How well the student matches the teacher.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Mean cosine between student and teacher vectors of held-out items.
    pub heldout_cosine: f64,
    pub train_cosine: f64,
    /// Mean share of a held-out item's 10 teacher neighbours that are among its 10 student
    /// neighbours (neighbours searched over all items).
    pub heldout_overlap_at_10: f64,
    pub heldout_items: usize,
}

/// Weights, row-major: `embedding` (buckets × hidden), `weight` (hidden × dim), `bias` (dim).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentEncoder {
    pub config: StudentConfig,
    pub embedding: Vec<f32>,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The bucket of a feature with a kind prefix (`w:` word, `t:` trigram).
fn bucket(kind: &[u8], feature: &str, buckets: usize) -> u32 {
    (Fnv1a::new().bytes(kind).bytes(feature.as_bytes()).finish() % buckets as u64) as u32
}

/// Feature buckets of a text: each lower-cased word, and each character trigram of `<word>`.
pub fn features(text: &str, buckets: usize) -> Vec<u32> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push(bucket(b"w:", word, buckets));
        let padded: Vec<char> = std::iter::once('<')
            .chain(word.chars())
            .chain(std::iter::once('>'))
            .collect();
        for tri in padded.windows(3) {
            let s: String = tri.iter().collect();
            out.push(bucket(b"t:", &s, buckets));
        }
    }
    out
}

impl StudentEncoder {
    /// Seeded small random weights (the start of training, and a fixture for tests).
    pub fn init(config: StudentConfig, seed: u64) -> Self {
        let mut rng = SeededRng::derive(seed, 31);
        let mut draw = |n: usize, scale: f64| -> Vec<f32> {
            (0..n).map(|_| (rng.gaussian() * scale) as f32).collect()
        };
        Self {
            embedding: draw(config.buckets * config.hidden, 0.1),
            weight: draw(
                config.hidden * config.dim,
                1.0 / (config.hidden as f64).sqrt(),
            ),
            bias: vec![0.0; config.dim],
            config,
        }
    }

    pub fn check(&self) -> Result<()> {
        let c = &self.config;
        let ok = self.embedding.len() == c.buckets * c.hidden
            && self.weight.len() == c.hidden * c.dim
            && self.bias.len() == c.dim;
        if !ok || c.buckets == 0 || c.dim == 0 {
            return Err(Error::Model(format!(
                "student weights do not fit their config {c:?}: embedding {}, weight {}, bias {}",
                self.embedding.len(),
                self.weight.len(),
                self.bias.len()
            )));
        }
        Ok(())
    }

    /// The mean of the feature embeddings (zeros for a text with no features).
    pub fn pooled(&self, text: &str) -> Vec<f32> {
        let h = self.config.hidden;
        let feats = features(text, self.config.buckets);
        let mut acc = vec![0f32; h];
        for &f in &feats {
            let row = &self.embedding[f as usize * h..(f as usize + 1) * h];
            for (a, r) in acc.iter_mut().zip(row) {
                *a += r;
            }
        }
        if !feats.is_empty() {
            let n = feats.len() as f32;
            acc.iter_mut().for_each(|a| *a /= n);
        }
        acc
    }

    /// The unit knowledge vector of `text`.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let (h, d) = (self.config.hidden, self.config.dim);
        let pooled = self.pooled(text);
        let mut out = self.bias.clone();
        for (i, p) in pooled.iter().enumerate() {
            let a = libm::tanhf(*p);
            let row = &self.weight[i * d..(i + 1) * d];
            for (o, w) in out.iter_mut().zip(row) {
                *o += a * w;
            }
        }
        debug_assert_eq!(pooled.len(), h);
        normalise(&mut out);
        out
    }
}

/// The kernel's per-thread vectors (`gpu/student.wgsl`).
pub const MAX_HIDDEN: usize = 64;
pub const MAX_DIM: usize = 128;

/// The student kernel's `Dims` uniform: sizes, and offsets (in `f32`s) into the params.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StudentDims {
    pub texts: u32,
    pub hidden: u32,
    pub dim: u32,
    pub buckets: u32,
    pub embedding: u32,
    pub weight: u32,
    pub bias: u32,
}

impl StudentDims {
    pub fn to_bytes(&self) -> Vec<u8> {
        let words = [
            self.texts,
            self.hidden,
            self.dim,
            self.buckets,
            self.embedding,
            self.weight,
            self.bias,
            0,
        ];
        words.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
}

impl StudentEncoder {
    /// Every weight in one array for the kernel, with its uniform (`texts` set per batch);
    /// widths beyond the kernel's vectors are refused.
    pub fn packed(&self) -> Result<(StudentDims, Vec<f32>)> {
        self.check()?;
        let c = self.config;
        if c.hidden > MAX_HIDDEN || c.dim > MAX_DIM {
            return Err(Error::Config(format!(
                "the student kernel takes at most {MAX_HIDDEN} hidden and {MAX_DIM} output units, this student has {} and {}",
                c.hidden, c.dim
            )));
        }
        let u = |x: usize| {
            u32::try_from(x)
                .map_err(|_| Error::Config(format!("{x} does not fit the kernel's u32")))
        };
        let params = [&self.embedding[..], &self.weight, &self.bias].concat();
        let dims = StudentDims {
            texts: 0,
            hidden: u(c.hidden)?,
            dim: u(c.dim)?,
            buckets: u(c.buckets)?,
            embedding: 0,
            weight: u(self.embedding.len())?,
            bias: u(self.embedding.len() + self.weight.len())?,
        };
        u(params.len())?;
        Ok((dims, params))
    }

    /// The kernel's features buffer for `texts`: per text its first feature's word and its
    /// count, then every text's feature buckets.
    pub fn feature_batch(&self, texts: &[String]) -> Result<Vec<u32>> {
        let feats: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| features(t, self.config.buckets))
            .collect();
        let mut out =
            Vec::with_capacity(2 * texts.len() + feats.iter().map(Vec::len).sum::<usize>());
        let mut next = 2 * texts.len();
        for f in &feats {
            let first = u32::try_from(next)
                .map_err(|_| Error::Config("too many features for one batch".into()))?;
            out.extend([first, f.len() as u32]);
            next += f.len();
        }
        out.extend(feats.into_iter().flatten());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::neighbours::dot;

    #[test]
    fn features_cover_words_and_trigrams_and_are_stable() {
        let f = features("Toy Story", 4096);
        // 2 words + 5 trigrams of <toy> + 7 of <story>.
        assert_eq!(f.len(), 2 + 3 + 5);
        assert_eq!(f, features("toy  STORY!", 4096));
        assert!(features("", 4096).is_empty());
    }

    #[test]
    fn embeddings_are_unit_and_similar_texts_are_closer() {
        let s = StudentEncoder::init(StudentConfig::default(), 1);
        s.check().unwrap();
        let a = s.embed("space adventure with starships");
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
        let b = s.embed("space adventure with a starship");
        let c = s.embed("romantic wedding comedy");
        assert!(dot(&a, &b) > dot(&a, &c));
        assert!(
            StudentConfig::default().parameters() * 4 < 2 << 20,
            "under 2 MB of f32 weights"
        );
    }
}

/// The bundle kind of a student encoder.
pub const STUDENT_KIND: &str = "student-encoder";

impl StudentEncoder {
    /// (manifest JSON, weights) in the shared bundle format.
    pub fn to_bundle(
        &self,
        dataset_fingerprint: Option<u64>,
        metrics: std::collections::BTreeMap<String, f64>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let c = self.config;
        let mut t = crate::bundle::Tensors::new();
        t.insert(
            "embedding".into(),
            (vec![c.buckets, c.hidden], self.embedding.clone()),
        );
        t.insert(
            "weight".into(),
            (vec![c.hidden, c.dim], self.weight.clone()),
        );
        t.insert("bias".into(), (vec![c.dim], self.bias.clone()));
        let config =
            serde_json::to_value(c).map_err(|e| Error::Model(format!("student config: {e}")))?;
        crate::bundle::encode(STUDENT_KIND, config, dataset_fingerprint, metrics, &t)
    }

    /// Reads a student from its bundle, checking checksum and shapes.
    pub fn from_bundle(name: &str, manifest: &[u8], weights: &[u8]) -> Result<Self> {
        let (m, mut t) = crate::bundle::decode(name, STUDENT_KIND, manifest, weights)?;
        let config: StudentConfig = serde_json::from_value(m.config)
            .map_err(|e| Error::Model(format!("{name}: student config: {e}")))?;
        let mut take = |k: &str| {
            t.remove(k)
                .map(|x| x.1)
                .ok_or_else(|| Error::Model(format!("{name}: no tensor '{k}'")))
        };
        let s = Self {
            config,
            embedding: take("embedding")?,
            weight: take("weight")?,
            bias: take("bias")?,
        };
        s.check()?;
        Ok(s)
    }
}

#[cfg(test)]
mod bundle_tests {
    use super::*;

    #[test]
    fn bundle_round_trip_gives_the_same_vectors() {
        let cfg = StudentConfig {
            buckets: 256,
            hidden: 8,
            dim: 4,
        };
        let s = StudentEncoder::init(cfg, 3);
        let (m, w) = s.to_bundle(Some(7), Default::default()).unwrap();
        let back = StudentEncoder::from_bundle("s", &m, &w).unwrap();
        assert_eq!(back.embed("a space opera"), s.embed("a space opera"));
        assert!(StudentEncoder::from_bundle("s", &m, &w[..10]).is_err());
    }
}

#[cfg(test)]
mod kernel_tests {
    use super::*;

    /// What the kernel does, in plain Rust over the packed weights and the features buffer.
    fn mirror(dims: StudentDims, params: &[f32], batch: &[u32], t: usize) -> Vec<f32> {
        let (h, d) = (dims.hidden as usize, dims.dim as usize);
        let (first, n) = (batch[2 * t] as usize, batch[2 * t + 1] as usize);
        let mut pooled = vec![0f32; h];
        for &f in &batch[first..first + n] {
            let row = dims.embedding as usize + f as usize * h;
            for (j, p) in pooled.iter_mut().enumerate() {
                *p += params[row + j];
            }
        }
        if n > 0 {
            pooled.iter_mut().for_each(|p| *p /= n as f32);
        }
        let mut out = params[dims.bias as usize..dims.bias as usize + d].to_vec();
        for (i, p) in pooled.iter().enumerate() {
            let a = libm::tanhf(*p);
            let row = dims.weight as usize + i * d;
            for (j, o) in out.iter_mut().enumerate() {
                *o += a * params[row + j];
            }
        }
        normalise(&mut out);
        out
    }

    #[test]
    fn the_packed_weights_and_features_give_embed_and_wider_students_are_refused() {
        let s = StudentEncoder::init(StudentConfig::default(), 3);
        let (dims, params) = s.packed().unwrap();
        let texts = vec![
            "Toy Story (1995). Animation, Comedy".to_owned(),
            String::new(),
        ];
        let batch = s.feature_batch(&texts).unwrap();
        for (t, text) in texts.iter().enumerate() {
            assert_eq!(mirror(dims, &params, &batch, t), s.embed(text));
        }
        assert_eq!(batch[3], 0, "an empty text has no features");
        let wide = StudentEncoder::init(
            StudentConfig {
                hidden: 65,
                ..StudentConfig::default()
            },
            1,
        );
        assert!(wide.packed().is_err());
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_kernel_validates_and_reads_its_uniform_as_laid_out() {
        let module = crate::wgsl_check::validated(include_str!("../gpu/student.wgsl"));
        let size = crate::wgsl_check::global_size(&module, "dims");
        assert_eq!(size, StudentDims::default().to_bytes().len());
    }
}
