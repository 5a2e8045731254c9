// The device's node itself: a 32-bit ARM Node.js 18 or later whose WebAssembly runs the core, and which can start
// further node processes (the CLI tests need that; under qemu-arm this goes through targets/armhf/node-arm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runNode } from "./common.mjs";

test("runs on 32-bit ARM", () => {
  assert.equal(
    process.arch,
    "arm",
    `process.arch is ${process.arch}: run this suite with the device's node (targets/armhf/node-arm)`,
  );
});

test("is Node.js 18 or later", () => {
  const major = Number(process.versions.node.split(".")[0]);
  assert.ok(major >= 18, `Node.js ${process.version} is older than the package's engines.node (>=18)`);
});

// A module written out byte by byte (sizes in one byte: every part here is shorter than 128 bytes):
//   (memory (export "memory") 1)
//   (func (export "mul") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)
//   (func (export "sum") (param $p i32) (param $n i32) (result i32)  adds the bytes memory[p .. p+n))
const section = (id, ...parts) => {
  const body = parts.flat();
  return [id, body.length, ...body];
};
const name = (s) => [s.length, ...Buffer.from(s)];
const body = (...code) => [code.flat().length, ...code.flat()];
const MODULE = Uint8Array.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // "\0asm", version 1
  ...section(1, 2, [0x60, 2, 0x7e, 0x7e, 1, 0x7e], [0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // types
  ...section(3, 2, 0, 1), // functions: mul has type 0, sum type 1
  ...section(5, 1, 0x00, 1), // one memory, at least 1 page
  ...section(7, 3, name("mul"), 0x00, 0, name("sum"), 0x00, 1, name("memory"), 0x02, 0), // exports
  ...section(
    10,
    2,
    body(0, [0x20, 0, 0x20, 1, 0x7e, 0x0b]), // no locals; local.get 0, local.get 1, i64.mul, end
    body(
      1,
      1,
      0x7f, // one i32 local: the total
      [0x02, 0x40, 0x03, 0x40], // block, loop
      [0x20, 1, 0x45, 0x0d, 1], // br_if out when n == 0
      [0x20, 2, 0x20, 0, 0x2d, 0, 0, 0x6a, 0x21, 2], // total += i32.load8_u(p)
      [0x20, 0, 0x41, 1, 0x6a, 0x21, 0], // p += 1
      [0x20, 1, 0x41, 1, 0x6b, 0x21, 1], // n -= 1
      [0x0c, 0, 0x0b, 0x0b], // br loop, end loop, end block
      [0x20, 2, 0x0b],
    ),
  ), // total, end
]);

test("instantiates WebAssembly with i64 (BigInt) arguments and linear memory", async () => {
  assert.ok(WebAssembly.validate(MODULE), "the hand-written module does not validate");
  const { instance } = await WebAssembly.instantiate(MODULE);
  const { mul, sum, memory } = instance.exports;
  for (const [a, b] of [
    [3n, 5n],
    [0x1_0000_0001n, 0x1_0000_0001n],
    [-7n, 0x7fff_ffff_ffffn],
  ]) {
    assert.equal(mul(a, b), BigInt.asIntN(64, a * b), `mul(${a}, ${b})`);
  }
  const bytes = new Uint8Array(memory.buffer);
  const data = Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
  bytes.set(data, 4096);
  assert.equal(
    sum(4096, data.length),
    data.reduce((s, x) => s + x, 0),
  );
  assert.equal(memory.grow(2), 1);
  assert.equal(memory.buffer.byteLength, 3 * 65536);
});

test("compiles tinybpf's core (build/core.wasm)", async () => {
  const path = join(ROOT, "build", "core.wasm");
  assert.ok(existsSync(path), "build/core.wasm is missing: run 'npm run build' on the host first");
  const bytes = readFileSync(path);
  assert.ok(WebAssembly.validate(bytes), "build/core.wasm does not validate on this node");
  const module = await WebAssembly.compile(bytes);
  assert.ok(
    WebAssembly.Module.exports(module).some((e) => e.name === "run"),
    "the core exports no 'run'",
  );
});

test("starts another node of the same kind", () => {
  const r = runNode(process.execPath, ["-p", "process.arch + ' ' + process.version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${process.arch} ${process.version}`);
});
