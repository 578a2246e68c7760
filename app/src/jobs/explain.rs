//! The what-if job: the Sequences page's edited history explained by the function
//! `reaseq explain` prints (`reaseq_core::experiment::explain`). It runs in the worker, with the
//! deployed rankers, their student and fold 0's reasoner.

use reaseq_core::experiment::explain::WhatIfState;
pub use reaseq_core::experiment::Explanation;
use reaseq_core::experiment::{Edits, Explainer, WhatIfReasoner};
use reaseq_core::ranker::cold::ColdSpace;
use reaseq_core::ranker::AttentionCache;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::loading::experiment::{Assets, ExperimentData};
use crate::loading::reasoner;

/// What the page asks: a user, a target (their first test target when absent) and the edits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    pub user: String,
    pub target: Option<String>,
    pub edits: Edits,
}

thread_local! {
    /// The last user's logged-history state, keyed by data, user and target.
    static BEFORE: std::cell::RefCell<Option<(String, WhatIfState)>> = const { std::cell::RefCell::new(None) };
    /// The rankers' kept attention weights (any user's; each cache checks its ranker).
    static CACHES: std::cell::RefCell<Vec<AttentionCache>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Recommendations per variant, and items inferred: `reaseq explain`'s defaults.
pub const TOP_K: usize = 10;
pub const SLOTS: usize = 10;

/// The what-if explained, with the time it took in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    pub explanation: Explanation,
    pub millis: f64,
}

pub(crate) fn explain(
    (assets, d, space): (&Assets, &ExperimentData, &ColdSpace),
    (ra, rd): (&reasoner::Assets, &reasoner::Data),
    w: &WhatIf,
) -> AppResult<Explained> {
    if rd.data.ds.fingerprint() != d.ds().fingerprint() {
        return Err(AppError::Build(
            "the reasoner and the rankers of this build were fitted on different data".into(),
        ));
    }
    let vocab = reaseq_core::reasoner::ItemVocab::new(&ra.ids)?;
    let r = WhatIfReasoner {
        model: &ra.model,
        vocab: &vocab,
        prior: &rd.prior,
        weight: ra.prior_weight,
        slots: SLOTS,
    };
    let t = crate::loading::now();
    let x = Explainer::new(
        &d.data,
        &assets.rankers,
        r,
        Some(space),
        &d.rows.test,
        &w.user,
        w.target.as_deref(),
        TOP_K,
    )?
    .with_caches(CACHES.take());
    // The logged history's state is the same for every edit of this user and target.
    let key = format!("{}|{}|{:?}", d.ds().fingerprint(), w.user, w.target);
    let before = match BEFORE.with(|b| {
        b.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, s)| s.clone())
    }) {
        Some(s) => s,
        None => {
            let s = x.state(&Edits::default())?;
            BEFORE.with(|b| *b.borrow_mut() = Some((key, s.clone())));
            s
        }
    };
    let explanation = x.explain_from(before, &w.edits);
    CACHES.set(x.into_caches());
    let explanation = explanation?;
    Ok(Explained {
        explanation,
        millis: crate::loading::now() - t,
    })
}
