//! Progress display on stderr; silent when stderr is not a terminal.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use reaseq_core::knowledge::llm::{LlmFacet, LlmProgress, LlmProgressFn};
use reaseq_core::knowledge::teacher::TeacherEncoder;
use reaseq_core::knowledge::vectors::TextEncoder;

/// A spinner for a step of unknown length, e.g. reading and parsing a file.
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A bar over `len` steps with rate and ETA.
pub fn bar(len: u64, message: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} [{elapsed} < {eta}, {per_sec}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(message.into());
    pb
}

/// The pipeline's progress lines on stderr, as they come, above a spinner that shows the
/// latest with the time the command has run (the spinner only on a terminal).
pub struct Stderr;

static STDERR_BAR: std::sync::OnceLock<ProgressBar> = std::sync::OnceLock::new();

impl reaseq_core::progress::Progress for Stderr {
    fn message(&self, line: &str) {
        let pb = STDERR_BAR.get_or_init(|| spinner(""));
        pb.suspend(|| eprintln!("{line}"));
        pb.set_message(line.to_owned());
    }
}

/// Clears the spinner of [`Stderr`] when the command ends.
pub fn finish() {
    if let Some(pb) = STDERR_BAR.get() {
        pb.finish_and_clear();
    }
}

/// The teacher with a progress bar.
pub struct TeacherBar(pub TeacherEncoder);

impl TextEncoder for TeacherBar {
    fn name(&self) -> &str {
        TeacherEncoder::NAME
    }

    fn embed(&self, texts: &[String]) -> reaseq_core::Result<Vec<Vec<f32>>> {
        let pb = bar(texts.len() as u64, "teacher (all-MiniLM-L6-v2)");
        let out = self.0.embed(texts, TeacherEncoder::BATCH, &mut |done| {
            pb.set_position(done as u64)
        });
        pb.finish_and_clear();
        out
    }
}

/// A progress bar for one LLM agent, and a line when it is done.
pub fn llm_bar(facet: LlmFacet) -> Option<LlmProgressFn> {
    let name = facet.name();
    let pb = bar(0, format!("llm {name}"));
    let started = Instant::now();
    Some(Box::new(move |p: LlmProgress| {
        pb.set_length(p.total as u64);
        pb.set_position(p.done as u64);
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let rate = p.usage.generated_tokens as f64 / secs;
        pb.set_message(format!(
            "llm {name} ({} generated, {rate:.0} tokens/s)",
            p.generated
        ));
        if p.done == p.total {
            pb.finish_and_clear();
            eprintln!(
                "llm {name}: {} items, {} asked the model, {:.0} s",
                p.total,
                p.generated,
                started.elapsed().as_secs_f64()
            );
        }
    }))
}
