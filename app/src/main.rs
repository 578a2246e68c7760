//! The page: mounts the workbench. Heavy work goes to the worker (see `reaseq_app::worker`).

fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_panic(&info.to_string());
    }));
    leptos::mount::mount_to_body(reaseq_app::app::App);
}

/// A panic is shown in the page, not left as a blank screen.
fn show_panic(message: &str) {
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<div id=\"panic\" role=\"alert\"><strong>The workbench crashed.</strong> Reload the page; if it happens again, report this message:<pre>{escaped}</pre></div>"
    );
    let _ = body.insert_adjacent_html("afterbegin", &html);
}
