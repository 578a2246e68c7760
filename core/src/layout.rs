//! Where every artifact lives, as paths relative to a root: the CLI's `data/` (what commands
//! make), the committed `assets/`, or the built page's root (what the browser fetches). The
//! CLI, the app and `scripts/stage-data.sh` all follow this one layout.

/// File names inside the directories below.
pub mod file {
    /// `reaseq experiment`'s typed results ([`crate::experiment::ExperimentResults`]).
    pub const RESULTS: &str = "results.json";
    /// `reaseq study`'s results across worlds ([`crate::experiment::StudyResults`]).
    pub const STUDY: &str = "study.json";
    /// `reaseq experiment --draws`' results across protocol draws
    /// ([`crate::experiment::DrawStudy`]).
    pub const DRAWS: &str = "draws.json";
    /// Every user's inferred sequence ([`crate::reasoner::InferredSequences`]).
    pub const INFERRED: &str = "inferred.json";
    /// The reasoner's vocabulary ([`crate::knowledge::semantic_id::SemanticIds`]).
    pub const SEMANTIC_IDS: &str = "semantic_ids.json";
    /// `reaseq reasoner eval`'s measures ([`crate::reasoner::evaluation::ReasonerEvaluation`]).
    pub const EVALUATION: &str = "evaluation.json";
    /// The sampler over every user with the shipped reasoner (`reaseq reasoner infer --all-users`).
    pub const EVERY_USER: &str = "every_user.json";
    /// The data and protocol the reasoner was fitted on ([`crate::data::PreparedSpec`]).
    pub const PROTOCOL: &str = "protocol.json";
    /// Seed 0's test scores per variant (synthetic worlds only).
    pub const TEST_SCORES: &str = "test_scores.json";
    /// The saved bundles' full-catalogue ranking
    /// ([`crate::experiment::full_ranking::FullRanking`]).
    pub const FULL_RANKING: &str = "full_ranking.json";
    /// The catalogue placed as new (`reaseq experiment --cold-catalogue`).
    pub const COLD_CATALOGUE: &str = "cold_catalogue.json";
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

/// Where the built page keeps every artifact (`files/ranker/synthetic/…`, MovieLens-100k under
/// `files/data/`): one folder, so that no route of the page (`/reasoner`) is also a folder of
/// the build (`dist/reasoner/`), which a plain static server would list instead of the page.
pub const PAGE_FILES: &str = "files";

/// `files/index.json`: every file under [`PAGE_FILES`], as the build's post-build hook
/// (`scripts/stage-data.sh`) lists them, so the page asks only for files that are there (a
/// plain static host answers the others with 404s, which browsers log as errors).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildIndex {
    pub format_version: u32,
    /// Absolute paths, e.g. `/files/ranker/synthetic/results.json`.
    pub files: Vec<String>,
}

impl crate::artifact::Artifact for BuildIndex {
    const KIND: &'static str = "build index";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "trunk build";
}

impl BuildIndex {
    /// Where the page finds the index.
    pub const URL: &'static str = "/files/index.json";

    /// Whether the build carries `url` (a path under [`PAGE_FILES`]); other paths are not
    /// the index's to say, so they count as carried.
    pub fn carries(&self, url: &str) -> bool {
        !url.starts_with(&format!("/{PAGE_FILES}/")) || self.files.iter().any(|f| f == url)
    }
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

/// A study across worlds: each world's workspace and results, and the study's `study.json`
/// (`reaseq study`; only `study.json` is copied to the assets).
pub fn study_dir(dataset: &str) -> String {
    format!("study/{dataset}")
}

/// A study across protocol draws: each draw's workspace and results, and `draws.json`
/// (`reaseq experiment --draws`; only `draws.json` is copied to the assets, beside a study's).
pub fn draws_dir(dataset: &str) -> String {
    format!("study/{dataset}/draws")
}

/// The experiment's report and charts; `name` is the dataset, or `{dataset}-gbr-oracle`.
pub fn reports_dir(name: &str) -> String {
    format!("reports/{name}")
}

/// The stem of fold `f`'s reasoner bundle: fold 0's is [`file::REASONER`] (the page replays
/// it), the others `reasoner-fold-{f}`; together they remake every user's GBR sequence.
pub fn reasoner_fold(f: usize) -> String {
    match f {
        0 => file::REASONER.to_owned(),
        f => format!("{}-fold-{f}", file::REASONER),
    }
}

/// A bundle's two files: `{stem}.json` (manifest) and `{stem}.safetensors` (weights).
pub fn bundle_files(stem: &str) -> [String; 2] {
    [format!("{stem}.json"), format!("{stem}.safetensors")]
}

/// The directories the page reads a dataset's files from, under its root for that dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDir {
    Knowledge,
    Reasoner,
    Ranker,
}

