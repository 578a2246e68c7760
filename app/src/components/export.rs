//! Downloads of what a view shows (tables as CSV and JSON, charts as SVG and PNG), made in the
//! page.

use wasm_bindgen::{JsCast, JsValue};

/// Offers `content` as a file named `name`; failures are logged, never panics.
pub fn download(name: &str, mime: &str, content: &str) {
    if let Err(e) = try_download(name, mime, content) {
        web_sys::console::error_1(&e);
    }
}

fn object_url(mime: &str, content: &str) -> Result<String, JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    web_sys::Url::create_object_url_with_blob(&blob)
}

fn document() -> Result<web_sys::Document, JsValue> {
    Ok(web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?)
}

fn click_link(href: &str, name: &str) -> Result<(), JsValue> {
    let a: web_sys::HtmlAnchorElement = document()?.create_element("a")?.dyn_into()?;
    a.set_href(href);
    a.set_download(name);
    a.click();
    Ok(())
}

fn try_download(name: &str, mime: &str, content: &str) -> Result<(), JsValue> {
    let url = object_url(mime, content)?;
    click_link(&url, name)?;
    web_sys::Url::revoke_object_url(&url)
}

/// Offers an SVG chart as a PNG of twice its size on white, drawn by the browser.
pub fn download_png(name: &str, svg: &str) {
    let (name, svg) = (name.to_string(), svg.to_string());
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = try_png(&name, &svg).await {
            web_sys::console::error_1(&e);
        }
    });
}

async fn try_png(name: &str, svg: &str) -> Result<(), JsValue> {
    let url = object_url("image/svg+xml", svg)?;
    let img = web_sys::HtmlImageElement::new()?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&url);
    wasm_bindgen_futures::JsFuture::from(loaded).await?;
    web_sys::Url::revoke_object_url(&url)?;
    let (w, h) = (img.natural_width().max(1), img.natural_height().max(1));
    let canvas: web_sys::HtmlCanvasElement = document()?.create_element("canvas")?.dyn_into()?;
    canvas.set_width(w * 2);
    canvas.set_height(h * 2);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or("no 2d context")?
        .dyn_into()?;
    ctx.set_fill_style_str("white");
    ctx.fill_rect(0.0, 0.0, f64::from(w * 2), f64::from(h * 2));
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &img,
        0.0,
        0.0,
        f64::from(w * 2),
        f64::from(h * 2),
    )?;
    click_link(&canvas.to_data_url_with_type("image/png")?, name)
}
