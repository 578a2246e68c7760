//! The embedded LLM: SmolLM2-135M-Instruct (GGUF Q4_1) in candle (our Llama forward, see
//! [`super::llama`], over the GGUF's weights).
//!
//! Three things make a 135M model on two cores useful for thousands of items:
//! - **batching without padding**: every sequence of a batch advances one position per forward
//!   pass; a sequence whose prompt is shorter starts answering earlier, so no sequence ever
//!   attends to padding and no attention mask is needed;
//! - **a shared prompt prefix**: the system message and the question are the same for every
//!   item, so their keys and values are computed once and attended by the whole batch;
//! - **constrained decoding**: the logits are masked to what the answer format allows
//!   (one sentence of reasoning, then `ANSWER: {"key": ["…", …]}`), so every answer parses.

use std::collections::VecDeque;
use std::path::Path;

use candle_core::quantized::gguf_file;
use candle_core::Device;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, PreTokenizerWrapper, Tokenizer};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::llama::{KvCache, Llama};
use super::{AnswerFormat, ChatRequest, LlmBackend, Usage};

fn err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Model(format!("{}: {e}", path.display()))
}

/// The GPT-2 style byte-level BPE tokenizer that the GGUF metadata describes.
pub struct GgufTokenizer {
    tokenizer: Tokenizer,
    /// Each token's text on its own (a byte-level token may be part of a character: then it
    /// holds U+FFFD and no format allows it).
    texts: Vec<String>,
    special: Vec<bool>,
    eos: u32,
}

impl GgufTokenizer {
    fn from_gguf(content: &gguf_file::Content, path: &Path) -> Result<Self> {
        let md = |key: &str| {
            content.metadata.get(key).ok_or_else(|| {
                Error::Model(format!("{}: no {key} in the metadata", path.display()))
            })
        };
        let model = md("tokenizer.ggml.model")?.to_string().map_err(err(path))?;
        if model != "gpt2" {
            return Err(Error::Model(format!(
                "{}: tokenizer.ggml.model is '{model}', only 'gpt2' (byte-level BPE) is supported",
                path.display()
            )));
        }
        let tokens: Vec<String> = md("tokenizer.ggml.tokens")?
            .to_vec()
            .map_err(err(path))?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<std::result::Result<_, _>>()
            .map_err(err(path))?;
        let types: Vec<i32> = md("tokenizer.ggml.token_type")?
            .to_vec()
            .map_err(err(path))?
            .iter()
            .map(|v| v.to_i32())
            .collect::<std::result::Result<_, _>>()
            .map_err(err(path))?;
        let merges: Vec<(String, String)> = md("tokenizer.ggml.merges")?
            .to_vec()
            .map_err(err(path))?
            .iter()
            .map(|v| {
                let m = v.to_string().map_err(err(path))?;
                m.split_once(' ')
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    .ok_or_else(|| {
                        Error::Model(format!("{}: merge '{m}' has no space", path.display()))
                    })
            })
            .collect::<Result<_>>()?;
        let eos = md("tokenizer.ggml.eos_token_id")?
            .to_u32()
            .map_err(err(path))?;
        Self::from_parts(tokens, &types, merges, eos)
            .map_err(|e| Error::Model(format!("{}: {e}", path.display())))
    }

