//! Loading and caching what the views show: the datasets (`source`), the experiment's bundles
//! and rows (`experiment`), the reasoner's bundle and data (`reasoner`) and the Knowledge
//! view's cards, vectors and semantic IDs (`knowledge`). Pages, components, jobs and the worker
//! call it; it calls only `reaseq-core`.

pub mod experiment;
pub mod knowledge;
pub mod reasoner;
mod source;

pub use source::*;

/// Where a build carries a dataset's artifacts, under `layout::PAGE_FILES`: the committed
/// synthetic assets at its top, what the CLI made for MovieLens-100k under `data/`
/// (`scripts/stage-data.sh`).
fn root(choice: &Choice) -> (&'static str, &'static str) {
    match choice {
        Choice::Synthetic(_) => ("files/", "synthetic"),
        Choice::MovieLens { .. } => ("files/data/", "ml-100k"),
        // Opened data's files are in memory, never in the build (`register_workspace`).
        Choice::Local { .. } => ("files/local/", "opened"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_artifact_sits_under_the_page_files() {
        for c in [
            Choice::Synthetic(Default::default()),
            Choice::MovieLens { explicit: true },
        ] {
            let (root, _) = root(&c);
            assert!(root.starts_with(reaseq_core::layout::PAGE_FILES), "{root}");
        }
        assert!(ML_DIR.starts_with(&format!("/{}/", reaseq_core::layout::PAGE_FILES)));
        let (local, _) = root(&Choice::Local {
            fingerprint: String::new(),
        });
        assert_eq!(format!("/{local}"), LOCAL_ROOT);
    }
}
