//! An LLM agent for one facet (audience, themes, related interests).

use crate::data::Dataset;
use crate::error::Result;
use crate::hash::Fnv1a;
use crate::knowledge::agent::Agent;
use crate::knowledge::card::{Facet, FacetKind, Provenance};

use super::cache::{CacheKey, CachedAnswer, LlmCache};
use super::{ChatRequest, LlmBackend};

/// Bumped whenever a prompt changes, so cached answers of an old prompt are not reused.
pub const PROMPT_VERSION: &str = "v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmFacet {
    Audience,
    Themes,
    RelatedInterests,
}

impl LlmFacet {
    /// The facet name on the card, and the JSON key of the answer.
    pub fn name(self) -> &'static str {
        match self {
            LlmFacet::Audience => "audience",
            LlmFacet::Themes => "themes",
            LlmFacet::RelatedInterests => "related interests",
        }
    }

    fn key(self) -> &'static str {
        match self {
            LlmFacet::Audience => "audience",
            LlmFacet::Themes => "themes",
            LlmFacet::RelatedInterests => "related",
        }
    }

    fn question(self) -> &'static str {
        match self {
            LlmFacet::Audience => "Who is this film for? Name up to 4 audiences (e.g. \"young children\", \"war history buffs\").",
            LlmFacet::Themes => "What is this film about and how does it feel? Name up to 4 themes or moods (e.g. \"friendship\", \"dark humour\").",
            LlmFacet::RelatedInterests => "What else do people who like this film tend to like? Name up to 4 interests (e.g. \"toys\", \"space exploration\").",
        }
    }
}

/// The longest value we keep from an answer.
const MAX_VALUE_CHARS: usize = 60;

/// Parses `… reasoning … ANSWER: {"key": ["a", "b"]}`; returns (values, reasoning) or why not.
pub fn parse_answer(reply: &str, key: &str) -> std::result::Result<(Vec<String>, String), String> {
    let Some(at) = reply.rfind("ANSWER:") else {
        return Err("no line starting with ANSWER:".into());
    };
    let reasoning = reply[..at].trim().to_owned();
    let json = reply[at + "ANSWER:".len()..].trim();
    let end = json.rfind('}').ok_or("the answer is not a JSON object")?;
    let v: serde_json::Value = serde_json::from_str(&json[..=end])
        .map_err(|e| format!("the answer is not valid JSON: {e}"))?;
    let arr = v
        .get(key)
        .and_then(|x| x.as_array())
        .ok_or_else(|| format!("the answer has no \"{key}\" list"))?;
    let mut values = Vec::new();
    for x in arr {
        let s = x.as_str().ok_or("a list entry is not a string")?.trim();
        if s.is_empty() || s.chars().count() > MAX_VALUE_CHARS {
            return Err(format!(
                "entry '{s}' is empty or longer than {MAX_VALUE_CHARS} characters"
            ));
        }
        values.push(s.to_owned());
    }
    if values.is_empty() || values.len() > 6 {
        return Err(format!("expected 1 to 6 entries, got {}", values.len()));
    }
    Ok((values, reasoning))
}

fn fnv_hex(s: &str) -> String {
    format!("{:016x}", Fnv1a::of(s.as_bytes()))
}

pub struct LlmAgent {
    facet: LlmFacet,
    name: String,
    backend: Box<dyn LlmBackend>,
    cache: LlmCache,
    /// Extra attempts after a malformed or failed answer.
    pub retries: usize,
    pub max_tokens: usize,
    pub seed: u64,
}

impl LlmAgent {
    pub fn new(facet: LlmFacet, backend: Box<dyn LlmBackend>, cache: LlmCache) -> Self {
        Self {
            name: format!("llm-{}", facet.key()),
            facet,
            backend,
            cache,
            retries: 2,
            max_tokens: 160,
            seed: 0,
        }
    }

    /// What the prompt says about the item: title, year and genres from the catalog.
    fn item_text(ds: &Dataset, item: u32) -> String {
        let it = &ds.items[item as usize];
        let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
        format!("{} — genres: {}", it.display_title(), genres.join(", "))
    }

