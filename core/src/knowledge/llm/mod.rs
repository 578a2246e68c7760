//! LLM reasoning agents: a short chain of thought, then a small JSON answer, parsed strictly and
//! retried within a budget; answers are cached per (item text, agent, prompt version, model).

mod agent;
mod cache;
#[cfg(feature = "smollm")]
pub mod llama;
#[cfg(feature = "openai")]
pub mod openai;
mod setup;
#[cfg(feature = "smollm")]
pub mod smollm;

pub use agent::{parse_answer, LlmAgent, LlmFacet, LlmProgress, PROMPT_VERSION};
pub use cache::{CacheKey, CachedAnswer, LlmCache};
pub use setup::{
    llm_agents, write_answers_asset, LlmBackendKind, LlmProgressFn, LlmSettings, LlmSetup,
    LLM_FACETS,
};

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::Result;

/// The shape an answer must take: some reasoning, then `ANSWER: {"key": ["…", …]}`. A backend
/// that can constrain its decoding to it does; the agent parses every reply strictly anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFormat {
    pub key: String,
    pub max_values: usize,
    pub max_value_chars: usize,
    pub max_reasoning_tokens: usize,
}

impl Default for AnswerFormat {
    fn default() -> Self {
        Self {
            key: "answer".into(),
            max_values: 4,
            max_value_chars: 32,
            max_reasoning_tokens: 32,
        }
    }
}

/// One chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub system: String,
    /// Worked examples, as earlier (user, assistant) turns.
    pub examples: Vec<(String, String)>,
    pub user: String,
    pub max_tokens: usize,
    pub temperature: f64,
    pub seed: u64,
    pub format: Option<AnswerFormat>,
}

/// Tokens a backend has processed so far (zero where it cannot tell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub generated_tokens: u64,
}

/// Something that answers chat requests: the embedded small model or an HTTP endpoint.
pub trait LlmBackend {
    /// Recorded in provenance and cache keys.
    fn model(&self) -> &str;

    /// One answer (or error) per request, in order. Backends that can batch do so here.
    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>>;

    fn usage(&self) -> Usage {
        Usage::default()
    }
}

/// One backend serving several agents (one model in memory for all facets).
pub struct SharedBackend<B> {
    inner: Rc<RefCell<B>>,
    model: String,
}

impl<B: LlmBackend> SharedBackend<B> {
    pub fn new(inner: Rc<RefCell<B>>) -> Self {
        let model = inner.borrow().model().to_owned();
        Self { inner, model }
    }
}

impl<B: LlmBackend> LlmBackend for SharedBackend<B> {
    fn model(&self) -> &str {
        &self.model
    }

    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>> {
        self.inner.borrow_mut().chat(requests)
    }

    fn usage(&self) -> Usage {
        self.inner.borrow().usage()
    }
}

/// A backend made on first use, so a run whose answers are all cached never loads the model.
pub struct LazyBackend<B> {
    model: String,
    init: Option<Box<dyn FnOnce() -> Result<B>>>,
    inner: Option<B>,
    failed: Option<String>,
}

impl<B: LlmBackend> LazyBackend<B> {
    /// `model` must be the name `init`'s backend reports: cache keys are made before it exists.
    pub fn new(model: &str, init: impl FnOnce() -> Result<B> + 'static) -> Self {
        Self {
            model: model.to_owned(),
            init: Some(Box::new(init)),
            inner: None,
            failed: None,
        }
    }
}

impl<B: LlmBackend> LlmBackend for LazyBackend<B> {
    fn model(&self) -> &str {
        &self.model
    }

    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>> {
        if let Some(init) = self.init.take() {
            match init() {
                Ok(b) if b.model() == self.model => self.inner = Some(b),
                Ok(b) => {
                    self.failed = Some(format!(
                        "the model reports '{}', expected '{}'",
                        b.model(),
                        self.model
                    ))
                }
                Err(e) => self.failed = Some(e.to_string()),
            }
        }
        match (&mut self.inner, &self.failed) {
            (Some(b), _) => b.chat(requests),
            (None, why) => requests
                .iter()
                .map(|_| {
                    Err(crate::error::Error::Model(
                        why.clone()
                            .unwrap_or_else(|| "the backend is not loaded".into()),
                    ))
                })
                .collect(),
        }
    }

    fn usage(&self) -> Usage {
        self.inner.as_ref().map(|b| b.usage()).unwrap_or_default()
    }
}