impl PageDir {
    /// This directory for `dataset`, e.g. `ranker/ml-100k`.
    pub fn of(self, dataset: &str) -> String {
        match self {
            PageDir::Knowledge => knowledge_dir(dataset),
            PageDir::Reasoner => reasoner_dir(dataset),
            PageDir::Ranker => ranker_dir(dataset),
        }
    }
}

/// A file of a workspace (the data directory the CLI writes: `knowledge/{dataset}/…`,
/// `reasoner/{dataset}/…`, `ranker/{dataset}/…`) that the page reads, and where it reads it.
/// A workspace folder opened in the page goes through this; `scripts/stage-data.sh` stages a
/// build's MovieLens-100k files the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFile {
    /// The dataset the file was made for: its directory's name.
    pub dataset: String,
    pub page_dir: PageDir,
    pub file: String,
}

impl WorkspaceFile {
    /// The file at `path` (`/`-separated, under any folder: `data/ranker/ml-100k/base.json`),
    /// if the page reads it; the rest of a workspace (fold bundles, reports, caches) is None.
    pub fn parse(path: &str) -> Option<Self> {
        let mut parts = path.rsplit(['/', '\\']);
        let (file, dataset, kind) = (parts.next()?, parts.next()?, parts.next()?);
        let variant_bundle = crate::ranker::Variant::ALL
            .iter()
            .any(|v| bundle_files(v.key()).iter().any(|f| f == file));
        let student = bundle_files(file::STUDENT).iter().any(|f| f == file);
        let reasoner = bundle_files(file::REASONER).iter().any(|f| f == file);
        let page_dir = match kind {
            "knowledge" if file == file::CARDS || file == file::VECTORS => PageDir::Knowledge,
            // The cold-start box places a new item with the knowledge build's student.
            "knowledge" if student => PageDir::Ranker,
            "reasoner"
                if reasoner
                    || [file::SEMANTIC_IDS, file::PROTOCOL, file::EVERY_USER].contains(&file) =>
            {
                PageDir::Reasoner
            }
            // Compare reads the GBR sequences beside the rankers that were trained on them.
            "reasoner" if file == file::INFERRED => PageDir::Ranker,
            "ranker" if variant_bundle || file == file::RESULTS => PageDir::Ranker,
            _ => return None,
        };
        (!dataset.is_empty()).then(|| Self {
            dataset: dataset.to_owned(),
            page_dir,
            file: file.to_owned(),
        })
    }

    /// Where the page reads it for a dataset it calls `name`, e.g. `ranker/opened/base.json`.
    pub fn page_path(&self, name: &str) -> String {
        format!("{}/{}", self.page_dir.of(name), self.file)
    }
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

    #[test]
    fn the_build_index_says_which_page_files_are_there() {
        let index: BuildIndex = crate::artifact::from_json(
            "index.json",
            br#"{"format_version":1,"files":["/files/ranker/synthetic/results.json"]}"#,
        )
        .unwrap();
        assert!(index.carries("/files/ranker/synthetic/results.json"));
        assert!(!index.carries("/files/data/ml-100k/ml-100k.inter"));
        assert!(index.carries("/elsewhere.json"));
    }

    #[test]
    fn a_workspace_file_is_read_where_the_page_reads_it() {
        let page =
            |p: &str| WorkspaceFile::parse(p).map(|f| (f.dataset.clone(), f.page_path("opened")));
        let of = |d: &str, p: &str| Some((d.to_owned(), p.to_owned()));
        assert_eq!(
            page("data/ranker/ml-100k/base.json"),
            of("ml-100k", "ranker/opened/base.json")
        );
        assert_eq!(
            page("ws/ranker/mine/results.json"),
            of("mine", "ranker/opened/results.json")
        );
        assert_eq!(
            page("data/reasoner/ml-100k/inferred.json"),
            of("ml-100k", "ranker/opened/inferred.json")
        );
        assert_eq!(
            page("reasoner/x/reasoner.safetensors"),
            of("x", "reasoner/opened/reasoner.safetensors")
        );
        assert_eq!(
            page("data\\reasoner\\x\\protocol.json"),
            of("x", "reasoner/opened/protocol.json")
        );
        assert_eq!(
            page("data/knowledge/x/student.json"),
            of("x", "ranker/opened/student.json")
        );
        assert_eq!(
            page("data/knowledge/x/vectors.safetensors"),
            of("x", "knowledge/opened/vectors.safetensors")
        );
        // What the page does not read, and what is not in the layout.
        for p in [
            "data/reasoner/x/reasoner-fold-1.json",
            "data/ranker/x/student.json",
            "data/knowledge/x/rep.safetensors",
            "data/reports/x/report.md",
            "data/ml-100k/ml-100k.inter",
            "base.json",
            "ranker/base.json",
        ] {
            assert_eq!(page(p), None, "{p}");
        }
    }
}
