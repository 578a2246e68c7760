//! How a knowledge build reaches a model: the LLM agents' settings, the three agents (one per
//! facet) over one backend, each with its answer cache seeded from the committed answers, and
//! the merge of a run's answers into that asset. The backends are native: the embedded SmolLM2
//! needs the `smollm` feature, an OpenAI-compatible server the `openai` feature.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::knowledge::agent::Agent;

use super::{CachedAnswer, LlmAgent, LlmBackend, LlmCache, LlmFacet, LlmProgress};

/// The facets the LLM agents describe, in the order they run.
pub const LLM_FACETS: [LlmFacet; 3] = [
    LlmFacet::Audience,
    LlmFacet::Themes,
    LlmFacet::RelatedInterests,
];

impl LlmFacet {
    /// The file of this facet's answers, in the cache and in the asset: `llm-audience.jsonl`.
    pub fn answers_file(self) -> String {
        format!("llm-{}.jsonl", self.name().replace(' ', "-"))
    }
}

/// Which model answers the LLM agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmBackendKind {
    /// The embedded SmolLM2-135M-Instruct (fetched with pip, loaded only if some answer is not
    /// cached).
    SmolLm2,
    /// An OpenAI-compatible chat-completions server (llama.cpp, Ollama, vLLM).
    OpenAi { url: String },
}

impl LlmBackendKind {
    /// `smollm2`, or the http(s) URL of a server.
    pub fn parse(s: &str) -> Result<Self> {
        if s == "smollm2" {
            Ok(Self::SmolLm2)
        } else if s.starts_with("http://") || s.starts_with("https://") {
            Ok(Self::OpenAi { url: s.to_owned() })
        } else {
            Err(Error::Config(format!(
                "--llm '{s}': expected smollm2 or the http(s) URL of an OpenAI-compatible server"
            )))
        }
    }
}

/// How the LLM agents reach a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSettings {
    pub backend: LlmBackendKind,
    /// Model name sent to a server.
    pub model: String,
    /// Seconds before a request to a server is abandoned (then retried, within a budget).
    pub timeout_secs: u64,
    /// Sequences the embedded model decodes together.
    pub batch: usize,
    /// Sent to a server as a bearer token.
    pub api_key: Option<String>,
}

impl LlmSettings {
    pub fn defaults() -> Self {
        Self {
            backend: LlmBackendKind::SmolLm2,
            model: "default".into(),
            timeout_secs: 120,
            batch: 128,
            api_key: None,
        }
    }
}

/// Shows one agent's progress (a progress bar), if the caller wants to.
pub type LlmProgressFn = Box<dyn FnMut(LlmProgress)>;

/// Where the LLM agents keep their answers, and who hears about their progress.
pub struct LlmSetup<'a> {
    /// The data directory a model is fetched into.
    pub data_dir: PathBuf,
    /// This machine's answer cache (`layout::llm_cache_dir`).
    pub cache_dir: PathBuf,
    /// The committed answers (`layout::llm_asset_dir`), read before the model is asked.
    pub asset_dir: PathBuf,
    /// Lines of a model download.
    pub log: fn(&str),
    /// A listener for each agent's progress.
    pub progress: &'a dyn Fn(LlmFacet) -> Option<LlmProgressFn>,
}

/// The three LLM agents (audience, themes, related interests), sharing one backend.
pub fn llm_agents(settings: &LlmSettings, setup: &LlmSetup<'_>) -> Result<Vec<Box<dyn Agent>>> {
    let backends = match &settings.backend {
        LlmBackendKind::SmolLm2 => smollm_backends(settings, setup)?,
        LlmBackendKind::OpenAi { url } => openai_backends(url, settings)?,
    };
    let mut agents: Vec<Box<dyn Agent>> = Vec::new();
    for (facet, backend) in LLM_FACETS.into_iter().zip(backends) {
        // One cache file per agent, so each agent reads only its own answers; the committed
        // asset is read first, so the model only sees items it lacks.
        let mut cache = LlmCache::open(&setup.cache_dir.join(facet.answers_file()))?;
        cache.seed(&setup.asset_dir.join(facet.answers_file()))?;
        let mut agent = LlmAgent::new(facet, backend, cache);
        agent.chunk = settings.batch.max(1) * 2;
        agent.progress = (setup.progress)(facet);
        agents.push(Box::new(agent));
    }
    Ok(agents)
}

/// One SmolLM2 in memory for the three agents, fetched and loaded only when some item is
/// missing from the cache and the asset.
#[cfg(feature = "smollm")]
fn smollm_backends(
    settings: &LlmSettings,
    setup: &LlmSetup<'_>,
) -> Result<Vec<Box<dyn LlmBackend>>> {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::smollm::SmolLm;
    use super::{LazyBackend, SharedBackend};
    use crate::data::fetch::{fetch_smollm2, smollm2_path};

    let data = setup.data_dir.clone();
    let batch = settings.batch.max(1);
    let log = setup.log;
    let model = LazyBackend::new(SmolLm::MODEL, move || {
        fetch_smollm2(&data, &mut |l| log(l))?;
        let mut model = SmolLm::load(&smollm2_path(&data))?;
        model.batch_size = batch;
        Ok(model)
    });
    let shared = Rc::new(RefCell::new(model));
    Ok(LLM_FACETS
        .iter()
        .map(|_| Box::new(SharedBackend::new(shared.clone())) as Box<dyn LlmBackend>)
        .collect())
}

