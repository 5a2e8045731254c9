// The workstation's commands on an object: `build` (a static ARM32 executable) and `bundle` (what goes on a
// device). object-commands.ts loads this file when one of them runs, so a device bundle leaves it out.
import { writeFileSync, chmodSync } from "node:fs";
import { loadSync } from "../api/object.js";
import { type Command, UsageError, intOption } from "./args.js";
import { ARM_TARGETS, applyTailCalls, pickProgram } from "./object-args.js";

export const commands: Record<string, Command> = {
  async build(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    const target = args.options.get("target");
    const script = args.options.has("trace") ? file : undefined; // --trace 'SCRIPT': a script instead of an object (src/trace)
    if (!file || !dest || !target)
      throw new UsageError("build needs OBJ (or --trace 'SCRIPT') --target arm32|armv6 -o FILE");
    if (!ARM_TARGETS.includes(target)) throw new UsageError(`unknown target '${target}' (available: arm32, armv6)`);
    const { buildExecutable, capturesLive, executableListing } = await import("../engines/arm32/engine.js");
    const trace = script === undefined ? undefined : (await import("../trace/build-object.js")).traceBuild(script);
    const source = trace ? trace.object : file;
    const obj = loadSync(source, {
      engine: "interp",
      budget: intOption(args, "budget", 1_000_000),
      ...(script === undefined ? {} : { fileName: "trace.o" }),
    });
    applyTailCalls(obj, args);
    trace?.seed(obj);
    const prog = pickProgram(obj, args);
    // a trace script's executable prints its maps as bpftrace does
    const armv6 = target === "armv6";
    const snapshots = args.options.has("snapshots");
    if (snapshots && !capturesLive(prog.type))
      throw new UsageError(`--snapshots is the live capture's (socket filters), not ${prog.name}'s (${prog.type})`);
    const exe = buildExecutable(
      obj,
      prog,
      trace ? { bpftrace: trace.describe(obj.object.maps), armv6 } : { armv6, snapshots },
    );
    writeFileSync(dest, exe);
    chmodSync(dest, 0o755);
    out(`${dest}: ${exe.length} bytes, static ARM32 Linux executable running ${prog.name}`);
    // --listing: the generated code, each eBPF instruction followed by the ARM code generated for it
    if (args.options.has("listing")) out(executableListing(obj, prog, { armv6 }).replace(/\n$/, ""));
    return 0;
  },

  async bundle(args, out) {
    const dest = args.options.get("o");
    const serve = args.options.has("serve");
    if ((args.positional.length === 0 && !serve) || !dest)
      throw new UsageError("bundle needs OBJ... (or --serve) and -o DIR");
    const { bundle } = await import("../tools/bundle.js");
    const engines = args.options.get("engines")?.split(",");
    let files: string[];
    try {
      files = bundle(args.positional, dest, {
        core: args.options.get("core") as never,
        engines: engines as never,
        trace: args.options.has("trace"),
        serve,
        arm32: args.options.has("arm32"),
        compress: !args.options.has("no-compress"),
      });
    } catch (e) {
      // bundle() names itself for callers of the API; the command line already says "tinybpf bundle:"
      throw e instanceof Error ? new Error(e.message.replace(/^bundle: /, "")) : e;
    }
    out(`${dest}: ${files.length} files`);
    return 0;
  },
};
