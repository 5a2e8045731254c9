// The bench kernels: for each, its eBPF source (kernels/NAME.s, in the conformance suite's assembler dialect), the
// input it runs on, and the same algorithm in plain JavaScript (the result must equal r0). The C versions are in
// native.c.

/** Deterministic filler bytes (a 32-bit LCG), so that every run and every language sees the same input. */
function filled(size, seed) {
  const out = new Uint8Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function header(size, a, b = 0) {
  const buf = new Uint8Array(8 + size);
  const v = new DataView(buf.buffer);
  v.setUint32(0, a, true);
  v.setUint32(4, b, true);
  return buf;
}

const PRIME = 1_000_003; // prime: the loop runs to the end
const FLETCHER_WORDS = 128 * 1024; // 256 KiB
const COPY_BYTES = 64 * 1024;
const COPY_ROUNDS = 16;
const CRC_BYTES = 16 * 1024;
const SIEVE_N = 200_000;

export const KERNELS = [
  {
    name: "prime",
    what: `trial division of ${PRIME.toLocaleString("en")}`,
    input() {
      const buf = new Uint8Array(8);
      new DataView(buf.buffer).setBigUint64(0, BigInt(PRIME), true);
      return buf;
    },
    js(m) {
      const n = Number(new DataView(m.buffer, m.byteOffset).getBigUint64(0, true));
      for (let i = 2; i < n; i++) if (n % i === 0) return 0n;
      return 1n;
    },
  },
  {
    name: "fletcher32",
    what: `Fletcher-32 over ${(FLETCHER_WORDS * 2) / 1024} KiB`,
    input() {
      const buf = header(FLETCHER_WORDS * 2, FLETCHER_WORDS);
      buf.set(filled(FLETCHER_WORDS * 2, 1), 8);
      return buf;
    },
    js(m) {
      const words = new DataView(m.buffer, m.byteOffset).getUint32(0, true);
      const w = new Uint16Array(m.buffer, m.byteOffset + 8, words);
      let s1 = 0,
        s2 = 0;
      for (let i = 0; i < words; i++) {
        s1 = (s1 + w[i]) % 65535;
        s2 = (s2 + s1) % 65535;
      }
      return (BigInt(s2) << 16n) | BigInt(s1);
    },
  },
  {
    name: "memcpy",
    what: `copy ${COPY_BYTES / 1024} KiB x ${COPY_ROUNDS}, 8 bytes at a time`,
    fresh: true, // writes its input: the runtime copies the input in before every run, and so do JS and C
    input() {
      const buf = header(COPY_BYTES * 2, COPY_BYTES, COPY_ROUNDS);
      buf.set(filled(COPY_BYTES, 2), 8);
      return buf;
    },
    js(m) {
      const v = new DataView(m.buffer, m.byteOffset);
      const n = v.getUint32(0, true),
        rounds = v.getUint32(4, true);
      const src = new Uint32Array(m.buffer, m.byteOffset + 8, n / 4);
      const dst = new Uint32Array(m.buffer, m.byteOffset + 8 + n, n / 4);
      let lo = 0,
        hi = 0; // exact sums of the low and high halves (well below 2^53)
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < n / 4; i += 2) {
          const a = src[i],
            b = src[i + 1];
          dst[i] = a;
          dst[i + 1] = b;
          lo += a;
          hi += b;
        }
      }
      return BigInt.asUintN(64, (BigInt(hi) << 32n) + BigInt(lo));
    },
  },
  {
    name: "crc32",
    what: `bitwise CRC-32 of ${CRC_BYTES / 1024} KiB`,
    input() {
      const buf = header(CRC_BYTES, CRC_BYTES);
      buf.set(filled(CRC_BYTES, 3), 8);
      return buf;
    },
    js(m) {
      const len = new DataView(m.buffer, m.byteOffset).getUint32(0, true);
      let crc = 0xffffffff;
      for (let i = 0; i < len; i++) {
        crc ^= m[8 + i];
        for (let b = 0; b < 8; b++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
      }
      return BigInt((crc ^ 0xffffffff) >>> 0);
    },
  },
  {
    name: "sieve",
    what: `sieve of Eratosthenes below ${SIEVE_N.toLocaleString("en")}`,
    fresh: true,
    input() {
      return header(SIEVE_N, SIEVE_N);
    },
    js(m) {
      const n = new DataView(m.buffer, m.byteOffset).getUint32(0, true);
      const a = m.subarray(8);
      let count = 0;
      for (let i = 2; i < n; i++) {
        if (a[i]) continue;
        count++;
        for (let j = i * i; j < n; j += i) a[j] = 1;
      }
      return BigInt(count);
    },
  },
];
