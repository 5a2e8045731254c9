// The Trace API: probe:NAME fired from the host with arguments, interval probes on the caller's clock, the packet
// probe's return value as the filter verdict, and print()/clear()/zero() in order with printf lines.
import { beforeAll, describe, expect, test } from "vitest";
import { Trace } from "../../src/trace/runtime.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";

beforeAll(async () => {
  await loadEngines();
});

async function trace(script: string, engine: "interp" | "wasm") {
  const lines: string[] = [];
  const t = await Trace.create(script, { engine, out: (s) => lines.push(s) });
  return { t, text: () => lines.join("") };
}

for (const engine of ["interp", "wasm"] as const) {
  describe(`Trace on ${engine}`, () => {
    test("probe:NAME gets arg0..arg5 from fire()", async () => {
      const { t, text } = await trace(
        'probe:open { @bytes[arg0] = sum(arg1); @last = arg5; printf("%d+%d\\n", arg0, arg1) }',
        engine,
      );
      const calls = [
        [3, 100],
        [4, 50],
        [3, 7],
        [9, 1],
      ];
      for (const [fd, n] of calls) t.fire("open", fd, n, 0, 0, 0, fd * 10);
      t.fire("close", 1, 2); // no probe: nothing happens
      t.finish();
      const sums = new Map<number, number>();
      for (const [fd, n] of calls) sums.set(fd, (sums.get(fd) ?? 0) + n);
      const sorted = [...sums].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      const expected =
        calls.map(([fd, n]) => `${fd}+${n}\n`).join("") +
        "\n\n" +
        sorted.map(([fd, s]) => `@bytes[${fd}]: ${s}\n`).join("") +
        `@last: ${calls[calls.length - 1][0] * 10}\n`;
      expect(text()).toBe(expected);
    });

    test("interval probes fire on the caller's clock, elapsed counts from BEGIN", async () => {
      const { t, text } = await trace(
        'interval:ms:250 { printf("tick %d\\n", elapsed / 1000000) } END { printf("end %d\\n", elapsed / 1000000) }',
        engine,
      );
      const start = 5_000_000_000n;
      t.begin(start);
      t.advance(start + 1_100_000_000n);
      t.finish(start + 1_100_000_000n);
      expect(text()).toBe("tick 250\ntick 500\ntick 750\ntick 1000\nend 1100\n\n\n");
    });

    test("the packet probe's return value is the verdict; predicates skip to 0", async () => {
      const { t } = await trace("packet /len > 3/ { return len * 2 }", engine);
      expect(t.packet(new Uint8Array(10))).toBe(20n);
      expect(t.packet(new Uint8Array(2))).toBe(0n);
    });

    test("print, clear and zero act in order with printf", async () => {
      const { t, text } = await trace(
        'probe:p { @n[arg0] = count(); printf("x\\n"); print(@n); if (arg0 == 2) { clear(@n) } if (arg0 == 3) { zero(@n) } }',
        engine,
      );
      t.fire("p", 1);
      t.fire("p", 2);
      t.fire("p", 1);
      t.fire("p", 3);
      t.finish();
      expect(text()).toBe(
        [
          "x\n",
          "@n[1]: 1\n",
          "x\n",
          "@n[1]: 1\n@n[2]: 1\n",
          "x\n",
          "@n[1]: 1\n",
          "x\n",
          "@n[1]: 1\n@n[3]: 1\n",
          "\n\n",
          "@n[1]: 0\n@n[3]: 0\n",
        ].join(""),
      );
    });

    test("exit() in BEGIN skips everything but END", async () => {
      const { t, text } = await trace("BEGIN { @a = 1; exit(); @b = 2 } probe:x { @c = 3 } END { @d = 4 }", engine);
      t.begin(0n);
      t.fire("x");
      t.finish();
      // @b and @c stay empty: one line break each, as bpftrace prints an empty map
      expect(text()).toBe("\n\n@a: 1\n\n\n@d: 4\n");
    });

    test("comm, pid and string keys", async () => {
      const { t, text } = await trace('BEGIN { @[comm, "k"] = count(); @p = pid > 0 }', engine);
      t.finish();
      expect(text()).toBe("\n\n@[tinybpf, k]: 1\n@p: 1\n");
    });
  });
}
