//! How a long pipeline step reports what it is doing and learns that it should stop. The CLI
//! prints the lines on stderr; the browser's worker posts them to the page.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    /// A caller that records lines and can be told to stop.
    struct Recorder {
        seen: Mutex<Vec<String>>,
        cancel: AtomicBool,
    }

    impl Progress for Recorder {
        fn message(&self, line: &str) {
            self.seen.lock().unwrap().push(line.to_owned());
        }

        fn cancelled(&self) -> bool {
            self.cancel.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn lines_are_passed_on_and_a_cancel_stops_at_the_next_checkpoint() {
        let p = Recorder {
            seen: Mutex::new(Vec::new()),
            cancel: AtomicBool::new(false),
        };
        p.message("epoch 1");
        assert!(p.checkpoint().is_ok());
        p.cancel.store(true, Ordering::Relaxed);
        assert!(matches!(p.checkpoint(), Err(Error::Cancelled)));
        assert_eq!(*p.seen.lock().unwrap(), vec!["epoch 1".to_owned()]);
    }
}
