// The uploader's reading and hashing, off the page's thread. For each file the page asks for
// its parts in order; the worker reads each part once, feeds its bytes to the file's running
// SHA-256 (hash-wasm, streamed: the file is never held whole) and to a one-part SHA-256 (the
// checksum the part URL is signed for), then hands the bytes back (transferred, not copied)
// for the page to send. So every byte of the file is read once, whatever the file's size.
//
// Messages in:  {type: "part", job, key, file, number, start, end}
//               {type: "digest", job, key}      the whole file's SHA-256, after its last part
//               {type: "forget", key}           a file removed or restarted
// Messages out: {job, checksum (base64), bytes (ArrayBuffer)} | {job, sha256 (hex)} | {job, error}
// hash-wasm compiles WebAssembly, which the portal's CSP allows with 'wasm-unsafe-eval' only.
import { createSHA256 } from "hash-wasm";

const files = new Map(); // key -> {whole: IHasher, part: IHasher, next: part number expected}

async function stateOf(key) {
  let state = files.get(key);
  if (!state) {
    state = { whole: await createSHA256(), part: await createSHA256(), next: 1 };
    state.whole.init();
    files.set(key, state);
  }
  return state;
}

// One part's SHA-256: the browser's own (native, several times faster) where it has it, which
// is on HTTPS and localhost; hash-wasm elsewhere. Both give the same 32 bytes.
async function partDigest(state, bytes) {
  if (self.crypto && self.crypto.subtle) {
    return new Uint8Array(await self.crypto.subtle.digest("SHA-256", bytes));
  }
  state.part.init();
  state.part.update(bytes);
  return state.part.digest("binary");
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
  return btoa(text);
}

async function readPart({ key, file, number, start, end }) {
  const state = await stateOf(key);
  if (number !== state.next) {
    // The page reads each file's parts in order; anything else would make a wrong digest.
    throw new Error(`part ${number} read out of order (expected ${state.next})`);
  }
  const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
  state.whole.update(bytes);
  const checksum = base64(await partDigest(state, bytes));
  state.next += 1;
  return { checksum, bytes: bytes.buffer };
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "part") {
      const { checksum, bytes } = await readPart(message);
      self.postMessage({ job: message.job, checksum, bytes }, [bytes]);
    } else if (message.type === "digest") {
      const state = await stateOf(message.key);
      const sha256 = state.whole.digest("hex");
      files.delete(message.key);
      self.postMessage({ job: message.job, sha256 });
    } else if (message.type === "forget") {
      files.delete(message.key);
    }
  } catch (error) {
    const text = String((error && error.message) || error);
    let reason = text;
    if (error && error.name === "NotReadableError") {
      reason = "The browser could not read this file any more (was it moved or changed?). Add it again.";
    } else if (/WebAssembly|wasm/i.test(text)) {
      reason = "This browser refused to run the SHA-256 code (WebAssembly), so the file was not sent. "
        + "Try another browser, or the command-line uploader.";
    }
    self.postMessage({ job: message.job, error: reason });
  }
};
