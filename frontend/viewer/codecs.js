// Chunk codecs that run under a strict Content-Security-Policy: plain JavaScript, no eval, no
// WebAssembly. They replace zarrita's defaults for "blosc", "zstd" and "lz4", which load the
// Emscripten builds of numcodecs.js: those compile their bindings with `new Function` (embind),
// which a policy without 'unsafe-eval' forbids, and need 'wasm-unsafe-eval' besides.
//
// Blosc is decoded as c-blosc 1.x writes it (blosc/blosc.c: blosc_d, serial_blosc; shuffle.c;
// bitshuffle-generic.c): a 16-byte header, then either the bytes as they are (memcpyed) or one
// start offset per block, each block in one or `typesize` streams, each stream a 32-bit size
// and the compressed (or stored) bytes, then the byte or bit shuffle undone.
import { unzlibSync } from "fflate";
import { decompress as zstdDecompress } from "fzstd";
import * as zarr from "zarrita";

export class CodecError extends Error {
  name = "CodecError";

  constructor(message, { unsupported = false } = {}) {
    super(message);
    this.unsupported = unsupported; // a format the viewer does not read, not damaged data
  }
}

const MEMCPYED = 0x02;
const BYTE_SHUFFLE = 0x01;
const BIT_SHUFFLE = 0x04;
const DONT_SPLIT = 0x10;
const MAX_SPLITS = 16;
const MIN_BUFFERSIZE = 128;
const HEADER = 16;
const INNER = ["BloscLZ", "LZ4", "Snappy", "zlib", "Zstandard"];

