// The library API (dist/src/index.js) in this process on the device against the same calls in the host's
// reference node: the same programs, maps, map contents and results for the committed fixture objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, apiScenario, referenceNode, runNode, scenarioErrors } from "./common.mjs";

test("load() gives the same programs, maps and results as on the host", async () => {
  const script = `import { apiScenario } from ${JSON.stringify(new URL("./common.mjs", import.meta.url).href)};
process.stdout.write(JSON.stringify(await apiScenario()));`;
  const host = runNode(referenceNode(), ["--input-type=module", "-e", script]);
  assert.equal(host.status, 0, `the host run failed:\n${host.stderr}`);
  const expected = JSON.parse(host.stdout);
  assert.deepEqual(scenarioErrors(expected), [], `the API failed on the host (${API})`);
  assert.ok(expected.sockex1Run.packets > 0 && expected.sockex1Run.r0.length === expected.sockex1Run.packets);

  const actual = JSON.parse(JSON.stringify(await apiScenario()));
  assert.deepEqual(scenarioErrors(actual), [], "the API failed on the device");
  assert.deepEqual(actual, expected);
});
