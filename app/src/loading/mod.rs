//! Loading and caching what the views show: the datasets (`source`), the experiment's bundles
//! and rows (`experiment`), the reasoner's bundle and data (`reasoner`) and the Knowledge
//! view's cards, vectors and semantic IDs (`knowledge`). Pages, components, jobs and the worker
//! call it; it calls only `reaseq-core`.

pub mod experiment;
pub mod knowledge;
pub mod reasoner;
mod source;

pub use source::*;

/// Where a build carries a dataset's artifacts: the committed synthetic assets sit at the root
/// of the build, what the CLI made for MovieLens-100k under `data/` (`scripts/stage-data.sh`).
fn root(choice: &Choice) -> (&'static str, &'static str) {
    match choice {
        Choice::Synthetic(_) => ("", "synthetic"),
        Choice::MovieLens { .. } => ("data/", "ml-100k"),
    }
}
