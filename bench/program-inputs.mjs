// The inputs of the C bench kernels (bench/kernels/c/NAME.c): for each kernel, what it computes and its input,
// generated from a fixed seed so that every run, engine and compiler sees the same bytes. Sizes are chosen so one
// run takes milliseconds on the interpreter. Also the capture writer the packet kernels and bench/throughput.mjs
// share (frames built the way scripts/make-pcaps.mjs builds them).

/** xorshift32: tiny, and the same sequence on every machine. */
export function randomSource(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBytes(size, seed) {
  const next = randomSource(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = next() >>> 24;
  return out;
}

const le32 = (buf, at, v) => new DataView(buf.buffer, buf.byteOffset).setUint32(at, v >>> 0, true);

const WORDS = [
  "the",
  "packet",
  "filter",
  "map",
  "of",
  "and",
  "a",
  "to",
  "kernel",
  "program",
  "eBPF",
  "tiny",
  "device",
  "ARM",
  "hash",
  "count",
  "byte",
  "interpreter",
  "translator",
  "Wasm",
  "register",
  "stack",
  "helper",
];

/** Text of `size` bytes: common words, and rarer made-up ones (a few thousand distinct words in all). */
function text(size, seed) {
  const next = randomSource(seed);
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const r = next();
    let word;
    if (r % 4 !== 0) word = WORDS[(r >>> 8) % WORDS.length];
    else {
      const n = 3 + ((r >>> 8) % 9);
      word = "";
      let w = (r >>> 12) % 2500; // rare words: one of 2,500, spelled from their number
      for (let i = 0; i < n; i++) {
        word += String.fromCharCode(97 + (w % 26));
        w = Math.floor(w / 26) + i * 7;
      }
    }
    const sep = r >>> 28 === 0 ? ". " : r >>> 28 === 1 ? ",\n" : " ";
    for (const c of word + sep) if (at < size) out[at++] = c.charCodeAt(0);
  }
  return out;
}

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * `count` Ethernet frames, deterministic: mostly IPv4 (TCP, UDP, ICMP, some with IP options, a few 802.1Q tags and
 * fragments), some ARP and IPv6; lengths from 60 to 1514 bytes, small ones most often. Each frame as
 * { wire, bytes } with bytes = the whole frame.
 */
export function frames(count, seed) {
  const next = randomSource(seed);
  const out = [];
  for (let n = 0; n < count; n++) {
    const r = next(),
      r2 = next();
    const kind = r % 100;
    const size = kind % 3 === 0 ? 60 + (r2 % 40) : kind % 3 === 1 ? 100 + (r2 % 500) : 600 + (r2 % 915);
    const f = new Uint8Array(size);
    f.set([0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0, 0, 0x01], 0);
    let off = 12;
    if (kind === 7 || kind === 42) {
      // 802.1Q
      f.set([0x81, 0x00, 0x00, 0x05], off);
      off += 4;
    }
    if (kind >= 95) {
      // ARP and IPv6: not IPv4
      f.set(kind & 1 ? [0x08, 0x06] : [0x86, 0xdd], off);
      out.push({ wire: size, bytes: f });
      continue;
    }
    f.set([0x08, 0x00], off);
    off += 2;
    const proto = kind < 55 ? IPPROTO_TCP : kind < 85 ? IPPROTO_UDP : kind < 92 ? IPPROTO_ICMP : 47;
    const ihl = kind % 11 === 0 ? 6 : 5; // some IP options
    const total = size - off;
    f[off] = 0x40 | ihl;
    f[off + 2] = total >> 8;
    f[off + 3] = total & 0xff;
    f[off + 4] = r2 >>> 24;
    if (kind % 17 === 3) f[off + 7] = 0x20; // a later fragment: no L4 header to read
    f[off + 8] = 64;
    f[off + 9] = proto;
    f.set([192, 168, 7, 2, 10, (r2 >>> 8) & 0xff, 2, 3], off + 12);
    const l4 = off + ihl * 4;
    if (l4 + 20 <= size) {
      f[l4] = (r2 >>> 16) & 0xff;
      f[l4 + 1] = r2 & 0xff;
      f[l4 + 3] = [80, 443, 53, 22][r2 % 4];
      if (proto === IPPROTO_TCP) {
        f[l4 + 12] = (5 + (r2 % 3)) << 4;
        f[l4 + 13] = [0x02, 0x12, 0x10, 0x18, 0x11][(r >>> 8) % 5];
      } else if (proto === IPPROTO_UDP) {
        const ulen = total - ihl * 4;
        f[l4 + 4] = ulen >> 8;
        f[l4 + 5] = ulen & 0xff;
      }
    }
    for (let i = l4 + 20; i < size; i++) f[i] = (i * 31 + n) & 0xff;
    out.push({ wire: size, bytes: f });
  }
  return out;
}

/** The packet kernels' capture (bench/kernels/c/kernel.h): u16 wire length, u16 captured length, bytes. */
export function snapCapture(list, snapLen) {
  const total = list.reduce((s, f) => s + 4 + Math.min(f.bytes.length, snapLen), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const f of list) {
    const cap = Math.min(f.bytes.length, snapLen);
    v.setUint16(at, f.wire, true);
    v.setUint16(at + 2, cap, true);
    out.set(f.bytes.subarray(0, cap), at + 4);
    at += 4 + cap;
  }
  return out;
}

/** A classic pcap file (little-endian, microsecond timestamps, Ethernet) holding the frames whole. */
export function pcapFile(list) {
  const total = 24 + list.reduce((s, f) => s + 16 + f.bytes.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  let at = 24;
  list.forEach((f, i) => {
    v.setUint32(at, 1700000000 + Math.floor(i / 1000), true);
    v.setUint32(at + 4, (i % 1000) * 1000, true);
    v.setUint32(at + 8, f.bytes.length, true);
    v.setUint32(at + 12, f.wire, true);
    out.set(f.bytes, at + 16);
    at += 16 + f.bytes.length;
  });
  return out;
}

const KiB = 1024;
const SNAP_LEN = 64; // Ethernet, IPv4 with options and a TCP header: what the packet kernels read

function sortInput(n, seed) {
  const buf = new Uint8Array(4 + 4 * n);
  le32(buf, 0, n);
  buf.set(randomBytes(4 * n, seed), 4);
  return buf;
}

function matmulInput(n, seed) {
  const buf = new Uint8Array(4 + 8 * n * n);
  le32(buf, 0, n);
  buf.set(randomBytes(8 * n * n, seed), 4);
  return buf;
}

function bignumInput(limbs, rounds, seed) {
  const buf = new Uint8Array(8 + 8 * limbs);
  le32(buf, 0, limbs);
  le32(buf, 4, rounds);
  buf.set(randomBytes(8 * limbs, seed), 8);
  return buf;
}

function searchInput(needle, size, seed) {
  const hay = randomBytes(size, seed).map((b) => 97 + (b % 4)); // a four-letter alphabet: many partial matches
  const buf = new Uint8Array(20 + size);
  le32(buf, 0, needle.length);
  buf.set(new TextEncoder().encode(needle), 4);
  buf.set(hay, 20);
  return buf;
}

/** Binary searches' input: u32 n, n ascending random 28-bit keys, then `queries` random 28-bit queries. */
function bsearchInput(n, queries, seed) {
  const next = randomSource(seed);
  const keys = Array.from({ length: n }, () => next() >>> 4).sort((a, b) => a - b);
  const buf = new Uint8Array(4 + 4 * (n + queries));
  le32(buf, 0, n);
  keys.forEach((k, i) => le32(buf, 4 + 4 * i, k));
  for (let i = 0; i < queries; i++) le32(buf, 4 + 4 * (n + i), next() >>> 4);
  return buf;
}

/** `size` bytes in runs of 1 to 9 equal letters out of three (so neighbouring runs may merge). */
function runsInput(size, seed) {
  const next = randomSource(seed);
  const out = new Uint8Array(size);
  for (let at = 0; at < size; ) {
    const r = next();
    const n = 1 + (r % 9);
    out.fill(97 + ((r >>> 8) % 3), at, at + n);
    at += n;
  }
  return out;
}

/** Text of decimal numbers of 1 to 10 digits (some past 2^32) between runs of 1 to 3 other bytes. */
function numbersInput(size, seed) {
  const next = randomSource(seed);
  const out = new Uint8Array(size);
  for (let at = 0; at < size; ) {
    const digits = 1 + (next() % 10);
    for (let k = 0; k < digits && at < size; k++) out[at++] = 48 + (next() % 10);
    for (let k = 1 + (next() % 3); k > 0 && at < size; k--) out[at++] = " ,;\n"[next() % 4].charCodeAt(0);
  }
  return out;
}

/** UTF-8 text: code points of one to four bytes (ASCII the most), one byte in 200 replaced by a random one. */
function utf8Input(size, seed) {
  const next = randomSource(seed);
  const ranges = [
    [0x20, 0x7f],
    [0x20, 0x7f],
    [0x20, 0x7f],
    [0x80, 0x800],
    [0x800, 0xd800],
    [0x10000, 0x110000],
  ];
  let s = "";
  while (s.length < size) {
    const [from, to] = ranges[next() % ranges.length];
    s += String.fromCodePoint(from + (next() % (to - from)));
  }
  const out = new TextEncoder().encode(s).slice(0, size);
  for (let k = 0; k < size / 200; k++) out[next() % size] = next() & 0xff;
  return out;
}

/** Every kernel of bench/kernels/c, in the order the bench reports them. */
export const PROGRAM_KERNELS = [
  { name: "adler32", what: "Adler-32 of 64 KiB, modulo after every byte", input: () => randomBytes(64 * KiB, 1) },
  { name: "fletcher32", what: "Fletcher-32 of 256 KiB, deferred reduction", input: () => randomBytes(256 * KiB, 2) },
  { name: "crc32_table", what: "CRC-32 of 128 KiB through a 256-entry table", input: () => randomBytes(128 * KiB, 3) },
  { name: "crc32_bitwise", what: "CRC-32 of 16 KiB, bit by bit", input: () => randomBytes(16 * KiB, 4) },
  { name: "inet_csum", what: "Internet checksum of 256 KiB", input: () => randomBytes(256 * KiB, 5) },
  { name: "fnv1a", what: "64-bit FNV-1a of 128 KiB", input: () => randomBytes(128 * KiB, 6) },
  { name: "murmur3", what: "MurmurHash3_x86_32 of 256 KiB", input: () => randomBytes(256 * KiB, 7) },
  { name: "xxhash32", what: "xxHash32 of 256 KiB", input: () => randomBytes(256 * KiB, 8) },
  { name: "siphash", what: "SipHash-2-4 of 64 KiB", input: () => randomBytes(64 * KiB, 9) },
  {
    name: "headers",
    what: `Ethernet/IPv4/TCP/UDP header walk, 16,000 frames (snap length ${SNAP_LEN})`,
    input: () => snapCapture(frames(16000, 10), SNAP_LEN),
  },
  {
    name: "sockex1",
    what: `sockex1's byte count per protocol in an array map, 16,000 frames`,
    input: () => snapCapture(frames(16000, 11), SNAP_LEN),
  },
  {
    name: "bitehist",
    what: "log2 histogram of frame lengths in a hash map, 16,000 frames",
    input: () => snapCapture(frames(16000, 12), SNAP_LEN),
  },
  {
    name: "memsearch",
    what: "count a 6-byte needle in 64 KiB over a 4-letter alphabet",
    input: () => searchInput("abcadb", 64 * KiB, 13),
  },
  { name: "isort", what: "insertion sort of 800 u32", input: () => sortInput(800, 14) },
  { name: "matmul", what: "32 x 32 u32 matrix product", input: () => matmulInput(32, 15) },
  { name: "popcount", what: "SWAR popcount of 256 KiB", input: () => randomBytes(256 * KiB, 16) },
  {
    name: "bignum_add",
    what: "2 x 200 additions of 256-limb (8,192-bit) numbers",
    input: () => bignumInput(256, 200, 17),
  },
  {
    name: "wordcount",
    what: "word count of 48 KiB of text in a hash map keyed by word",
    input: () => text(48 * KiB, 18),
  },
  { name: "djb2", what: "djb2 of every word of 48 KiB of text, folded", input: () => text(48 * KiB, 19) },
  { name: "base64", what: "Base64 of 48 KiB through a read-only alphabet", input: () => randomBytes(48 * KiB, 20) },
  { name: "rle", what: "run-length statistics of 64 KiB", input: () => runsInput(64 * KiB, 21) },
  { name: "lower_bound", what: "4,000 binary searches in 4,096 keys", input: () => bsearchInput(4096, 4000, 22) },
  { name: "pcg32", what: "PCG32 stepped over 32 KiB (64-bit multiplies)", input: () => randomBytes(32 * KiB, 23) },
  { name: "sieve", what: "sieve of Eratosthenes over 64 KiB", input: () => randomBytes(64 * KiB, 24) },
  { name: "wc", what: "lines, words and bytes of 64 KiB of text", input: () => text(64 * KiB, 25) },
  { name: "records", what: "8,000 12-byte flow records summed by class", input: () => randomBytes(12 * 8000, 26) },
  { name: "digits", what: "decimal digits of 16,000 u32 (division by 10)", input: () => randomBytes(4 * 16000, 27) },
  {
    name: "parse_nums",
    what: "the sum of the decimal numbers in 64 KiB of text",
    input: () => numbersInput(64 * KiB, 28),
  },
  {
    name: "byte_hist",
    what: "a 64-bucket byte histogram of 64 KiB on the stack",
    input: () => randomBytes(64 * KiB, 29),
  },
  {
    name: "utf8_count",
    what: "code points and bad sequences in 64 KiB of UTF-8",
    input: () => utf8Input(64 * KiB, 30),
  },
  {
    name: "be_sum16",
    what: "ones' complement sum of 128 KiB of big-endian words",
    input: () => randomBytes(128 * KiB, 31),
  },
  { name: "window_max", what: "the largest 16-byte window sum in 64 KiB", input: () => randomBytes(64 * KiB, 32) },
  {
    name: "kadane",
    what: "the largest run sum of 32,768 signed 16-bit values",
    input: () => randomBytes(64 * KiB, 33),
  },
  {
    name: "hex_encode",
    what: "hex encoding of 16 KiB in place, then a hash of it",
    input: () => randomBytes(48 * KiB, 34),
  },
  { name: "sel_sort", what: "selection sort of 512 u16", input: () => randomBytes(1024, 35) },
  { name: "tokenize", what: "identifiers, numbers and other bytes of 48 KiB of text", input: () => text(48 * KiB, 36) },
  { name: "dot16", what: "a dot product of two 16,384-element s16 vectors", input: () => randomBytes(64 * KiB, 37) },
  { name: "reverse_bytes", what: "64 KiB of text reversed in place", input: () => text(64 * KiB, 38) },
  { name: "lz_match", what: "longest matches in a 256-byte window, 16 KiB of text", input: () => text(16 * KiB, 39) },
  { name: "crc16", what: "CRC-16/CCITT bit by bit over 32 KiB", input: () => randomBytes(32 * KiB, 40) },
  { name: "stats", what: "minimum, maximum, mean and deviation of 16,384 u32", input: () => randomBytes(64 * KiB, 41) },
  { name: "bubble", what: "bubble sort of 300 u32", input: () => randomBytes(1200, 42) },
  { name: "prefix_sum", what: "running sums of 8,192 u16", input: () => randomBytes(64 * KiB, 43) },
  { name: "blur3", what: "a 3-tap filter over 32 KiB, twice", input: () => randomBytes(64 * KiB, 44) },
  { name: "itoa_hash", what: "4,096 u32 in decimal, hashed", input: () => randomBytes(16 * KiB, 45) },
  { name: "trial_div", what: "primes among 4,096 u16 by trial division", input: () => randomBytes(8 * KiB, 46) },
  { name: "rot13", what: "ROT13 of 64 KiB in place", input: () => randomBytes(64 * KiB, 47) },
  { name: "matvec16", what: "5 x 64 s16 matrix-vector products of 64 x 64", input: () => randomBytes(16 * KiB, 48) },
  { name: "bitrev", what: "4,096 u32 bit-reversed by a loop", input: () => randomBytes(16 * KiB, 49) },
];

/**
 * The kernels by when they were written, in PROGRAM_KERNELS' order: [label, how many]. Each group after the first was
 * written after the translators had been tuned on the ones before it, so its figures show how general that tuning
 * is; bench/programs.mjs prints the geometric means by group.
 */
export const KERNEL_GROUPS = [
  ["first 18", 18],
  ["next 9", 9],
  ["next 8", 8],
  ["last 14", 14],
];
