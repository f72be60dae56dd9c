// Decodes chunks with the viewer's own codecs (frontend/viewer/codecs.js), for
// tests/viewer/test_codecs.py: reads [{"codec", "data" (base64)}] as JSON on stdin and writes
// [{"data" (base64)} | {"error"}] as JSON on stdout.
import { bloscDecode, lz4Block } from "../../frontend/viewer/codecs.js";
import { decompress as zstd } from "fzstd";

const decoders = {
  blosc: bloscDecode,
  zstd: (bytes) => zstd(bytes),
  lz4: (bytes) => {
    const size = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    const out = new Uint8Array(size);
    lz4Block(bytes.subarray(4), out);
    return out;
  },
};

let input = "";
for await (const part of process.stdin) input += part;
const results = JSON.parse(input).map(({ codec, data }) => {
  try {
    const out = decoders[codec](new Uint8Array(Buffer.from(data, "base64")));
    return { data: Buffer.from(out).toString("base64") };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
});
process.stdout.write(JSON.stringify(results));
