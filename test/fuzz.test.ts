import { it } from "vitest";
import { generate, fuzz, describeMismatch, EngineHarness } from "../src/fuzz/index.js";
it("quick", () => {
  const s = fuzz({ engines: ["reference", "interp"], seed: 1000, programs: 20000, stopAtFirst: false });
  console.log(s.programs, s.faulted, s.executed, s.millis, s.mismatches.length);
  for (const m of s.mismatches.slice(0, 3)) console.log(describeMismatch(m, ["reference", "interp"]));
  const h = new EngineHarness(["interp"]);
  const kinds = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const p = generate(i);
    const o = h.run(p)[0];
    const k = (o.error ?? "ok").replace(/0x[0-9a-f]+/g, "X").replace(/\d+/g, "N");
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  console.log(kinds);
}, 600000);
