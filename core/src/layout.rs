//! Where every artifact lives, as paths relative to a root: the CLI's `data/` (what commands
//! make), the committed `assets/`, or the built page's root (what the browser fetches). The
//! CLI, the app and `scripts/stage-data.sh` all follow this one layout.

/// File names inside the directories below.
pub mod file {
    /// `reaseq experiment`'s typed results ([`crate::experiment::ExperimentResults`]).
    pub const RESULTS: &str = "results.json";
    /// Every user's inferred sequence ([`crate::reasoner::InferredSequences`]).
    pub const INFERRED: &str = "inferred.json";
    /// The reasoner's vocabulary ([`crate::knowledge::semantic_id::SemanticIds`]).
    pub const SEMANTIC_IDS: &str = "semantic_ids.json";
    /// The data and protocol the reasoner was fitted on ([`crate::data::PreparedSpec`]).
    pub const PROTOCOL: &str = "protocol.json";
    /// Seed 0's test scores per variant (synthetic worlds only).
    pub const TEST_SCORES: &str = "test_scores.json";
    /// The stem of the reasoner's bundle.
    pub const REASONER: &str = "reasoner";
    /// The stem of the student encoder's bundle.
    pub const STUDENT: &str = "student";
    /// The experiment's Markdown report.
    pub const REPORT: &str = "report.md";
    /// Every item's knowledge card ([`crate::knowledge::pipeline::KnowledgeCards`]).
    pub const CARDS: &str = "cards.json";
    /// The items' `text`, `graph` and fused `knowledge` vectors (safetensors, one row per item;
    /// [`crate::knowledge::vectors::tensor`]).
    pub const VECTORS: &str = "vectors.safetensors";
    /// The compact REP vectors the student learns (safetensors, tensor `rep`).
    pub const REP: &str = "rep.safetensors";
    /// What a knowledge build made and its figures
    /// ([`crate::knowledge::pipeline::KnowledgeBuild`]).
    pub const KNOWLEDGE_BUILD: &str = "build.json";
}

/// The item knowledge of a dataset (`reaseq knowledge build`).
pub fn knowledge_dir(dataset: &str) -> String {
    format!("knowledge/{dataset}")
}

/// The LLM agents' answers on this machine, one file per facet (`LlmFacet::answers_file`).
pub fn llm_cache_dir() -> String {
    "knowledge/cache".to_owned()
}

/// The committed LLM answers (under the assets), which builds read before asking a model.
pub fn llm_asset_dir() -> String {
    "knowledge/llm".to_owned()
}

/// The reasoner's bundle, vocabulary and inferred sequences (`reaseq reasoner train`).
pub fn reasoner_dir(dataset: &str) -> String {
    format!("reasoner/{dataset}")
}

/// The experiment's seed-0 bundles, student and results (`reaseq experiment`).
pub fn ranker_dir(dataset: &str) -> String {
    format!("ranker/{dataset}")
}

/// The experiment's report and charts; `name` is the dataset, or `{dataset}-gbr-oracle`.
pub fn reports_dir(name: &str) -> String {
    format!("reports/{name}")
}

/// A bundle's two files: `{stem}.json` (manifest) and `{stem}.safetensors` (weights).
pub fn bundle_files(stem: &str) -> [String; 2] {
    [format!("{stem}.json"), format!("{stem}.safetensors")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directory_is_relative_and_named_by_its_dataset() {
        for d in [
            knowledge_dir("ml-100k"),
            reasoner_dir("ml-100k"),
            ranker_dir("ml-100k"),
            reports_dir("ml-100k"),
        ] {
            assert!(!d.starts_with('/') && d.ends_with("/ml-100k"), "{d}");
        }
        assert_eq!(bundle_files("base"), ["base.json", "base.safetensors"]);
    }
}
