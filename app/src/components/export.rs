//! Downloads of what a view shows (tables as CSV and JSON, charts as SVG), made in the page.

use wasm_bindgen::JsCast;

/// Offers `content` as a file named `name`; failures are logged, never panics.
pub fn download(name: &str, mime: &str, content: &str) {
    if let Err(e) = try_download(name, mime, content) {
        web_sys::console::error_1(&e);
    }
}

fn try_download(name: &str, mime: &str, content: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(content));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
