//! The CLI's workspace: `reaseq_core::workspace` under `$REASEQ_DATA` (else `./data`) and
//! `$REASEQ_ASSETS` (else `./assets`).

use std::path::PathBuf;

use reaseq_core::knowledge::llm::LlmSetup;
use reaseq_core::layout;
use reaseq_core::workspace::Workspace;

/// Where generated data lives: `$REASEQ_DATA`, else `./data`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("REASEQ_DATA").map_or_else(|| PathBuf::from("data"), PathBuf::from)
}

/// The data directory and the committed assets (`$REASEQ_ASSETS`, else `./assets`).
pub fn workspace() -> Workspace {
    let assets = std::env::var_os("REASEQ_ASSETS").map_or_else(|| "assets".into(), PathBuf::from);
    Workspace::new(data_dir(), assets)
}

/// Where the LLM agents keep their answers: this machine's cache under the data directory, the
/// committed asset under the assets; a progress bar per agent.
pub fn llm_setup() -> LlmSetup<'static> {
    let ws = workspace();
    LlmSetup {
        data_dir: ws.data.clone(),
        cache_dir: ws.path(&layout::llm_cache_dir()),
        asset_dir: ws.assets.join(layout::llm_asset_dir()),
        log: |l| eprintln!("{l}"),
        progress: &crate::progress::llm_bar,
    }
}