    /// A byte-level BPE over `tokens` (type 3 = control token, matched whole) and `merges`.
    pub fn from_parts(
        tokens: Vec<String>,
        types: &[i32],
        merges: Vec<(String, String)>,
        eos: u32,
    ) -> Result<Self> {
        if types.len() != tokens.len() || eos as usize >= tokens.len() {
            return Err(Error::Model(format!(
                "{} tokens but {} token types, eos {eos}",
                tokens.len(),
                types.len()
            )));
        }
        let vocab: tokenizers::models::bpe::Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let model_err = |e: tokenizers::Error| Error::Model(format!("tokenizer: {e}"));
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(model_err)?;
        let mut tokenizer = Tokenizer::new(bpe);
        // SmolLM's pre-tokenizer ("smollm"): single digits, then GPT-2 byte-level splitting.
        tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
        ])));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
        let special: Vec<bool> = types.iter().map(|&t| t == 3).collect();
        let added: Vec<AddedToken> = tokens
            .iter()
            .zip(&special)
            .filter(|(_, &s)| s)
            .map(|(t, _)| AddedToken::from(t.clone(), true))
            .collect();
        tokenizer.add_special_tokens(&added);
        let texts = (0..tokens.len() as u32)
            .map(|i| tokenizer.decode(&[i], false).map_err(model_err))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            tokenizer,
            texts,
            special,
            eos,
        })
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .tokenizer
            .encode(text, false)
            .map_err(|e| Error::Model(format!("tokenizing '{text}': {e}")))?
            .get_ids()
            .to_vec())
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| Error::Model(format!("decoding: {e}")))
    }

    fn single(&self, text: &str) -> Result<u32> {
        match self.encode(text)?.as_slice() {
            [id] => Ok(*id),
            ids => Err(Error::Model(format!(
                "'{text}' is {} tokens, expected one",
                ids.len()
            ))),
        }
    }
}

/// Which tokens each phase of the answer format allows, computed once per vocabulary.
struct TokenClasses {
    reasoning: Vec<bool>,
    value: Vec<bool>,
    newline: u32,
    quote: u32,
    comma: u32,
    close: u32,
    /// `",` and `"]`, as the model writes them: one token each in this vocabulary.
    quote_comma: Option<u32>,
    quote_close: Option<u32>,
}

