#!/usr/bin/env node
// SHA-256 of every ARM32 executable the project can build from what the repository holds: every program of every
// fixture object (default options, with idiv, with an unlimited budget), every bench kernel, 300 fuzzer programs and,
// when the conformance suite is found (TINYBPF_CONFORMANCE_DIR), each of its tests. One line per executable, then
// one digest of them all: a refactoring of the translator or the device runtime must leave every line unchanged.
//
//   node scripts/arm32-hashes.mjs [--fuzz N] > before.txt     (after `npm run build`; compare with diff)
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist", "src");
const FIRST = ["arm32-engine.js", "engines/arm32-engine.js", "engines/arm32/engine.js"];

async function load(...candidates) {
  for (const rel of candidates) {
    const p = join(DIST, rel);
    if (existsSync(p)) return import(pathToFileURL(p).href);
  }
  throw new Error(`none of ${candidates.join(", ")} in dist/src: run 'npm run build' first`);
}

const fuzzCount = (() => {
  const i = process.argv.indexOf("--fuzz");
  return i > 0 ? Number(process.argv[i + 1]) : 300;
})();

const { loadSync } = await load("object.js", "api/object.js");
const { buildExecutable } = await load(...FIRST);
const { buildArm32Executable } = await load("arm32.js", "engines/arm32.js", "engines/arm32/build.js");
const { assemble } = await load("asm.js", "tools/asm.js");
const { generate } = await load("fuzz/index.js");
const conf = await load("conformance-data.js", "tools/conformance-data.js");

const lines = [];
const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
function record(name, build) {
  let out;
  try {
    out = sha(build());
  } catch (e) {
    out = `refused: ${e instanceof Error ? e.message : e}`;
  }
  lines.push(`${name} ${out}`);
}

const fixtures = join(ROOT, "test", "fixtures");
for (const f of readdirSync(fixtures)
  .filter((f) => f.endsWith(".o"))
  .sort()) {
  const obj = loadSync(join(fixtures, f), { engine: "interp" });
  for (const prog of obj.programs.values()) {
    record(`${f}:${prog.name}`, () => buildExecutable(obj, prog));
    record(`${f}:${prog.name}:idiv`, () => buildExecutable(obj, prog, { idiv: true }));
    record(`${f}:${prog.name}:budget0`, () => buildExecutable(obj, prog, { budget: 0 }));
  }
}

const kernels = join(ROOT, "bench", "kernels");
for (const f of readdirSync(kernels)
  .filter((f) => f.endsWith(".s"))
  .sort()) {
  const code = assemble(readFileSync(join(kernels, f), "utf8"));
  record(`kernel:${f}`, () => buildArm32Executable(code, { budget: 0 }));
  record(`kernel:${f}:idiv`, () => buildArm32Executable(code, { idiv: true }));
}

for (let seed = 1; seed <= fuzzCount; seed++) {
  const p = generate(seed);
  record(`fuzz:${seed}`, () => buildArm32Executable(p.code, { budget: p.budget }));
}

const dir = process.env.TINYBPF_CONFORMANCE_DIR ?? join(ROOT, "..", "shared", "conformance", "tests");
if (existsSync(dir)) {
  for (const file of conf.listConformanceFiles(dir)) {
    const name = file.split("/").pop();
    const test = conf.parseConformanceTest(readFileSync(file, "utf8"), name);
    record(`conformance:${name}`, () => buildArm32Executable(conf.conformanceProgram(test), { conformance: true }));
  }
}

console.log(lines.join("\n"));
console.log(`all ${lines.length}: ${sha(lines.join("\n"))}`);
