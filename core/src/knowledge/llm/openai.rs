//! Any OpenAI-compatible chat-completions endpoint (a local llama.cpp, Ollama or vLLM server).
//! Timeouts, HTTP errors and malformed replies are errors for the agent's retry budget and the
//! critic, never panics.

use std::time::Duration;

use crate::error::{Error, Result};

use super::{ChatRequest, LlmBackend};

pub struct OpenAiBackend {
    endpoint: String,
    model: String,
    api_key: Option<String>,
    agent: ureq::Agent,
}

impl OpenAiBackend {
    /// `base_url` such as `http://127.0.0.1:8080` (or one ending in `/v1`).
    pub fn new(base_url: &str, model: &str, api_key: Option<String>, timeout: Duration) -> Self {
        let base = base_url.trim_end_matches('/');
        let endpoint = if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        };
        Self {
            endpoint,
            model: model.to_owned(),
            api_key,
            agent: ureq::AgentBuilder::new().timeout(timeout).build(),
        }
    }

    fn one(&self, r: &ChatRequest) -> Result<String> {
        let mut messages = vec![serde_json::json!({"role": "system", "content": r.system})];
        for (user, assistant) in &r.examples {
            messages.push(serde_json::json!({"role": "user", "content": user}));
            messages.push(serde_json::json!({"role": "assistant", "content": assistant}));
        }
        messages.push(serde_json::json!({"role": "user", "content": r.user}));
        let body = serde_json::json!({
            "model": self.model,
            "messages": messages,
            "max_tokens": r.max_tokens,
            "temperature": r.temperature,
            "seed": r.seed,
        });
        let mut req = self.agent.post(&self.endpoint);
        if let Some(key) = &self.api_key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        let resp = req.send_json(body).map_err(|e| match e {
            ureq::Error::Status(code, resp) => Error::Model(format!(
                "{}: HTTP {code}: {}",
                self.endpoint,
                crate::data::load::shorten_str(&resp.into_string().unwrap_or_default())
            )),
            ureq::Error::Transport(t) => Error::Model(format!("{}: {t}", self.endpoint)),
        })?;
        let v: serde_json::Value = resp
            .into_json()
            .map_err(|e| Error::Model(format!("{}: reply is not JSON: {e}", self.endpoint)))?;
        v.pointer("/choices/0/message/content")
            .and_then(|c| c.as_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::Model(format!(
                    "{}: reply has no choices[0].message.content",
                    self.endpoint
                ))
            })
    }
}

impl LlmBackend for OpenAiBackend {
    fn model(&self) -> &str {
        &self.model
    }

    fn chat(&mut self, requests: &[ChatRequest]) -> Vec<Result<String>> {
        requests.iter().map(|r| self.one(r)).collect()
    }
}
