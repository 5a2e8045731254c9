// The translator's option bits (targets/arm32/abi.ts OPT_*) are set together in one word: each must be a bit of
// its own. Two features once took the same bit, and every executable of one was built with the other.
import { describe, expect, test } from "vitest";
import * as abi from "../../../targets/arm32/abi.js";

describe("ARM32 translate() options", () => {
  test("every OPT_* is a single bit no other option uses", () => {
    const opts = Object.entries(abi).filter(([name]) => name.startsWith("OPT_")) as [string, number][];
    expect(opts.length).toBeGreaterThan(5);
    const seen = new Map<number, string>();
    for (const [name, bit] of opts) {
      expect(Number.isInteger(bit) && bit > 0 && (bit & (bit - 1)) === 0, `${name} = ${bit}`).toBe(true);
      expect(seen.get(bit), `${name} and ${seen.get(bit)} share ${bit}`).toBeUndefined();
      seen.set(bit, name);
    }
  });
});
