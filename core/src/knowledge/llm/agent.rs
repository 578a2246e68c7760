//! An LLM agent for one facet (audience, themes, related interests).

use crate::data::Dataset;
use crate::error::Result;
use crate::hash::Fnv1a;
use crate::knowledge::agent::Agent;
use crate::knowledge::card::{Facet, FacetKind, Provenance};

use super::cache::{CacheKey, CachedAnswer, LlmCache};
use super::{AnswerFormat, ChatRequest, LlmBackend, Usage};

/// Bumped whenever a prompt changes, so cached answers of an old prompt are not reused.
pub const PROMPT_VERSION: &str = "v3";

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

    /// Worked answers for two films outside MovieLens-100k (both released after 1998), so the
    /// examples cannot leak into any item's answer.
    fn examples(self) -> [(&'static str, &'static str, &'static str); 2] {
        const NEMO: &str = "Finding Nemo (2003) — genres: Animation, Children's, Comedy";
        const NEMO_WHY: &str =
            "An animated adventure about a clownfish father who crosses the ocean to find his son.";
        const KNIGHT: &str = "The Dark Knight (2008) — genres: Action, Crime, Drama";
        const KNIGHT_WHY: &str =
            "A dark superhero crime thriller in which Batman faces the Joker's chaos.";
        match self {
            LlmFacet::Audience => [
                (
                    NEMO,
                    NEMO_WHY,
                    r#"["young children", "families", "animation fans"]"#,
                ),
                (
                    KNIGHT,
                    KNIGHT_WHY,
                    r#"["adults", "comic book fans", "crime thriller fans"]"#,
                ),
            ],
            LlmFacet::Themes => [
                (
                    NEMO,
                    NEMO_WHY,
                    r#"["parenthood", "ocean adventure", "courage"]"#,
                ),
                (
                    KNIGHT,
                    KNIGHT_WHY,
                    r#"["chaos", "moral choices", "vigilante justice"]"#,
                ),
            ],
            LlmFacet::RelatedInterests => [
                (
                    NEMO,
                    NEMO_WHY,
                    r#"["Pixar films", "sea animals", "aquariums"]"#,
                ),
                (
                    KNIGHT,
                    KNIGHT_WHY,
                    r#"["superhero comics", "heist films", "gritty crime dramas"]"#,
                ),
            ],
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

/// How far an agent is, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct LlmProgress {
    /// Items answered (from the cache or the model) out of `total`.
    pub done: usize,
    pub total: usize,
    /// Items the model answered in this run (not from the cache).
    pub generated: usize,
    pub usage: Usage,
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
    /// Requests per call to the backend; the cache is written after each, so an interrupted
    /// run resumes where it stopped.
    pub chunk: usize,
    pub progress: Option<Box<dyn FnMut(LlmProgress)>>,
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
            chunk: 64,
            progress: None,
        }
    }

    /// What the prompt says about the item: title, year and genres from the catalog.
    fn item_text(ds: &Dataset, item: u32) -> String {
        let it = &ds.items[item as usize];
        let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
        format!("{} — genres: {}", it.display_title(), genres.join(", "))
    }

    /// The user turn for one film. The question comes first and the film last, so that all
    /// prompts of an agent share a prefix that a backend can compute once.
    fn user_turn(&self, item_text: &str) -> String {
        format!(
            "{}\nFirst think in one sentence. Then write a last line: ANSWER: {{\"{}\": [\"...\", \"...\"]}}\nFilm: {item_text}.",
            self.facet.question(),
            self.facet.key()
        )
    }

    fn request(&self, item_text: &str, attempt: usize) -> ChatRequest {
        let key = self.facet.key();
        ChatRequest {
            system: "You are a film expert. Be brief and factual.".into(),
            examples: self
                .facet
                .examples()
                .iter()
                .map(|(film, why, answer)| {
                    (
                        self.user_turn(film),
                        format!("{why}\nANSWER: {{\"{key}\": {answer}}}"),
                    )
                })
                .collect(),
            user: self.user_turn(item_text),
            max_tokens: self.max_tokens,
            temperature: if attempt == 0 { 0.0 } else { 0.7 },
            seed: self.seed.wrapping_add(attempt as u64),
            format: Some(AnswerFormat {
                key: key.to_owned(),
                ..AnswerFormat::default()
            }),
        }
    }

    fn report(&mut self, done: usize, total: usize, generated: usize) {
        let usage = self.backend.usage();
        if let Some(p) = self.progress.as_mut() {
            p(LlmProgress {
                done,
                total,
                generated,
                usage,
            });
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
        let total = items.len();
        let mut generated = 0;
        let pending: Vec<usize> = (0..total).filter(|&i| out[i].is_none()).collect();
        self.report(total - pending.len(), total, generated);
        for chunk in pending.chunks(self.chunk.max(1)) {
            for attempt in 0..=self.retries {
                let todo: Vec<usize> = chunk
                    .iter()
                    .copied()
                    .filter(|&i| out[i].is_none())
                    .collect();
                if todo.is_empty() {
                    break;
                }
                let requests: Vec<ChatRequest> = todo
                    .iter()
                    .map(|&i| self.request(&texts[i], attempt))
                    .collect();
                let replies = self.backend.chat(&requests);
                for (&i, reply) in todo.iter().zip(replies) {
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
            generated += chunk.len();
            self.report(total - pending.len() + generated, total, generated);
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
