//! The teacher text encoder: all-MiniLM-L6-v2 (a 6-layer BERT) in candle, masked mean pooling and
//! L2 normalisation, as sentence-transformers does. The shipped tokenizer pads every text to 128
//! tokens; we pad each batch to its longest text instead, and the attention mask keeps padding out
//! of both attention and pooling, so the vectors are the same and the work is a fraction.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer};

use crate::error::{Error, Result};

use super::pipeline::EncoderKind;
use super::vectors::TextEncoder;

fn model_err(what: &str) -> impl Fn(&dyn std::fmt::Display) -> Error + '_ {
    move |e| Error::Model(format!("{what}: {e}"))
}

pub struct TeacherEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    pub dim: usize,
}

impl TeacherEncoder {
    /// The model's name, in build summaries.
    pub const NAME: &'static str = EncoderKind::Minilm.model_name();
    /// Texts embedded together.
    pub const BATCH: usize = 32;

    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let read =
            |name: &str| std::fs::read(dir.join(name)).map_err(|e| Error::io(dir.join(name), e));
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| model_err("config.json")(&e))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| model_err("tokenizer.json")(&e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let device = Device::Cpu;
        let vb =
            VarBuilder::from_buffered_safetensors(read("model.safetensors")?, DType::F32, &device)
                .map_err(|e| model_err("model.safetensors")(&e))?;
        let model = BertModel::load(vb, &config).map_err(|e| model_err("model.safetensors")(&e))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            dim: config.hidden_size,
        })
    }

    /// Unit vectors for `texts`, `batch` at a time; `progress` gets the number done.
    pub fn embed(
        &self,
        texts: &[String],
        batch: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(batch.max(1)) {
            out.extend(self.embed_batch(chunk)?);
            progress(out.len());
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let err = model_err("teacher forward");
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| model_err("tokenize")(&e))?;
        let (b, t) = (enc.len(), enc.first().map_or(0, |e| e.get_ids().len()));
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            enc.iter().flat_map(|e| f(e).to_vec()).collect()
        };
        let ids =
            Tensor::from_vec(flat(&|e| e.get_ids()), (b, t), &self.device).map_err(|e| err(&e))?;
        let types = Tensor::from_vec(flat(&|e| e.get_type_ids()), (b, t), &self.device)
            .map_err(|e| err(&e))?;
        let mask = Tensor::from_vec(flat(&|e| e.get_attention_mask()), (b, t), &self.device)
            .map_err(|e| err(&e))?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(|e| err(&e))?; // (b, t, d)
        let m = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(|e| err(&e))?; // (b, t, 1)
        let summed = hidden
            .broadcast_mul(&m)
            .and_then(|h| h.sum(1))
            .map_err(|e| err(&e))?; // (b, d)
        let counts = m
            .sum(1)
            .and_then(|c| c.clamp(1e-9, f64::MAX))
            .map_err(|e| err(&e))?; // (b, 1)
        let mean = summed.broadcast_div(&counts).map_err(|e| err(&e))?;
        let norm = mean
            .sqr()
            .and_then(|x| x.sum_keepdim(1))
            .and_then(|x| x.sqrt())
            .map_err(|e| err(&e))?;
        let unit = mean.broadcast_div(&norm).map_err(|e| err(&e))?;
        unit.to_vec2::<f32>().map_err(|e| err(&e))
    }
}

impl TextEncoder for TeacherEncoder {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        TeacherEncoder::embed(self, texts, Self::BATCH, &mut |_| {})
    }
}
