#!/usr/bin/env node
// Sizes of the ARM32 target's executables: sockex1 first, then every program of every fixture object
// (test/fixtures/*.o) that the target can build (an executable making tail calls also holds the programs they can
// reach: the last column names them, every program a program array holds); the others with the reason it gives (objects with map types the target does
// not hold: QUEUE, RINGBUF, PERF_EVENT_ARRAY, ARRAY_OF_MAPS, LPM_TRIE ...). The armv6 column is the same
// executable built for ARMv6 (`build --target armv6`: constants without MOVW/MOVT), then the totals of both.
//
//   node bench/arm32-sizes.mjs        (after `npm run build`)
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const DIST = join(ROOT, "dist", "src");
const FIXTURES = join(ROOT, "test", "fixtures");

if (!existsSync(join(DIST, "engines/arm32/engine.js")) || !existsSync(join(ROOT, "build", "arm32.wasm"))) {
  console.error("bench: dist/ or build/arm32.wasm is missing: run 'npm run build' first");
  process.exit(2);
}
const { loadSync } = await import(pathToFileURL(join(DIST, "api/object.js")).href);
const { buildExecutable, executablePrograms } = await import(pathToFileURL(join(DIST, "engines/arm32/engine.js")).href);

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".o"))
  .sort((a, b) => (a === "sockex1.o" ? -1 : b === "sockex1.o" ? 1 : a.localeCompare(b)));
const rows = [["object", "program", "type", "insns", "maps", "bytes", "armv6", "also holds (tail calls)"]];
const totals = [0, 0];
const refused = [];
for (const f of files) {
  let obj;
  try {
    obj = loadSync(join(FIXTURES, f), { engine: "interp" });
  } catch (e) {
    refused.push(`${f}: does not load (${e instanceof Error ? e.message : e})`);
    continue;
  }
  const reasons = new Map(); // reason -> programs it refused
  for (const prog of obj.programs.values()) {
    try {
      const exe = buildExecutable(obj, prog);
      const v6 = buildExecutable(obj, prog, { armv6: true });
      totals[0] += exe.length;
      totals[1] += v6.length;
      const others = executablePrograms(obj, prog)
        .slice(1)
        .map((p) => p.name)
        .join(", ");
      rows.push([
        f,
        prog.name,
        prog.type,
        String(prog.insnCount),
        String(obj.object.maps.length),
        exe.length.toLocaleString("en"),
        v6.length.toLocaleString("en"),
        others,
      ]);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      reasons.set(reason, [...(reasons.get(reason) ?? []), prog.name]);
    }
  }
  for (const [reason, names] of reasons) refused.push(`${f} (${names.join(", ")}): ${reason}`);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(
  rows
    .map((r) =>
      r
        .map((cell, c) => (c < 3 || c === 7 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n"),
);
const growth = (((totals[1] - totals[0]) / totals[0]) * 100).toFixed(2);
console.log(`\ntotal: ${totals[0].toLocaleString("en")} bytes, armv6 ${totals[1].toLocaleString("en")} (+${growth}%)`);
if (refused.length) console.log("\nnot built by the arm32 target:\n" + refused.map((r) => "  " + r).join("\n"));
