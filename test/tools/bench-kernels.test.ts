// The bench's C kernels (bench/kernels/c): every committed object loads and, on the interpreter, returns what an
// independent JavaScript version of its algorithm (written here, or Node's zlib, or published test vectors)
// computes for a small input, so bench/programs.mjs cannot silently measure a broken or stale kernel. No timing.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadSync } from "../../src/api/object.js";
import { KERNEL_GROUPS, PROGRAM_KERNELS, frames, randomBytes, snapCapture } from "../../bench/program-inputs.mjs";
import { ROOT } from "../support/paths.js";

const DIR = join(ROOT, "bench", "kernels", "c");
const M64 = (1n << 64n) - 1n;

function run(name: string, input: Uint8Array): bigint {
  const obj = loadSync(new Uint8Array(readFileSync(join(DIR, `${name}.o`))), {
    engine: "interp",
    budget: 0,
    fileName: `${name}.o`,
  });
  const prog = obj.program(name);
  // twice: a kernel must leave its maps as it found them, so the second run gives the same result
  const first = prog.run(input.slice());
  expect(prog.run(input.slice())).toBe(first);
  return first;
}

const rotl32 = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const le64 = (b: Uint8Array, i: number) => BigInt(le32(b, i)) | (BigInt(le32(b, i + 4)) << 32n);
const ascii = (s: string) => new TextEncoder().encode(s);

/** Adler-32 from the trailer zlib writes after a deflate stream (RFC 1950: big-endian, last four bytes). */
function adler32(data: Uint8Array): bigint {
  const z = deflateSync(data);
  return BigInt(new DataView(z.buffer, z.byteOffset + z.length - 4).getUint32(0, false));
}

/** Fletcher-32 by its definition: both sums modulo 65535 after every 16-bit little-endian word. */
function fletcher32(data: Uint8Array): [number, number] {
  let s1 = 0,
    s2 = 0;
  for (let i = 0; i + 1 < data.length; i += 2) {
    s1 = (s1 + (data[i] | (data[i + 1] << 8))) % 65535;
    s2 = (s2 + s1) % 65535;
  }
  return [s1, s2];
}

function inetChecksum(data: Uint8Array): bigint {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i] << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return BigInt(~sum & 0xffff);
}

function fnv1a64(data: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  return h;
}

