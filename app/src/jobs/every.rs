//! The Reasoner page's every-user run: the sampler for every user with a logged history, on
//! WebGPU (a batch of users sharing each forward pass) or on the CPU, measured by the core's
//! `EveryUser::new` — the function behind `reaseq reasoner infer --all-users` — next to what
//! that command wrote for the shipped reasoner.

use reaseq_core::reasoner::every_user::{self, EveryUser, UserPrompt};
use reaseq_core::reasoner::{Inference, ItemVocab, SamplerConfig};
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::jobs::backend::BackendUsed;
use crate::jobs::reason::Settings;
use crate::loading::reasoner::{Assets, Data};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EveryOutcome {
    pub run: EveryUser,
    /// What `reaseq reasoner infer --all-users --write-asset` wrote, when the build carries it.
    pub cli: Option<EveryUser>,
    pub backend: BackendUsed,
    /// Seconds to infer every user (not counting loading).
    pub seconds: f64,
}

impl EveryOutcome {
    /// Whether the CLI committed the same tokens; None when its file is absent or was run with
    /// other sampler settings.
    pub fn cli_agrees(&self) -> Option<bool> {
        let cli = self
            .cli
            .as_ref()
            .filter(|c| c.sampler == self.run.sampler)?;
        Some(cli == &self.run)
    }
}

/// The sampler the page runs with its settings (one user's run and every user's alike).
pub(crate) fn sampler(s: &Settings) -> SamplerConfig {
    SamplerConfig {
        slots: s.slots,
        steps: s.steps,
        threshold: s.threshold,
        seed: s.seed,
        temperature: 0.0,
        top_alternatives: 3,
        coarse_to_fine: true,
    }
}

/// The vocabulary and every user's prompt.
pub(crate) fn prompts(
    a: &Assets,
    d: &Data,
    slots: usize,
) -> AppResult<(ItemVocab, Vec<UserPrompt>)> {
    let vocab = ItemVocab::new(&a.ids)?;
    let max = every_user::max_history(&a.model, &vocab, slots);
    let p = every_user::prompts(&d.data.ds, &d.data.protocol, max);
    Ok((vocab, p))
}

/// Every user on the CPU, one after another.
pub(crate) fn infer_cpu(
    a: &Assets,
    vocab: &ItemVocab,
    prompts: &[UserPrompt],
    cfg: &SamplerConfig,
    progress: &dyn Fn(usize),
) -> AppResult<Vec<Inference>> {
    let mut model = a.model.clone();
    Ok(every_user::infer_all(
        &mut model, vocab, prompts, cfg, progress,
    )?)
}

/// Users per batch on WebGPU: each forward pass runs the open users of a batch together.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub(crate) const USERS_PER_BATCH: usize = 64;

/// Every user on WebGPU, a batch at a time; the sampler's decisions are the CPU path's.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub(crate) async fn infer_gpu(
    gpu: &crate::jobs::backend::Gpu,
    key: &str,
    a: &Assets,
    vocab: &ItemVocab,
    prompts: &[UserPrompt],
    cfg: &SamplerConfig,
    progress: &dyn Fn(usize),
) -> reaseq_core::error::Result<Vec<Inference>> {
    let on_device = gpu.reasoner(key, &a.model).await?;
    let users: Vec<(&[u32], &[bool])> = prompts
        .iter()
        .map(|p| (p.history.as_slice(), p.excluded.as_slice()))
        .collect();
    on_device
        .infer(&gpu.ctx, &gpu.reasoner, vocab, &users, cfg, progress)
        .await
}

/// The run's measures, as the CLI computes them.
pub(crate) fn measure(
    d: &Data,
    prompts: &[UserPrompt],
    inferences: &[Inference],
    cfg: &SamplerConfig,
) -> AppResult<EveryUser> {
    Ok(EveryUser::new(
        &d.data.ds.name,
        prompts,
        inferences,
        cfg,
        every_user::bootstrap(cfg),
    )?)
}
