// The library API (dist/src/index.js) in this process on the device against the same calls in the host's
// reference node: the same programs, maps, map contents and run results for the committed fixture objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { apiScenario, loadErrors, referenceNode, runNode } from "./common.mjs";

test("load() and run() give the same programs, maps and results as on the host", async (t) => {
  const script = `import { apiScenario } from ${JSON.stringify(new URL("./common.mjs", import.meta.url).href)};
process.stdout.write(JSON.stringify(await apiScenario()));`;
  const host = runNode(referenceNode(), ["--input-type=module", "-e", script]);
  assert.equal(host.status, 0, `the host run failed:\n${host.stderr}`);
  const expected = JSON.parse(host.stdout);
  for (const e of loadErrors(expected)) t.diagnostic(`does not load on the host either: ${e}`);

  // The comparison must not be vacuous: the socket filter and the XDP program load and run cleanly on the host,
  // and sockex1 counts some bytes.
  for (const name of ["sockex1.o", "xdp.o"]) {
    assert.ok(!("error" in expected[name]), `${name} does not load on the host: ${expected[name].error}`);
    const runs = Object.values(expected[name].runs).flat();
    assert.equal(runs.length, expected.packets, `${name}: one run per packet`);
    assert.deepEqual(
      runs.filter((r) => typeof r === "object"),
      [],
      `${name} faults on the host`,
    );
  }
  const counted = expected["sockex1.o"].mapsAfter.my_map.reduce((n, [, v]) => n + BigInt(v.replace(/n$/, "")), 0n);
  assert.ok(counted > 0n, "sockex1 counted no bytes on the host");

  const actual = JSON.parse(JSON.stringify(await apiScenario()));
  assert.deepEqual(actual, expected);
});