function murmur3(data: Uint8Array, seed: number): bigint {
  const c1 = 0xcc9e2d51,
    c2 = 0x1b873593;
  const mix = (k: number) => Math.imul(rotl32(Math.imul(k, c1), 15), c2);
  let h = seed >>> 0;
  const n = data.length & ~3;
  for (let i = 0; i < n; i += 4) {
    h = rotl32((h ^ mix(le32(data, i))) >>> 0, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  let k = 0;
  for (let i = data.length - 1; i >= n; i--) k = (k << 8) | data[i];
  if (data.length & 3) h = (h ^ mix(k)) >>> 0;
  h = (h ^ data.length) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return BigInt(h >>> 0);
}

function xxh32(data: Uint8Array): bigint {
  const P1 = 2654435761,
    P2 = 2246822519,
    P3 = 3266489917,
    P4 = 668265263,
    P5 = 374761393;
  const round = (acc: number, x: number) => Math.imul(rotl32((acc + Math.imul(x, P2)) >>> 0, 13), P1) >>> 0;
  let i = 0,
    h: number;
  if (data.length >= 16) {
    const v = [(P1 + P2) >>> 0, P2, 0, (0 - P1) >>> 0];
    for (; i + 16 <= data.length; i += 16) for (let l = 0; l < 4; l++) v[l] = round(v[l], le32(data, i + 4 * l));
    h = (rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18)) >>> 0;
  } else h = P5;
  h = (h + data.length) >>> 0;
  for (; i + 4 <= data.length; i += 4) h = Math.imul(rotl32((h + Math.imul(le32(data, i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < data.length; i++) h = Math.imul(rotl32((h + Math.imul(data[i], P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return BigInt((h ^ (h >>> 16)) >>> 0);
}

function siphash24(data: Uint8Array): bigint {
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
  const k0 = 0x0706050403020100n,
    k1 = 0x0f0e0d0c0b0a0908n;
  const v = [k0 ^ 0x736f6d6570736575n, k1 ^ 0x646f72616e646f6dn, k0 ^ 0x6c7967656e657261n, k1 ^ 0x7465646279746573n];
  const round = () => {
    v[0] = (v[0] + v[1]) & M64;
    v[1] = rotl(v[1], 13n) ^ v[0];
    v[0] = rotl(v[0], 32n);
    v[2] = (v[2] + v[3]) & M64;
    v[3] = rotl(v[3], 16n) ^ v[2];
    v[0] = (v[0] + v[3]) & M64;
    v[3] = rotl(v[3], 21n) ^ v[0];
    v[2] = (v[2] + v[1]) & M64;
    v[1] = rotl(v[1], 17n) ^ v[2];
    v[2] = rotl(v[2], 32n);
  };
  const compress = (m: bigint, rounds: number) => {
    v[3] ^= m;
    for (let r = 0; r < rounds; r++) round();
    v[0] ^= m;
  };
  const full = data.length & ~7;
  for (let i = 0; i < full; i += 8) compress(le64(data, i), 2);
  let last = BigInt(data.length & 0xff) << 56n;
  for (let i = full; i < data.length; i++) last |= BigInt(data[i]) << BigInt(8 * (i - full));
  compress(last, 2);
  v[2] ^= 0xffn;
  for (let r = 0; r < 4; r++) round();
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

const small = randomBytes(1001, 99); // odd, and not a multiple of 4, 8 or 16: every tail path runs

describe("bench kernels: sources, rebuild script and objects", () => {
  const sources = readdirSync(DIR)
    .filter((f) => f.endsWith(".c"))
    .map((f) => f.slice(0, -2))
    .sort();

  it("has a source and an object for every kernel the bench runs, and nothing else", () => {
    expect(sources.length).toBeGreaterThanOrEqual(15);
    expect(PROGRAM_KERNELS.map((k: { name: string }) => k.name).sort()).toEqual(sources);
    for (const name of sources) expect(existsSync(join(DIR, `${name}.o`)), `${name}.o`).toBe(true);
    for (const f of ["kernel.h", "native-shim.h"]) expect(existsSync(join(DIR, f)), f).toBe(true);
    accessSync(join(DIR, "build.sh"), constants.X_OK);
  });

  it("puts every kernel in one group of the bench's means by group", () => {
    const counts = KERNEL_GROUPS.map((group) => Number(group[1]));
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts.reduce((t, count) => t + count, 0)).toBe(PROGRAM_KERNELS.length);
  });

  const clang = ["clang-19", "clang"].find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
  it.skipIf(!clang)("the committed objects are what build.sh makes from the sources", () => {
    const out = mkdtempSync(join(tmpdir(), "tinybpf-kernels-"));
    try {
      execFileSync(
        "sh",
        ["-c", `cp "${DIR}"/*.c "${DIR}"/*.h "${DIR}"/build.sh "${out}" && CLANG=${clang} sh "${out}/build.sh"`],
        { stdio: "ignore" },
      );
      for (const name of sources) {
        expect(
          Buffer.compare(readFileSync(join(out, `${name}.o`)), readFileSync(join(DIR, `${name}.o`))),
          `${name}.o`,
        ).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("bench kernels on the interpreter, against independent JavaScript", () => {
  it("checksums: Adler-32 (zlib), Fletcher-32, CRC-32 table and bitwise (zlib), Internet checksum", () => {
    expect(run("adler32", small)).toBe(adler32(small));
    expect(run("adler32", ascii("Wikipedia"))).toBe(0x11e60398n); // the example of the Adler-32 article
    const f = run("fletcher32", small);
    expect([Number(f & 0xffffn) % 65535, Number(f >> 16n) % 65535]).toEqual(fletcher32(small));
    expect(run("crc32_table", small)).toBe(BigInt(zlibCrc32(small)));
    expect(run("crc32_bitwise", small)).toBe(BigInt(zlibCrc32(small)));
    expect(run("crc32_table", ascii("123456789"))).toBe(0xcbf43926n); // the CRC-32 check value
    expect(run("inet_csum", small)).toBe(inetChecksum(small));
    expect(run("inet_csum", small.subarray(0, 1000))).toBe(inetChecksum(small.subarray(0, 1000)));
  });

  it("hashes: FNV-1a, Murmur3, xxHash32, SipHash-2-4 (with published test vectors)", () => {
    expect(run("fnv1a", small)).toBe(fnv1a64(small));
    expect(run("fnv1a", ascii("a"))).toBe(0xaf63dc4c8601ec8cn);
    expect(run("murmur3", small)).toBe(murmur3(small, 0x9747b28c));
    expect(murmur3(ascii("Hello, world!"), 0x9747b28c)).toBe(0x24884cban);
    expect(run("murmur3", ascii("Hello, world!"))).toBe(0x24884cban);
    expect(run("xxhash32", small)).toBe(xxh32(small));
    expect(xxh32(ascii("abc"))).toBe(0x32d153ffn);
    expect(run("xxhash32", ascii("abc"))).toBe(0x32d153ffn);
    expect(run("siphash", small)).toBe(siphash24(small));
    const fifteen = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(run("siphash", fifteen)).toBe(0xa129ca6149be45e5n); // the SipHash paper's example
  });

  it("popcount, insertion sort, matrix product, bignum addition, byte search", () => {
    let bits = 0n;
    for (const b of small) for (let x = b; x; x >>= 1) bits += BigInt(x & 1);
    expect(run("popcount", small)).toBe(bits);

    const values = Array.from({ length: 50 }, (_, i) => le32(small, 4 * i));
    const sortIn = new Uint8Array(4 + 200);
    new DataView(sortIn.buffer).setUint32(0, 50, true);
    sortIn.set(small.subarray(0, 200), 4);
    const sorted = [...values].sort((a, b) => a - b);
    expect(run("isort", sortIn)).toBe(sorted.reduce((s, v, i) => (s + BigInt(i + 1) * BigInt(v)) & M64, 0n));

    const n = 5;
    const mm = new Uint8Array(4 + 8 * n * n);
    new DataView(mm.buffer).setUint32(0, n, true);
    mm.set(small.subarray(0, 8 * n * n), 4);
    const A = (i: number, k: number) => le32(mm, 4 + 4 * (i * n + k)),
      B = (k: number, j: number) => le32(mm, 4 + 4 * (n * n + k * n + j));
    let h = 0n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let c = 0n;
        for (let k = 0; k < n; k++) c += BigInt(A(i, k)) * BigInt(B(k, j));
        h = (h * 31n + (c & 0xffffffffn)) & M64;
      }
    expect(run("matmul", mm)).toBe(h);

    const limbs = 6,
      rounds = 7;
    const bn = new Uint8Array(8 + 8 * limbs);
    new DataView(bn.buffer).setUint32(0, limbs, true);
    new DataView(bn.buffer).setUint32(4, rounds, true);
    bn.set(small.subarray(0, 8 * limbs), 8);
    const num = (at: number) =>
      Array.from({ length: limbs }, (_, i) => BigInt(le32(bn, at + 4 * i))).reduceRight((s, l) => (s << 32n) | l, 0n);
    const mod = 1n << BigInt(32 * limbs);
    let a = num(8),
      b = num(8 + 4 * limbs);
    for (let r = 0; r < rounds; r++) {
      a = (a + b) % mod;
      b = (b + a) % mod;
    }
    let fold = 0n;
    for (let i = 0; i < limbs; i++) fold = (fold * 0x100000001b3n + ((a >> BigInt(32 * i)) & 0xffffffffn)) & M64;
    expect(run("bignum_add", bn)).toBe(fold);

    const hay = "xxabcabcabxabcab";
    const search = new Uint8Array(20 + hay.length);
    new DataView(search.buffer).setUint32(0, 5, true);
    search.set(ascii("abcab"), 4);
    search.set(ascii(hay), 20);
    expect(run("memsearch", search)).toBe((3n << 32n) | 2n); // at 2, 5 and 11
  });

  it("word count through a hash map", () => {
    const text = "The cat and the hat; THE end. Extraordinarilylongwordsaretruncated extraordinarilylongwordsAREcut x";
    const counts = new Map<string, number>();
    for (const w of text.match(/[A-Za-z]+/g)!) {
      const key = w.toLowerCase().slice(0, 16);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const c = [...counts.values()].map(BigInt);
    const expected =
      (BigInt(c.length) << 40n) ^ (c.reduce((m, x) => (x > m ? x : m)) << 20n) ^ c.reduce((s, x) => s + x * x, 0n);
    expect(run("wordcount", ascii(text))).toBe(expected);
  });

  it("djb2 per word, Base64 (Node's encoder), run lengths, binary searches, PCG32", () => {
    // djb2: every word but the last is followed by a separator, which folds its hash in; the last one's is added
    const text = "the quick\nbrown  fox jumps\n\nover the lazy dog x";
    const djb2 = (w: string) => [...w].reduce((h, ch) => (Math.imul(h, 33) + ch.charCodeAt(0)) >>> 0, 5381);
    const words = text.split(/[ \n]/);
    const folded = words.slice(0, -1).reduce((acc, w) => (acc * 31n + BigInt(djb2(w))) & M64, 0n);
    expect(run("djb2", ascii(text))).toBe((folded + BigInt(djb2(words[words.length - 1]))) & M64);

    const whole = small.length - (small.length % 3);
    const encoded = Buffer.from(small.subarray(0, whole)).toString("base64");
    const b64 = [...encoded].reduce((h, ch) => (Math.imul(h, 131) + ch.charCodeAt(0)) >>> 0, 0);
    expect(run("base64", small)).toBe(BigInt(b64) + BigInt(whole));

    const runsIn = ascii("aaabccccccccccddaaaaaaaaaaaaaaaaaaaaaaaaab");
    const lengths = new TextDecoder()
      .decode(runsIn)
      .match(/(.)\1*/g)!
      .map((r) => BigInt(r.length));
    const longest = lengths.reduce((m, x) => (x > m ? x : m));
    const squares = lengths.reduce((t, x) => t + x * x, 0n);
    expect(run("rle", runsIn)).toBe((BigInt(lengths.length) << 40n) ^ (longest << 20n) ^ squares);

    const keys = Array.from({ length: 37 }, (_, i) => le32(small, 4 * i) >>> 20).sort((a, b) => a - b);
    const queries = [0, keys[0], keys[5], keys[5] + 1, keys[36], keys[36] + 1, 0xfffff, ...keys.slice(10, 20)];
    const bs = new Uint8Array(4 + 4 * (keys.length + queries.length));
    const view = new DataView(bs.buffer);
    view.setUint32(0, keys.length, true);
    [...keys, ...queries].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
    const lowerBound = (x: number) => (keys.findIndex((k) => k >= x) + keys.length + 1) % (keys.length + 1);
    expect(run("lower_bound", bs)).toBe(queries.reduce((t, x) => t + BigInt(lowerBound(x)), 0n));

    let state = 0x853c49e6748fea9bn,
      pcg = 0n;
    for (const b of small) {
      state = (state * 6364136223846793005n + BigInt(b | 1)) & M64;
      const x = Number((((state >> 18n) ^ state) >> 27n) & 0xffffffffn);
      const r = Number(state >> 59n);
      pcg += BigInt(((x >>> r) | (x << (32 - r))) >>> 0);
    }
    expect(run("pcg32", small)).toBe(pcg & M64);
  });

  it("sieve (trial division), wc, flow records, decimal digits", () => {
    for (const n of [0, 1, 2, 3, 100, 1001]) {
      let primes = 0n;
      for (let k = 2; k < n; k++) {
        let d = 2;
        while (d * d <= k && k % d !== 0) d++;
        if (d * d > k) primes++;
      }
      expect(run("sieve", small.subarray(0, n))).toBe(primes);
    }

    const text = "one two\tthree\r\nfour  five\n\n six";
    const lines = BigInt(text.split("\n").length - 1);
    const wcWords = BigInt(text.split(/[ \t\r\n]+/).filter((w) => w !== "").length);
    expect(run("wc", ascii(text))).toBe((lines << 40n) | (wcWords << 20n) | BigInt(text.length));

    const flows = new Uint8Array(12 * 40 + 7); // 40 records, then a partial one the kernel leaves alone
    const fv = new DataView(flows.buffer);
    let low = 0n,
      high = 0n,
      other = 0n;
    for (let k = 0; k < 40; k++) {
      const [id, port, proto, flags, bytes] = [le32(small, 4 * k), (k * 97) % 2048, k % 3 ? 6 : 17, k % 4, k * 1000];
      fv.setUint32(12 * k, id, true);
      fv.setUint16(12 * k + 4, port, true);
      fv.setUint8(12 * k + 6, proto);
      fv.setUint8(12 * k + 7, flags);
      fv.setUint32(12 * k + 8, bytes, true);
      if (proto === 6 && flags & 2) {
        if (port < 1024) low += BigInt(bytes);
        else high += BigInt(bytes);
      } else other += BigInt(id & 0xff);
    }
    expect(run("records", flows)).toBe(low * 3n + high * 5n + other);

    const numbers = [0, 7, 10, 99, 4294967295, ...Array.from({ length: 30 }, (_, k) => le32(small, 4 * k))];
    const dg = new Uint8Array(4 * numbers.length + 3);
    numbers.forEach((x, k) => new DataView(dg.buffer).setUint32(4 * k, x, true));
    const digitSum = numbers.reduce((t, x) => t + [...String(x)].reduce((u, d) => u + BigInt(d), 0n), 0n);
    const digitCount = numbers.reduce((t, x) => t + BigInt(String(x).length), 0n);
    expect(run("digits", dg)).toBe((digitCount << 32n) | digitSum);
  });

  it("numbers in text, byte histogram, UTF-8, big-endian sum, window sums, Kadane, hex, selection sort", () => {
    const numText = "12 x 4294967296,007;99999999999 5\n0 3";
    const nums = numText.match(/[0-9]+/g)!.map((d) => BigInt(d) & 0xffffffffn);
    const numSum = nums.reduce((t, x) => t + x, 0n);
    expect(run("parse_nums", ascii(numText))).toBe(numSum ^ (BigInt(nums.length) << 48n));
    expect(run("parse_nums", ascii("no digits"))).toBe(0n);

    const counts = new Array<number>(64).fill(0);
    for (const b of small) counts[b >> 2]++;
    expect(run("byte_hist", small)).toBe(counts.reduce((t, n) => t + BigInt(n * n), 0n));

    // Node's decoder replaces each maximal bad sequence with one U+FFFD: on text whose bad bytes are lone
    // continuation bytes and cut-short sequences, the kernel's count of bad sequences is the same
    const good = new TextEncoder().encode("aé€😀z");
    const utf8 = Uint8Array.from([...good, 0x80, ...good, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98]);
    const decoded = [...new TextDecoder().decode(utf8)];
    const bad = decoded.filter((ch) => ch === "\ufffd").length;
    expect(run("utf8_count", utf8)).toBe((BigInt(decoded.length - bad) << 32n) | BigInt(bad));

    let words = 0;
    for (let i = 0; i + 1 < small.length; i += 2) words += (small[i] << 8) | small[i + 1];
    while (words > 0xffff) words = (words & 0xffff) + Math.floor(words / 65536);
    expect(run("be_sum16", small)).toBe(BigInt(words));

    let best = -1,
      at = 0;
    for (let i = 15; i < small.length; i++) {
      const sum = small.subarray(i - 15, i + 1).reduce((t, b) => t + b, 0);
      if (sum > best) [best, at] = [sum, i === 15 ? 0 : i]; // the first window is at 0
    }
    expect(run("window_max", small)).toBe((BigInt(best) << 32n) | BigInt(at));
    expect(run("window_max", small.subarray(0, 15))).toBe(0n);

    const signed = Array.from({ length: small.length >> 1 }, (_, k) =>
      new DataView(small.buffer).getInt16(2 * k, true),
    );
    let largest = 0;
    for (let i = 0; i < signed.length; i++)
      for (let j = i, acc = 0; j < signed.length; j++) largest = Math.max(largest, (acc += signed[j]));
    expect(run("kadane", small)).toBe(BigInt(largest));

    const third = Math.floor(small.length / 3);
    const hexText = Buffer.from(small.subarray(0, third)).toString("hex");
    const hexHash = [...hexText].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 0);
    expect(run("hex_encode", small)).toBe(BigInt(hexHash));

    for (const bytes of [small, small.subarray(0, 301)]) {
      const n = Math.min(512, bytes.length >> 1);
      const sorted = Array.from({ length: n }, (_, k) => bytes[2 * k] | (bytes[2 * k + 1] << 8)).sort((a, b) => a - b);
      expect(run("sel_sort", bytes)).toBe(sorted.reduce((t, v, k) => t + BigInt(v * (k + 1)), 0n));
    }
  });

  it("tokens, s16 dot product, reversal, matches, CRC-16, statistics, bubble sort, running sums, a filter", () => {
    const code = ascii("let x1 = foo42 + 7;\n\tif (x1 >= 100) return 0x1f;");
    let h = 7;
    for (const m of new TextDecoder().decode(code).matchAll(/[A-Za-z][A-Za-z0-9]*|[0-9]+|[^]/g)) {
      const kind = /^[A-Za-z]/.test(m[0]) ? 1 : /^[0-9]/.test(m[0]) ? 2 : 3;
      h = (Math.imul(h, 131) + kind * 17 + m[0].length) >>> 0;
    }
    expect(run("tokenize", code)).toBe(BigInt(h));

    const view = new DataView(small.buffer, small.byteOffset);
    const n16 = small.length >> 2;
    let dot = 0n,
      sq = 0n;
    for (let i = 0; i < n16; i++) {
      const [a, b] = [view.getInt16(2 * i, true), view.getInt16(2 * (n16 + i), true)];
      dot += BigInt(a * b);
      sq += BigInt(a * a);
    }
    expect(run("dot16", small)).toBe(BigInt.asUintN(64, dot ^ (sq << 3n)));

    const reversed = small.slice().reverse();
    let weighted = 0n;
    for (let k = 0; k < reversed.length; k += 4) weighted += BigInt(reversed[k] * (k + 1));
    expect(run("reverse_bytes", small)).toBe(weighted);
    expect(run("reverse_bytes", new Uint8Array(0))).toBe(0n);

    const prose = ascii(
      "the packet filter and the packet map of the kernel program, the packet filter again. ".repeat(6),
    );
    let total = 0n;
    for (let p = 256; p + 32 < prose.length; p += 64) {
      let best = 0;
      for (let q = p - 256; q < p; q++) {
        let l = 0;
        while (l < 32 && prose[q + l] === prose[p + l]) l++;
        best = Math.max(best, l);
      }
      total += BigInt(best);
    }
    expect(run("lz_match", prose)).toBe(total);

    const crc16 = (bytes: Uint8Array) => {
      let crc = 0xffff;
      for (const b of bytes) {
        crc ^= b << 8;
        for (let k = 0; k < 8; k++) crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
      }
      return BigInt(crc);
    };
    expect(run("crc16", ascii("123456789"))).toBe(0x29b1n); // CRC-16/CCITT-FALSE's check value
    expect(run("crc16", small)).toBe(crc16(small));

    const samples = Array.from({ length: small.length >> 2 }, (_, k) => le32(small, 4 * k));
    const mean = samples.reduce((t, v) => t + BigInt(v), 0n) / BigInt(samples.length);
    const dev = samples.reduce((t, v) => t + ((BigInt(v) > mean ? BigInt(v) - mean : mean - BigInt(v)) >> 8n), 0n);
    const [mn, mx] = [Math.min(...samples), Math.max(...samples)];
    expect(run("stats", small)).toBe(BigInt(mn) ^ (BigInt(mx) << 16n) ^ (mean << 24n) ^ dev);
    expect(run("stats", small.subarray(0, 3))).toBe(0n);

    for (const bytes of [small.subarray(0, 400), Uint8Array.from({ length: 64 }, (_, k) => k)]) {
      const sorted = Array.from({ length: bytes.length >> 2 }, (_, k) => le32(bytes, 4 * k)).sort((a, b) => a - b);
      expect(run("bubble", bytes)).toBe(sorted.reduce((t, v) => (t * 31n + BigInt(v)) & M64, 0n));
    }

    const quarter = small.length >> 3;
    const sums: number[] = [];
    for (let i = 0, total = 0; i < quarter; i++) sums.push((total = (total + view.getUint16(2 * i, true)) >>> 0));
    let diffs = 0n;
    for (let i = 8; i < quarter; i++) diffs += BigInt((sums[i] - sums[i - 8]) >>> 0);
    expect(run("prefix_sum", small)).toBe(diffs ^ BigInt(sums.at(-1)!));

    const half = small.length >> 1;
    const passes = [small.slice(0, half), small.slice(half, 2 * half)];
    for (let pass = 0; pass < 2; pass++) {
      const [src, dst] = [passes[pass & 1], passes[(pass + 1) & 1]];
      for (let i = 1; i + 1 < half; i++) dst[i] = (src[i - 1] + 2 * src[i] + src[i + 1] + 2) >> 2;
    }
    const fnv = passes[0].reduce((t, b) => Math.imul(t ^ b, 0x01000193) >>> 0, 0);
    expect(run("blur3", small)).toBe(BigInt(fnv));
  });

  it("decimal strings, primes by trial division, ROT13, s16 matrix-vector products, bit reversal", () => {
    const words = Array.from({ length: small.length >> 2 }, (_, k) => le32(small, 4 * k));
    const digits = words.map((w) => String(w >>> (w & 15))).join("");
    const djb = [...digits].reduce((t, ch) => (Math.imul(t, 33) + ch.charCodeAt(0)) >>> 0, 5381);
    expect(run("itoa_hash", small)).toBe(BigInt(djb));

    const isPrime = (v: number) => {
      if (v < 2) return false;
      for (let d = 2; d * d <= v; d++) if (v % d === 0) return false;
      return true;
    };
    const odd = Array.from({ length: small.length >> 1 }, (_, k) => (small[2 * k] | (small[2 * k + 1] << 8) | 1) >>> 0);
    expect(run("trial_div", small)).toBe(BigInt(odd.filter(isPrime).length));

    const rotated = [...small].map((b) => {
      let c = b & 0x7f;
      if (c < 32) c += 64;
      const ch = String.fromCharCode(c);
      return /[a-z]/i.test(ch)
        ? ch
            .replace(/[a-z]/i, (l) => {
              const base = l <= "Z" ? 65 : 97;
              return String.fromCharCode(((l.charCodeAt(0) - base + 13) % 26) + base);
            })
            .charCodeAt(0)
        : c;
    });
    const rolled = rotated.reduce((s, c) => (((s << 1) | (s >>> 31)) ^ c) >>> 0, 0);
    expect(run("rot13", small)).toBe(BigInt(rolled));

    const matrix = randomBytes(128 * 96, 7); // 96 rows of 64 s16: blocks at rows 0, 16 and 32
    const mv = new DataView(matrix.buffer);
    const at = (row: number, col: number) => mv.getInt16(2 * (64 * row + col), true);
    let sum = 0n;
    for (let base = 0; base + 64 <= 96; base += 16)
      for (let r = 0; r < 64; r++) {
        let acc = 0;
        for (let c = 0; c < 64; c++) acc = (acc + at(base + r, c) * at(base, c)) | 0;
        sum += BigInt(acc >> 4);
      }
    expect(run("matvec16", matrix)).toBe(BigInt.asUintN(64, sum));
    expect(run("matvec16", matrix.subarray(0, 128 * 63))).toBe(0n);

    const reverse = (v: number) => parseInt(v.toString(2).padStart(32, "0").split("").reverse().join(""), 2);
    const folded = words.reduce((h, w) => (((h << 5) | (h >>> 27)) ^ reverse(w)) >>> 0, 0);
    expect(run("bitrev", small)).toBe(BigInt(folded));
  });

  it("packet kernels over a capture: sockex1's byte count per protocol, the frame-length histogram", () => {
    const list = frames(300, 5);
    const capture = snapCapture(list, 64);
    const bytes = new Map<number, bigint>();
    const slots = new Map<number, bigint>();
    for (const f of list) {
      const ipv4 = f.bytes[12] === 0x08 && f.bytes[13] === 0x00;
      if (ipv4) bytes.set(f.bytes[23], (bytes.get(f.bytes[23]) ?? 0n) + BigInt(f.wire));
      const slot = 32 - Math.clz32(f.wire);
      slots.set(slot, (slots.get(slot) ?? 0n) + 1n);
    }
    const b = (p: number) => bytes.get(p) ?? 0n;
    expect(run("sockex1", capture)).toBe(((b(6) << 32n) + (b(17) << 16n) + b(1)) & M64);
    expect(run("bitehist", capture)).toBe([...slots].reduce((s, [slot, n]) => s + n * BigInt(slot * slot) + 1n, 0n));
    expect(() => run("headers", capture)).not.toThrow();
  });
});