    fn request(&self, item_text: &str, attempt: usize) -> ChatRequest {
        ChatRequest {
            system: "You are a film expert. Be brief and factual.".into(),
            user: format!(
                "Film: {item_text}.\n{}\nFirst think in one or two sentences. Then write a last line: ANSWER: {{\"{}\": [\"...\", \"...\"]}}",
                self.facet.question(),
                self.facet.key()
            ),
            max_tokens: self.max_tokens,
            temperature: if attempt == 0 { 0.0 } else { 0.7 },
            seed: self.seed.wrapping_add(attempt as u64),
        }
    }

    fn facet_of(
        &self,
        values: Vec<String>,
        reasoning: Option<String>,
        malformed: Option<String>,
    ) -> Facet {
        Facet {
            name: self.facet.name().to_owned(),
            values,
            kind: FacetKind::Text,
            provenance: Provenance {
                agent: self.name.clone(),
                model: Some(self.backend.model().to_owned()),
                prompt_version: Some(PROMPT_VERSION.to_owned()),
                reasoning,
            },
            malformed,
        }
    }
}

impl Agent for LlmAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn describe(&mut self, ds: &Dataset, item: u32) -> Result<Vec<Facet>> {
        Ok(self.describe_batch(ds, &[item])?.pop().unwrap_or_default())
    }

    fn describe_batch(&mut self, ds: &Dataset, items: &[u32]) -> Result<Vec<Vec<Facet>>> {
        let texts: Vec<String> = items.iter().map(|&i| Self::item_text(ds, i)).collect();
        let keys: Vec<CacheKey> = texts
            .iter()
            .map(|t| CacheKey {
                text_hash: fnv_hex(t),
                agent: self.name.clone(),
                prompt_version: PROMPT_VERSION.to_owned(),
                model: self.backend.model().to_owned(),
            })
            .collect();
        let mut out: Vec<Option<Vec<Facet>>> = keys
            .iter()
            .map(|k| {
                self.cache
                    .get(k)
                    .map(|a| vec![self.facet_of(a.values.clone(), Some(a.reasoning.clone()), None)])
            })
            .collect();
        let mut last_error: Vec<String> = vec![String::new(); items.len()];
        for attempt in 0..=self.retries {
            let pending: Vec<usize> = (0..items.len()).filter(|&i| out[i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            let requests: Vec<ChatRequest> = pending
                .iter()
                .map(|&i| self.request(&texts[i], attempt))
                .collect();
            let replies = self.backend.chat(&requests);
            for (&i, reply) in pending.iter().zip(replies) {
                match reply.map_err(|e| e.to_string()).and_then(|r| {
                    parse_answer(&r, self.facet.key()).map_err(|why| {
                        format!("{why} (reply: {})", crate::data::load::shorten_str(&r))
                    })
                }) {
                    Ok((values, reasoning)) => {
                        self.cache.put(CachedAnswer {
                            key: keys[i].clone(),
                            values: values.clone(),
                            reasoning: reasoning.clone(),
                        })?;
                        out[i] = Some(vec![self.facet_of(values, Some(reasoning), None)]);
                    }
                    Err(why) => last_error[i] = why,
                }
            }
        }
        // What still failed after the budget goes to the critic as a malformed claim.
        Ok(out
            .into_iter()
            .zip(last_error)
            .map(|(facets, why)| {
                facets.unwrap_or_else(|| vec![self.facet_of(Vec::new(), None, Some(why))])
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_reasoned_answer_and_rejects_malformed_ones() {
        let (v, r) = parse_answer(
            "It is a cartoon about toys.\nANSWER: {\"audience\": [\"children\", \"families\"]}",
            "audience",
        )
        .unwrap();
        assert_eq!(v, ["children", "families"]);
        assert_eq!(r, "It is a cartoon about toys.");
        for bad in [
            "children, families",
            "ANSWER: children",
            "ANSWER: {\"audience\": \"children\"}",
            "ANSWER: {\"audience\": []}",
            "ANSWER: {\"themes\": [\"x\"]}",
            "ANSWER: {\"audience\": [3]}",
        ] {
            assert!(parse_answer(bad, "audience").is_err(), "{bad}");
        }
    }
}