function int32(bytes, at) {
  if (at < 0 || at + 4 > bytes.length) throw new CodecError("Truncated Blosc chunk.");
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

// LZ4 block format (lz4_Block_format.md): sequences of a token, literals and a match copy.
export function lz4Block(src, dst) {
  let s = 0;
  let d = 0;
  const lengthAfter = (initial) => {
    let n = initial;
    if (n === 15) {
      let b;
      do {
        if (s >= src.length) throw new CodecError("Truncated LZ4 block.");
        b = src[s++];
        n += b;
      } while (b === 255);
    }
    return n;
  };
  while (s < src.length) {
    const token = src[s++];
    const literals = lengthAfter(token >> 4);
    if (s + literals > src.length || d + literals > dst.length) throw new CodecError("Corrupt LZ4 block.");
    dst.set(src.subarray(s, s + literals), d);
    s += literals;
    d += literals;
    if (s >= src.length) break; // the last sequence has literals only
    if (s + 2 > src.length) throw new CodecError("Truncated LZ4 block.");
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    const length = lengthAfter(token & 15) + 4;
    if (offset === 0 || offset > d || d + length > dst.length) throw new CodecError("Corrupt LZ4 block.");
    let from = d - offset;
    if (offset >= length) {
      dst.copyWithin(d, from, from + length);
      d += length;
    } else {
      for (let i = 0; i < length; i += 1) dst[d++] = dst[from++]; // overlapping: repeats a run
    }
  }
  return d;
}

function decodeStream(format, src, size) {
  let out;
  switch (format) {
    case 1: {
      out = new Uint8Array(size);
      if (lz4Block(src, out) !== size) throw new CodecError("Corrupt LZ4 stream in Blosc chunk.");
      return out;
    }
    case 3:
      out = unzlibSync(src, { out: new Uint8Array(size) });
      break;
    case 4:
      out = zstdDecompress(src, new Uint8Array(size));
      break;
    default:
      throw new CodecError(
        `This image is compressed with Blosc's ${INNER[format] || `codec ${format}`} compressor, which the viewer does not read; LZ4, zlib and Zstandard are read.`,
        { unsupported: true },
      );
  }
  if (out.length !== size) throw new CodecError("Corrupt stream in Blosc chunk.");
  return out;
}

function byteUnshuffle(src, dst, at, typesize, blocksize) {
  const n = Math.floor(blocksize / typesize);
  for (let j = 0; j < typesize; j += 1) {
    const plane = j * n;
    for (let i = 0; i < n; i += 1) dst[at + i * typesize + j] = src[plane + i];
  }
  const done = n * typesize;
  dst.set(src.subarray(done, blocksize), at + done);
}

// Bit shuffle: row (byte j, bit k) of the block holds bit k of byte j of every element,
// element e at bit e % 8 of byte e / 8 of the row (bshuf_trans_bit_elem).
function bitUnshuffle(src, dst, at, typesize, blocksize) {
  const size = Math.floor(blocksize / typesize);
  if (size % 8 !== 0) {
    dst.set(src.subarray(0, blocksize), at);
    return;
  }
  const rowBytes = size / 8;
  dst.fill(0, at, at + size * typesize);
  for (let j = 0; j < typesize; j += 1) {
    for (let k = 0; k < 8; k += 1) {
      const row = (j * 8 + k) * rowBytes;
      const bit = 1 << k;
      for (let q = 0; q < rowBytes; q += 1) {
        const v = src[row + q];
        if (v === 0) continue;
        const base = at + q * 8 * typesize + j;
        for (let m = 0; m < 8; m += 1) if (v & (1 << m)) dst[base + m * typesize] |= bit;
      }
    }
  }
  const done = size * typesize;
  dst.set(src.subarray(done, blocksize), at + done);
}

export function bloscDecode(chunk) {
  if (chunk.length < HEADER) throw new CodecError("Truncated Blosc chunk.");
  const flags = chunk[2];
  const typesize = chunk[3] || 1;
  const nbytes = int32(chunk, 4);
  const blocksize = int32(chunk, 8);
  const out = new Uint8Array(nbytes);
  if (flags & MEMCPYED) {
    if (HEADER + nbytes > chunk.length) throw new CodecError("Truncated Blosc chunk.");
    out.set(chunk.subarray(HEADER, HEADER + nbytes));
    return out;
  }
  if (nbytes === 0) return out;
  if (blocksize === 0) throw new CodecError("Corrupt Blosc header.");
  const format = (flags & 0xe0) >> 5;
  const leftover = nbytes % blocksize;
  const nblocks = Math.floor(nbytes / blocksize) + (leftover ? 1 : 0);
  const doShuffle = (flags & BYTE_SHUFFLE) && typesize > 1;
  const tmp = new Uint8Array(blocksize);
  for (let b = 0; b < nblocks; b += 1) {
    const last = b === nblocks - 1 && leftover > 0;
    const bsize = last ? leftover : blocksize;
    const doBitShuffle = (flags & BIT_SHUFFLE) && bsize >= typesize;
    const split =
      !(flags & DONT_SPLIT) && typesize <= MAX_SPLITS && bsize / typesize >= MIN_BUFFERSIZE && !last;
    const nsplits = split ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    const filtered = doShuffle || doBitShuffle;
    const target = filtered ? tmp : out;
    let t = filtered ? 0 : b * blocksize;
    let offset = int32(chunk, HEADER + 4 * b);
    for (let j = 0; j < nsplits; j += 1) {
      const cbytes = int32(chunk, offset);
      offset += 4;
      if (offset + cbytes > chunk.length) throw new CodecError("Truncated Blosc chunk.");
      const stream = chunk.subarray(offset, offset + cbytes);
      target.set(cbytes === neblock ? stream : decodeStream(format, stream, neblock), t);
      offset += cbytes;
      t += neblock;
    }
    if (doShuffle) byteUnshuffle(tmp, out, b * blocksize, typesize, bsize);
    else if (doBitShuffle) bitUnshuffle(tmp, out, b * blocksize, typesize, bsize);
  }
  return out;
}

class BytesToBytes {
  kind = "bytes_to_bytes";
  static fromConfig() {
    return new this();
  }
  encode() {
    throw new CodecError("The viewer only reads.");
  }
}

class Blosc extends BytesToBytes {
  decode(bytes) {
    return bloscDecode(bytes);
  }
}

class Zstd extends BytesToBytes {
  decode(bytes) {
    return zstdDecompress(bytes);
  }
}

// numcodecs' LZ4: the decoded size as a little-endian uint32, then one LZ4 block.
class Lz4 extends BytesToBytes {
  decode(bytes) {
    const out = new Uint8Array(int32(bytes, 0));
    if (lz4Block(bytes.subarray(4), out) !== out.length) throw new CodecError("Corrupt LZ4 chunk.");
    return out;
  }
}

export function registerCodecs() {
  zarr.registry.set("blosc", async () => Blosc);
  zarr.registry.set("zstd", async () => Zstd);
  zarr.registry.set("lz4", async () => Lz4);
}
