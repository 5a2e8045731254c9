// `tinybpf run --engine arm32`: the whole run happens natively, in an ARM32 executable made from the object (under
// qemu-arm on a workstation): the executable holds the maps and reads the capture itself, and its report is
// printed as `run` prints. Loaded only when asked for, so a device bundle leaves it out with the ARM32 engine.
import { basename } from "node:path";
import { streamExecutable } from "../engines/arm32/engine.js";
import { loadSync } from "../api/object.js";
import { type Args, type Out, UsageError, intOption } from "./args.js";
import { readablePrinter } from "./map-output.js";
import { ExecutableOutputReader } from "./executable-output.js";
import { applyTailCalls, pickProgram, requireInput } from "./object-args.js";

export async function runNative(bytes: Uint8Array, file: string, args: Args, out: Out): Promise<number> {
  const budget = intOption(args, "budget", 1_000_000);
  const repeat = intOption(args, "repeat", 1);
  const json = args.options.has("json");
  if (args.options.has("ctx")) throw new UsageError("--ctx is not supported with --engine arm32");
  const obj = loadSync(bytes, { engine: "interp", budget, fileName: basename(file) });
  applyTailCalls(obj, args);
  const prog = pickProgram(obj, args);
  requireInput(prog, args);
  const seconds = args.options.has("seconds") ? intOption(args, "seconds", 10) : undefined;
  const runArgs = {
    mem: args.options.get("mem"),
    pcap: args.options.get("pcap"),
    iface: args.options.get("iface"),
    seconds,
    repeat,
    json: true,
    each: !json,
    budget,
    armv6: args.options.get("target") === "armv6",
  };
  if (json) {
    // the executable prints what `run --json` prints: pass it on as it comes
    let pending = "";
    await streamExecutable(obj, prog, runArgs, out.part ?? ((text) => (pending += text)));
    if (!out.part) out(pending.replace(/\n$/, ""));
    return 0;
  }
  // the readable form from what the executable reports: each run's r0, then the maps
  const reader = new ExecutableOutputReader(prog, obj.maps, readablePrinter(obj.object, out));
  await streamExecutable(obj, prog, runArgs, (text) => reader.push(text));
  reader.finish();
  return 0;
}