impl TokenClasses {
    fn new(tok: &GgufTokenizer) -> Result<Self> {
        let plain = |i: usize| {
            !tok.special[i] && !tok.texts[i].is_empty() && !tok.texts[i].contains('\u{FFFD}')
        };
        let reasoning = (0..tok.texts.len())
            .map(|i| plain(i) && !tok.texts[i].contains('\n') && !tok.texts[i].contains("ANSWER"))
            .collect();
        // Entries are short phrases: letters, digits, spaces, hyphens, apostrophes, ampersands.
        let value = (0..tok.texts.len())
            .map(|i| {
                plain(i)
                    && tok.texts[i]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '\'' | '&'))
            })
            .collect();
        Ok(Self {
            reasoning,
            value,
            newline: tok.single("\n")?,
            quote: tok.single("\"")?,
            comma: tok.single(",")?,
            close: tok.single("]")?,
            quote_comma: tok.single("\",").ok(),
            quote_close: tok.single("\"]").ok(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reasoning,
    Value,
    AfterValue,
    Done,
}

/// One sequence's progress through the answer format.
struct ConstrainedDecoder {
    format: AnswerFormat,
    phase: Phase,
    /// Tokens the format dictates next; each still costs a forward pass.
    forced: VecDeque<u32>,
    after_forced: Phase,
    reasoning_tokens: usize,
    values: usize,
    value_chars: usize,
    value_has_alnum: bool,
    generated: Vec<u32>,
    temperature: f64,
    rng: SeededRng,
}

impl ConstrainedDecoder {
    fn new(format: AnswerFormat, temperature: f64, seed: u64) -> Self {
        Self {
            format,
            phase: Phase::Reasoning,
            forced: VecDeque::new(),
            after_forced: Phase::Reasoning,
            reasoning_tokens: 0,
            values: 0,
            value_chars: 0,
            value_has_alnum: false,
            generated: Vec::new(),
            temperature,
            rng: SeededRng::new(seed),
        }
    }

    fn done(&self) -> bool {
        self.phase == Phase::Done && self.forced.is_empty()
    }

    /// Whether the next token is chosen from logits (not dictated by the format).
    fn needs_logits(&self) -> bool {
        !self.done() && self.forced.is_empty()
    }

    fn force(&mut self, tok: &GgufTokenizer, text: &str, then: Phase) -> Result<()> {
        self.forced.extend(tok.encode(text)?);
        self.after_forced = then;
        Ok(())
    }

    /// The best (greedy) or a sampled token among those `allowed`.
    fn choose(&mut self, logits: &[f32], allowed: impl Fn(u32) -> bool) -> Result<u32> {
        let candidates: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|&(i, l)| allowed(i as u32) && l.is_finite())
            .map(|(i, &l)| (i as u32, l))
            .collect();
        let best = candidates
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(|| Error::Model("the answer format allows no token here".into()))?;
        if self.temperature <= 0.0 {
            return Ok(best.0);
        }
        let weights: Vec<f64> = candidates
            .iter()
            .map(|&(_, l)| (((l - best.1) as f64) / self.temperature).exp())
            .collect();
        Ok(candidates[self.rng.weighted(&weights)].0)
    }

    /// The next token, given the logits for the position after the last one.
    fn step(&mut self, logits: &[f32], tok: &GgufTokenizer, classes: &TokenClasses) -> Result<u32> {
        if self.done() {
            return Ok(tok.eos);
        }
        if let Some(t) = self.forced.pop_front() {
            if self.forced.is_empty() {
                self.phase = self.after_forced;
            }
            self.generated.push(t);
            return Ok(t);
        }
        let t = match self.phase {
            Phase::Reasoning => {
                let may_end = self.reasoning_tokens >= 4;
                let t = self.choose(logits, |i| {
                    classes.reasoning[i as usize] || (may_end && i == classes.newline)
                })?;
                self.reasoning_tokens += 1;
                let ends_sentence =
                    self.reasoning_tokens >= 8 && tok.texts[t as usize].trim_end().ends_with('.');
                if t == classes.newline {
                    let open = format!("ANSWER: {{\"{}\": [\"", self.format.key);
                    self.force(tok, &open, Phase::Value)?;
                } else if ends_sentence || self.reasoning_tokens >= self.format.max_reasoning_tokens
                {
                    let open = format!("\nANSWER: {{\"{}\": [\"", self.format.key);
                    self.force(tok, &open, Phase::Value)?;
                }
                t
            }
            Phase::Value => {
                let may_close = self.value_has_alnum;
                let last_slot = self.values + 1 >= self.format.max_values;
                let closer = |i: u32| {
                    i == classes.quote
                        || Some(i) == classes.quote_close
                        || (!last_slot && Some(i) == classes.quote_comma)
                };
                let t = if self.value_chars >= self.format.max_value_chars {
                    classes.quote
                } else {
                    self.choose(logits, |i| {
                        classes.value[i as usize] || (may_close && closer(i))
                    })?
                };
                if closer(t) {
                    self.values += 1;
                    if t == classes.quote {
                        self.phase = Phase::AfterValue;
                        if last_slot {
                            self.force(tok, "]}", Phase::Done)?;
                        }
                    } else if Some(t) == classes.quote_comma {
                        self.value_chars = 0;
                        self.value_has_alnum = false;
                        self.force(tok, " \"", Phase::Value)?;
                    } else {
                        self.force(tok, "}", Phase::Done)?;
                    }
                } else {
                    let text = &tok.texts[t as usize];
                    self.value_chars += text.chars().count();
                    self.value_has_alnum |= text.chars().any(|c| c.is_ascii_alphanumeric());
                }
                t
            }
            Phase::AfterValue => {
                let t = self.choose(logits, |i| i == classes.comma || i == classes.close)?;
                if t == classes.comma {
                    self.value_chars = 0;
                    self.value_has_alnum = false;
                    self.force(tok, " \"", Phase::Value)?;
                } else {
                    self.force(tok, "}", Phase::Done)?;
                }
                t
            }
            Phase::Done => tok.eos,
        };
        self.generated.push(t);
        Ok(t)
    }
}

/// SmolLM2 in candle, answering batches of chat requests.
pub struct SmolLm {
    model: Llama,
    tokenizer: GgufTokenizer,
    classes: TokenClasses,
    name: String,
    /// Sequences per forward pass.
    pub batch_size: usize,
    /// Keys and values of the last shared prompt prefix (batch of one).
    prefix_cache: Option<(Vec<u32>, KvCache)>,
    usage: Usage,
}

impl SmolLm {
    /// The name in provenance and cache keys: the pinned GGUF's `general.name` and format.
    pub const MODEL: &'static str = "Smollm2 135M 8k Lc100K Mix1 Ep2 (GGUF Q4_1, candle)";

    /// Loads the GGUF file: the weights (expanded to f32, about 540 MB) and the tokenizer from
    /// its metadata.
    pub fn load(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let content = gguf_file::Content::read(&mut file).map_err(err(path))?;
        let tokenizer = GgufTokenizer::from_gguf(&content, path)?;
        let classes = TokenClasses::new(&tokenizer)?;
        let name = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "smollm2".into());
        let model = Llama::load(&content, &mut file, &Device::Cpu)
            .map_err(|e| Error::Model(format!("{}: {e}", path.display())))?;
        Ok(Self {
            model,
            tokenizer,
            classes,
            name: format!("{name} (GGUF Q4_1, candle)"),
            batch_size: 16,
            prefix_cache: None,
            usage: Usage::default(),
        })
    }

    /// The ChatML prompt SmolLM2 was tuned on, with worked examples as earlier turns.
    pub fn prompt(request: &ChatRequest) -> String {
        let mut p = format!("<|im_start|>system\n{}<|im_end|>\n", request.system);
        for (user, assistant) in &request.examples {
            p.push_str(&format!("<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{assistant}<|im_end|>\n"));
        }
        p.push_str(&format!(
            "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
            request.user
        ));
        p
    }

    /// Generates for up to `batch_size` requests together.
    fn generate_batch(&mut self, requests: &[ChatRequest]) -> Result<Vec<String>> {
        let prompts: Vec<Vec<u32>> = requests
            .iter()
            .map(|r| self.tokenizer.encode(&Self::prompt(r)))
            .collect::<Result<_>>()?;
        let b = prompts.len();
        // The longest prefix all prompts share; at least one token of each stays to feed.
        let shortest = prompts.iter().map(Vec::len).min().unwrap_or(0);
        let mut shared = 0;
        while shared + 1 < shortest && prompts.iter().all(|p| p[shared] == prompts[0][shared]) {
            shared += 1;
        }
        let prefix = prompts[0][..shared].to_vec();
        let shared_kv = match &self.prefix_cache {
            Some((p, c)) if *p == prefix => c.clone(),
            _ => {
                let mut c = KvCache::default();
                if shared > 0 {
                    self.model
                        .forward(std::slice::from_ref(&prefix), None, &mut c)?;
                    self.usage.prompt_tokens += shared as u64;
                }
                self.prefix_cache = Some((prefix, c.clone()));
                c
            }
        };
        let shared_kv = (shared > 0).then_some(&shared_kv);
        let mut cache = KvCache::default();
        let mut decoders: Vec<ConstrainedDecoder> = requests
            .iter()
            .map(|r| {
                let format = r.format.clone().unwrap_or_default();
                ConstrainedDecoder::new(format, r.temperature, r.seed)
            })
            .collect();
        let max_new: Vec<usize> = requests.iter().map(|r| r.max_tokens.max(1)).collect();
        // Every sequence advances one position per pass: one still in its prompt feeds the
        // prompt, so no sequence ever attends to padding.
        let mut next: Vec<u32> = prompts.iter().map(|p| p[shared]).collect();
        let mut finished = vec![false; b];
        while finished.iter().any(|f| !f) {
            let inputs: Vec<Vec<u32>> = next.iter().map(|&t| vec![t]).collect();
            let hidden = self.model.forward(&inputs, shared_kv, &mut cache)?;
            let pos = shared + cache.len;
            let sampling: Vec<usize> = (0..b)
                .filter(|&s| !finished[s] && pos >= prompts[s].len() && decoders[s].needs_logits())
                .collect();
            let rows = self.model.logits(&hidden, &sampling)?;
            let mut logits: Vec<&[f32]> = vec![&[]; b];
            for (&s, row) in sampling.iter().zip(&rows) {
                logits[s] = row;
            }
            for s in 0..b {
                if finished[s] {
                    next[s] = self.tokenizer.eos;
                    continue;
                }
                if pos < prompts[s].len() {
                    next[s] = prompts[s][pos];
                    self.usage.prompt_tokens += 1;
                    continue;
                }
                let t = decoders[s].step(logits[s], &self.tokenizer, &self.classes)?;
                self.usage.generated_tokens += 1;
                next[s] = t;
                if decoders[s].done() || decoders[s].generated.len() >= max_new[s] {
                    finished[s] = true;
                }
            }
        }
        decoders
            .iter()
            .map(|d| self.tokenizer.decode(&d.generated))
            .collect()
    }
}

