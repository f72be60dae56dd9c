// Builds the browser assets into build/vendor (served as /static/vendor/): copies the
// libraries used as they ship (htmx, Uppy) and bundles the OME-Zarr viewer with esbuild.
// Run by `make assets` (through portal/assets.py) and by the web image's Dockerfile.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "build", "vendor");
const COPIED = {
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
  "uppy.min.js": "uppy/dist/uppy.min.js",
  // uppy.min.js names its source map; collectstatic's manifest storage refuses a missing one.
  "uppy.min.js.map": "uppy/dist/uppy.min.js.map",
  "uppy.min.css": "uppy/dist/uppy.min.css",
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
