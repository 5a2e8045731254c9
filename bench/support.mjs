// What the bench scripts share: loading the built host from dist/, the qemu instruction-counting plugin
// (qemu-insn-count.c) and a qemu-arm runner that counts and times, the tiny eBPF program the "everything but the
// kernel" executables run, table formatting and ratios.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const DIST = join(BENCH_DIR, "..", "dist", "src");

/** A module of the built host (dist/src/REL), or undefined when it is not built. */
export async function loadDist(rel) {
  const path = join(DIST, rel);
  if (!existsSync(path)) return undefined;
  return import(pathToFileURL(path).href);
}

/** Stops the bench with the usual message when the host is not built. */
export function requireBuilt(...mods) {
  if (mods.some((m) => !m)) {
    console.error(`bench: ${DIST} is missing or incomplete: run 'npm run build' first`);
    process.exit(2);
  }
}

/** lddw r0, value; exit: the program of an executable that does everything but run a kernel. */
export function returnConstant(value) {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  b[0] = 0x18;
  v.setUint32(4, Number(value & 0xffffffffn), true);
  v.setUint32(12, Number(value >> 32n), true);
  b[16] = 0x95;
  return b;
}

/** Builds qemu-insn-count.c into dir; returns the .so (throws when gcc fails). */
export function buildPlugin(dir) {
  const so = join(dir, "insn-count.so");
  execFileSync("gcc", ["-shared", "-fPIC", "-O2", "-o", so, join(BENCH_DIR, "qemu-insn-count.c")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return so;
}

/**
 * The counting plugin if it builds and qemu loads it (probed with the smallest ARM32 executable there is), else
 * { note } saying why not.
 */
export function probePlugin(dir, qemu, arm32Build) {
  try {
    const plugin = buildPlugin(dir);
    const probe = join(dir, "probe");
    writeFileSync(probe, arm32Build.buildArm32Executable(returnConstant(0n), { budget: 0 }));
    chmodSync(probe, 0o755);
    const out = join(dir, "probe.count");
    const r = spawnSync(qemu, ["-plugin", `${plugin},out=${out}`, probe], { encoding: "utf8" });
    if (r.status !== 0 || !existsSync(out)) throw new Error((r.stderr || "no count written").trim());
    return { plugin };
  } catch (e) {
    return {
      note: `the instruction-counting plugin is not available (${e instanceof Error ? e.message.split("\n")[0] : e})`,
    };
  }
}

/**
 * Runs ARM executables under qemu-arm: run(argv, count) gives what it printed and (count, with a plugin) its guest
 * instruction count; wall(argv) the fastest of `reps` runs in ms.
 */
export function qemuRunner({ qemu, cpu, plugin, dir, reps }) {
  const run = (argv, count) => {
    const out = join(dir, "count");
    const args = ["-cpu", cpu, ...(count && plugin ? ["-plugin", `${plugin},out=${out}`] : []), ...argv];
    rmSync(out, { force: true });
    const r = spawnSync(qemu, args, { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${argv.join(" ")}: status ${r.status}: ${(r.stderr || r.stdout).trim()}`);
    return { stdout: r.stdout.trim(), insns: count && plugin ? BigInt(readFileSync(out, "utf8").trim()) : undefined };
  };
  const wall = (argv) => fastest(() => run(argv, false), reps);
  return { run, wall };
}

/** The fastest of `reps` calls of fn, in ms. */
export function fastest(fn, reps) {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

/** ns per call of fn over one batch of at least minMs (and two calls). */
export function batch(fn, minMs) {
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed;
  do {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start);
  } while (elapsed < minMs * 1e6 || runs < 2);
  return elapsed / runs;
}

/** Rows of cells as aligned columns: the first left-aligned, the others right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  "),
    )
    .join("\n");
}

/** "a/b" as "1.23x", "-" when either is missing or b is not positive. */
export function ratio(a, b, digits = 2) {
  return a === undefined || b === undefined || !(b > 0) ? "-" : (a / b).toFixed(digits) + "x";
}

export function geomean(values) {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  return v.length ? Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length) : undefined;
}