impl LlmBackend for SmolLm {
    fn model(&self) -> &str {
        &self.name
    }

    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>> {
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(self.batch_size.max(1)) {
            match self.generate_batch(chunk) {
                Ok(replies) => out.extend(replies.into_iter().map(Ok)),
                Err(e) => out.extend(chunk.iter().map(|_| Err(Error::Model(e.to_string())))),
            }
        }
        out
    }

    fn usage(&self) -> Usage {
        self.usage
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_answer;
    use super::*;

    /// Control tokens, every byte-level character, and a few merges (`",` among them).
    fn tiny_tokenizer() -> GgufTokenizer {
        let mut tokens: Vec<String> = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
            .map(String::from)
            .to_vec();
        let mut alphabet: Vec<char> = ByteLevel::alphabet().into_iter().collect();
        alphabet.sort();
        tokens.extend(alphabet.iter().map(|c| c.to_string()));
        let merges: Vec<(String, String)> = [("\"", ","), ("Ġ", "t"), ("Ġt", "h"), ("h", "e")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        tokens.extend(merges.iter().map(|(a, b)| format!("{a}{b}")));
        let types: Vec<i32> = (0..tokens.len())
            .map(|i| if i < 3 { 3 } else { 1 })
            .collect();
        GgufTokenizer::from_parts(tokens, &types, merges, 2).unwrap()
    }

    #[test]
    fn tokenizer_round_trips_text_and_keeps_control_tokens_whole() {
        let tok = tiny_tokenizer();
        let text = "<|im_start|>user\nThe 1995 film, \"Heat\"<|im_end|>";
        let ids = tok.encode(text).unwrap();
        assert_eq!(ids[0], 1);
        assert_eq!(*ids.last().unwrap(), 2);
        assert_eq!(tok.tokenizer.decode(&ids, false).unwrap(), text);
        assert_eq!(tok.single("\",").unwrap() as usize, tok.texts.len() - 4);
    }

    #[test]
    fn every_constrained_answer_parses_whatever_the_logits() {
        let tok = tiny_tokenizer();
        let classes = TokenClasses::new(&tok).unwrap();
        let mut rng = SeededRng::new(7);
        for case in 0..200u64 {
            let format = AnswerFormat {
                key: "themes".into(),
                max_values: 1 + (case as usize % 4),
                max_value_chars: 12,
                max_reasoning_tokens: 20,
            };
            let mut d =
                ConstrainedDecoder::new(format, if case % 2 == 0 { 0.0 } else { 1.0 }, case);
            for _ in 0..400 {
                if d.done() {
                    break;
                }
                // Random logits, with the closing tokens often on top.
                let logits: Vec<f32> = (0..tok.texts.len())
                    .map(|_| (rng.unit() * 10.0) as f32)
                    .collect();
                d.step(&logits, &tok, &classes).unwrap();
            }
            assert!(d.done(), "case {case} did not finish");
            let reply = tok.decode(&d.generated).unwrap();
            let (values, _) = parse_answer(&reply, "themes")
                .unwrap_or_else(|e| panic!("case {case}: {e}: {reply}"));
            assert!(values.len() <= 1 + case as usize % 4, "{reply}");
        }
    }

    #[test]
    fn chatml_prompt_has_the_three_turn_markers() {
        let p = SmolLm::prompt(&ChatRequest {
            system: "sys".into(),
            examples: vec![("q".into(), "a".into())],
            user: "hi".into(),
            max_tokens: 1,
            temperature: 0.0,
            seed: 0,
            format: None,
        });
        assert!(p.contains("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>"));
        assert!(p.starts_with("<|im_start|>system\nsys<|im_end|>"));
        assert!(p.ends_with("<|im_start|>assistant\n"));
    }
}
