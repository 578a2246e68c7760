//! How a long pipeline step reports what it is doing and learns that it should stop. The CLI
//! prints the lines on stderr; the browser's worker posts them to the page.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A listener of a pipeline step. `Sync`, because the experiment trains models on several
/// threads that all report.
pub trait Progress: Sync {
    /// One line of what happened (an epoch, a fold, a model done).
    fn message(&self, line: &str);

    /// True once the caller wants the step to stop; checked between units of work.
    fn cancelled(&self) -> bool {
        false
    }

    /// An error when cancelled, for `?` at the checkpoints.
    fn checkpoint(&self) -> Result<()> {
        if self.cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Seconds a step took, for the timings of a typed result. The browser's wasm has no monotonic
/// clock here, so there it reads 0 (the page times its calls itself).
pub struct Stopwatch {
    #[cfg(not(target_arch = "wasm32"))]
    started: std::time::Instant,
}

impl Stopwatch {
    pub fn start() -> Self {
        Self {
            #[cfg(not(target_arch = "wasm32"))]
            started: std::time::Instant::now(),
        }
    }

    pub fn seconds(&self) -> f64 {
        #[cfg(not(target_arch = "wasm32"))]
        return self.started.elapsed().as_secs_f64();
        #[cfg(target_arch = "wasm32")]
        return 0.0;
    }
}

/// Hears nothing, never cancels: for tests and callers that only want the result.
pub struct Silent;

impl Progress for Silent {
    fn message(&self, _line: &str) {}
}

/// Passes lines to a function and cancels when its flag is set.
pub struct Lines<F: Fn(&str) + Sync> {
    pub on_line: F,
    pub cancel: AtomicBool,
}

impl<F: Fn(&str) + Sync> Lines<F> {
    pub fn new(on_line: F) -> Self {
        Self {
            on_line,
            cancel: AtomicBool::new(false),
        }
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl<F: Fn(&str) + Sync> Progress for Lines<F> {
    fn message(&self, line: &str) {
        (self.on_line)(line);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn lines_are_passed_on_and_a_cancel_stops_at_the_next_checkpoint() {
        let seen = Mutex::new(Vec::new());
        let p = Lines::new(|l: &str| seen.lock().unwrap().push(l.to_owned()));
        p.message("epoch 1");
        assert!(p.checkpoint().is_ok());
        p.cancel();
        assert!(matches!(p.checkpoint(), Err(Error::Cancelled)));
        assert_eq!(*seen.lock().unwrap(), vec!["epoch 1".to_owned()]);
    }
}
