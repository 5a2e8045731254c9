#!/usr/bin/env node
// Sizes of the executables `tinybpf build --trace 'SCRIPT' --target arm32` makes of ten one-liners, and what each
// is made of (the image's parts, targets/arm32/abi.ts SEC_*, plus the ELF headers): what to cut to keep a
// one-liner's executable near 8 KB.
//
//   node bench/trace-sizes.mjs [--parts]        (after `npm run build`; --parts: the breakdown of every one)
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseBenchArgs } from "./args.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist", "src");
if (!existsSync(join(DIST, "trace", "build-object.js")) || !existsSync(join(ROOT, "build", "arm32.wasm"))) {
  console.error("bench: dist/ or build/arm32.wasm is missing: run 'npm run build' first");
  process.exit(2);
}
const { traceBuild } = await import(pathToFileURL(join(DIST, "trace/build-object.js")).href);
const { loadSync } = await import(pathToFileURL(join(DIST, "api/object.js")).href);
const { buildExecutable, executableSections } = await import(pathToFileURL(join(DIST, "engines/arm32/engine.js")).href);

export const ONE_LINERS = [
  "packet { @[ip.proto] = count() }",
  "packet { @size = hist(len) }",
  "packet { @n = count() }",
  "packet { @bytes[ip.proto] = sum(len) }",
  "packet { @ttl = lhist(ip.ttl, 0, 256, 64) }",
  "packet /ip.proto == 6/ { @[tcp.dport] = count() }",
  "packet { @[ntop(ip.src)] = count() }",
  "packet { @len = avg(len); @s = stats(len) }",
  "packet { @min = min(len); @max = max(len) }",
  'BEGIN { printf("Tracing... Hit Ctrl-C to end.\\n") } packet { @n = count() } END { printf("%d frames\\n", @n) }',
];

const { parts } = parseBenchArgs("trace-sizes", process.argv.slice(2), {
  usage: "usage: node bench/trace-sizes.mjs [--parts]",
  defaults: { parts: false },
  flags: { "--parts": ["parts", true] },
});
let total = 0;
for (const script of ONE_LINERS) {
  const b = traceBuild(script);
  const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
  const prog = [...obj.programs.values()][0];
  b.seed(obj);
  const opts = { bpftrace: b.describe(obj.object.maps) };
  const exe = buildExecutable(obj, prog, opts);
  total += exe.length;
  console.log(`${exe.length.toLocaleString("en").padStart(7)}  ${script}`);
  if (parts || script === ONE_LINERS[0]) {
    const sections = executableSections(obj, prog, opts);
    const image = sections.reduce((n, s) => n + s.bytes, 0);
    for (const s of sections) if (s.bytes) console.log(`         ${String(s.bytes).padStart(6)}  ${s.name}`);
    console.log(`         ${String(exe.length - image).padStart(6)}  ELF headers and alignment`);
  }
}
console.log(`${total.toLocaleString("en").padStart(7)}  total of ${ONE_LINERS.length}`);
