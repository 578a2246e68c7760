//! LLM reasoning agents: a short chain of thought, then a small JSON answer, parsed strictly and
//! retried within a budget; answers are cached per (item text, agent, prompt version, model).

mod agent;
mod cache;
#[cfg(feature = "openai")]
pub mod openai;

pub use agent::{parse_answer, LlmAgent, LlmFacet, PROMPT_VERSION};
pub use cache::{CacheKey, CachedAnswer, LlmCache};

use crate::error::Result;

/// One chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub system: String,
    pub user: String,
    pub max_tokens: usize,
    pub temperature: f64,
    pub seed: u64,
}

/// Something that answers chat requests: the embedded small model or an HTTP endpoint.
pub trait LlmBackend {
    /// Recorded in provenance and cache keys.
    fn model(&self) -> &str;

    /// One answer (or error) per request, in order. Backends that can batch do so here.
    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>>;
}
