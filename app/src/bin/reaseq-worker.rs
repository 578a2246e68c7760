//! The Web Worker: runs the workbench's jobs (scoring the test set, running the reasoner) off
//! the page's thread and posts progress and results back.

fn main() {
    reaseq_app::worker::serve();
}
