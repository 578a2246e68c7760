// A static server for dist/ on 127.0.0.1: with the single-page-app fallback to index.html, or
// (`fallback: false`) as a plain static host: a folder redirects to its slash and serves its
// index.html, anything else missing is a 404.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export async function serve(root, { fallback = true } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    const info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      // What a plain static host does with a folder: /a → /a/, and /a/ → /a/index.html.
      if (!url.pathname.endsWith("/")) {
        res.writeHead(301, { location: url.pathname + "/" + url.search });
        res.end();
        return;
      }
      file = join(file, "index.html");
    } else if (!info?.isFile()) {
      if (!fallback) {
        res.writeHead(404);
        res.end("not found");
        return;
      }
      file = join(root, "index.html");
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch (e) {
      res.writeHead(e?.code === "ENOENT" ? 404 : 500);
      res.end(String(e));
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}
