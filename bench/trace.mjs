#!/usr/bin/env node
// The trace compiler's weight and speed: its minified size (esbuild --bundle --minify of the compiler alone,
// src/trace/compile.ts and what it imports, and gzipped), and the compile time of a 20-probe script (median of
// 50 compilations after 10 warm-up runs), on this Node and, when the armhf sysroot is set up
// (targets/armhf/setup-sysroot.sh), on Debian's armhf Node 18 under qemu-arm in the same run.
//
//   node bench/trace.mjs [--no-armhf]        (after `npm run build`)
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { parseBenchArgs } from "./args.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(ROOT, "dist", "src", "trace", "compile.js");
if (!existsSync(compiled)) {
  console.error("bench: dist/ is missing: run 'npm run build' first");
  process.exit(2);
}

// --timing-only: the run under armhf Node, the compile time alone
const { timingOnly, armhf } = parseBenchArgs("trace", process.argv.slice(2), {
  usage: "usage: node bench/trace.mjs [--no-armhf]",
  defaults: { timingOnly: false, armhf: true },
  flags: { "--no-armhf": ["armhf", false], "--timing-only": ["timingOnly", true] },
});
const esbuild = join(ROOT, "node_modules", ".bin", "esbuild");
if (timingOnly) {
  // no size: esbuild is the workstation's
} else if (existsSync(esbuild)) {
  const r = spawnSync(
    esbuild,
    [join(ROOT, "src", "trace", "compile.ts"), "--bundle", "--minify", "--format=esm", "--platform=node"],
    { maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) {
    console.error(r.stderr.toString());
    process.exit(1);
  }
  console.log(`compiler, minified: ${r.stdout.length} bytes (${gzipSync(r.stdout).length} gzipped)`);
} else console.log("compiler, minified: esbuild not installed (a devDependency), size not measured");

const { compile } = await import(pathToFileURL(compiled).href);
const probes = [];
for (let i = 0; i < 20; i++) {
  const body = [
    `packet /ip.proto == ${i % 3 === 0 ? 6 : 17} && len > ${i * 10}/ { @bytes${i}[ntop(ip.src), tcp.dport] = sum(len); @h${i} = hist(len); @l${i}[ip.ttl] = lhist(len, 0, 1500, 100) }`,
    `probe:ev${i} { @s${i}[arg0] = stats(arg1); if (arg2 > ${i}) { printf("%d %u %s\\n", arg0, arg1, comm) } else { @m${i} = max(arg3 * 2 + 1) } }`,
    `interval:ms:${100 + i} { @t${i} = count(); $x = @t${i} * 3; @a${i} = avg($x) }`,
  ][i % 3];
  probes.push(body);
}
const script = probes.join("\n");
for (let i = 0; i < 10; i++) compile(script);
const times = [];
for (let i = 0; i < 50; i++) {
  const t0 = process.hrtime.bigint();
  compile(script);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const obj = compile(script).object;
console.log(
  `20-probe script (${script.length} characters): compiled in ${times[25].toFixed(2)} ms (median of 50, min ${times[0].toFixed(2)} ms), object ${obj.length} bytes`,
);
console.log(`  on node ${process.version}, ${process.platform}/${process.arch}`);

const nodeArm = join(ROOT, "targets", "armhf", "node-arm");
const sysroot = process.env.TINYBPF_ARMHF_SYSROOT ?? join(ROOT, "targets", "armhf", "sysroot");
if (!timingOnly && armhf) {
  if (!existsSync(join(sysroot, "usr", "bin", "node"))) {
    console.log("armhf Node: skipped (run targets/armhf/setup-sysroot.sh to set it up)");
  } else {
    const r = spawnSync(nodeArm, [fileURLToPath(import.meta.url), "--timing-only"], { encoding: "utf8" });
    if (r.status !== 0) {
      console.error(`armhf Node failed: ${r.stderr}`);
      process.exit(1);
    }
    process.stdout.write(r.stdout);
  }
}
