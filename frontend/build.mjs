// Builds the browser assets into build/vendor (served as /static/vendor/): copies htmx as it
// ships, bundles the OME-Zarr viewer and the uploader's hashing worker with esbuild.
// Run by `make assets` (through portal/assets.py) and by the web image's Dockerfile.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "build", "vendor");
const COPIED = {
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
};

mkdirSync(vendor, { recursive: true });
for (const [name, source] of Object.entries(COPIED)) {
  copyFileSync(join(root, "node_modules", source), join(vendor, name));
}

const out = join(vendor, "viewer");
rmSync(out, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { viewer: join(root, "frontend", "viewer", "index.js") },
  outdir: out,
  bundle: true,
  format: "esm",
  splitting: true,
  // zarrita's default Blosc, Zstandard and LZ4 codecs (numcodecs.js, Emscripten builds that
  // need 'unsafe-eval') are replaced by frontend/viewer/codecs.js and never loaded: left out.
  external: ["numcodecs", "numcodecs/*"],
  chunkNames: "chunk-[hash]",
  minify: true,
  target: ["es2022"],
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
const total = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith(".js"))
  .reduce((sum, [, info]) => sum + info.bytes, 0);
console.log(`viewer bundle: ${(total / 1024).toFixed(0)} KiB of JavaScript in build/vendor/viewer/`);

// The uploader's Web Worker (frontend/uploader/hash-worker.js): reads each part once and
// streams it through hash-wasm's SHA-256. One classic script (a worker started with
// `new Worker(url)` from a static URL), served from 'self' as the CSP's worker-src requires;
// hash-wasm embeds its WebAssembly, compiled under script-src 'wasm-unsafe-eval'.
const uploader = join(vendor, "uploader");
rmSync(uploader, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { "hash-worker": join(root, "frontend", "uploader", "hash-worker.js") },
  outdir: uploader,
  bundle: true,
  format: "iife",
  minify: true,
  target: ["es2022"],
  legalComments: "linked",
  logLevel: "warning",
});