#[cfg(not(feature = "smollm"))]
fn smollm_backends(_: &LlmSettings, _: &LlmSetup<'_>) -> Result<Vec<Box<dyn LlmBackend>>> {
    Err(Error::Config(
        "the embedded SmolLM2 needs reaseq-core's `smollm` feature".into(),
    ))
}

#[cfg(feature = "openai")]
fn openai_backends(url: &str, settings: &LlmSettings) -> Result<Vec<Box<dyn LlmBackend>>> {
    use super::openai::OpenAiBackend;
    let timeout = std::time::Duration::from_secs(settings.timeout_secs);
    Ok(LLM_FACETS
        .iter()
        .map(|_| {
            Box::new(OpenAiBackend::new(
                url,
                &settings.model,
                settings.api_key.clone(),
                timeout,
            )) as Box<dyn LlmBackend>
        })
        .collect())
}

#[cfg(not(feature = "openai"))]
fn openai_backends(_: &str, _: &LlmSettings) -> Result<Vec<Box<dyn LlmBackend>>> {
    Err(Error::Config(
        "an OpenAI-compatible server needs reaseq-core's `openai` feature".into(),
    ))
}

/// Merges the answers in the cache into the asset, one line per answer sorted by (agent, model,
/// text hash); a cached answer replaces the asset's. Returns each file written and its answers.
pub fn write_answers_asset(cache_dir: &Path, asset_dir: &Path) -> Result<Vec<(PathBuf, usize)>> {
    std::fs::create_dir_all(asset_dir).map_err(|e| Error::io(asset_dir, e))?;
    let mut written = Vec::new();
    for facet in LLM_FACETS {
        let mut lines = BTreeMap::new();
        for dir in [asset_dir, cache_dir] {
            let Ok(text) = std::fs::read_to_string(dir.join(facet.answers_file())) else {
                continue;
            };
            for a in text
                .lines()
                .filter_map(|l| serde_json::from_str::<CachedAnswer>(l).ok())
            {
                let key = (
                    a.key.agent.clone(),
                    a.key.model.clone(),
                    a.key.text_hash.clone(),
                );
                let line = serde_json::to_string(&a)
                    .map_err(|e| Error::artifact(facet.answers_file(), e.to_string()))?;
                lines.insert(key, line);
            }
        }
        let path = asset_dir.join(facet.answers_file());
        let body: String = lines.values().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, body).map_err(|e| Error::io(&path, e))?;
        written.push((path, lines.len()));
    }
    Ok(written)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::knowledge::llm::CacheKey;

    fn answer(agent: &str, hash: &str, value: &str) -> String {
        let a = CachedAnswer {
            key: CacheKey {
                text_hash: hash.into(),
                agent: agent.into(),
                prompt_version: "v3".into(),
                model: "m".into(),
            },
            values: vec![value.into()],
            reasoning: String::new(),
        };
        serde_json::to_string(&a).unwrap()
    }

    #[test]
    fn backends_parse_and_a_cached_answer_replaces_the_assets() {
        assert_eq!(
            LlmBackendKind::parse("smollm2").unwrap(),
            LlmBackendKind::SmolLm2
        );
        assert!(matches!(
            LlmBackendKind::parse("http://127.0.0.1:8080"),
            Ok(LlmBackendKind::OpenAi { .. })
        ));
        let e = LlmBackendKind::parse("ollama").unwrap_err().to_string();
        assert!(e.contains("--llm 'ollama'"), "{e}");

        let d = tempfile::tempdir().unwrap();
        let (cache, asset) = (d.path().join("cache"), d.path().join("asset"));
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::create_dir_all(&asset).unwrap();
        let file = LlmFacet::Audience.answers_file();
        assert_eq!(file, "llm-audience.jsonl");
        let old = format!(
            "{}\n{}\n",
            answer("a", "2", "old"),
            answer("a", "1", "kept")
        );
        std::fs::write(asset.join(&file), old).unwrap();
        std::fs::write(cache.join(&file), answer("a", "2", "new") + "\nnot json\n").unwrap();
        let written = write_answers_asset(&cache, &asset).unwrap();
        assert_eq!(written.len(), 3);
        assert_eq!(written[0], (asset.join(&file), 2));
        let merged = std::fs::read_to_string(asset.join(&file)).unwrap();
        let want = format!(
            "{}\n{}\n",
            answer("a", "1", "kept"),
            answer("a", "2", "new")
        );
        assert_eq!(merged, want);
        assert_eq!(
            std::fs::read_to_string(asset.join(LlmFacet::Themes.answers_file())).unwrap(),
            ""
        );
    }
}
