// The web UI in a real headless browser (Debian's chromium driven by playwright-core): upload sockex1.o, attach it
// to the capture, read the byte counts off the page and compare them with the capture's own; a screenshot is
// saved and its path printed. Without chromium the test is skipped (one line), except in CI where it must run.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bitehistSlots, inProcess, sockex1Totals, tempDir } from "./daemon.js";
import { fixture } from "../support/paths.js";
import type { RunningServer } from "../../src/serve/server.js";

const CHROMIUM = "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
if (!present && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: CI must install chromium (apt-get install -y chromium)`);
if (!present) console.log(`skipping the web UI test: no ${CHROMIUM}`);

describe.skipIf(!present)("web UI", () => {
  let s: RunningServer;
  let browser: import("playwright-core").BrowserContext;
  beforeAll(async () => {
    s = await inProcess();
    const { chromium } = await import("playwright-core");
    // a fresh profile directory each time (playwright passes it to chromium as --user-data-dir)
    browser = await chromium.launchPersistentContext(tempDir(), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  test("upload, attach to a capture, read the counts, screenshot", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(s.url + "/");
    await page.fill("#token", s.token);
    await page.click("#token-form button");
    await page.setInputFiles("#upload-file", fixture("sockex1.o"));
    await page.fill("#upload-name", "sockex1");
    await page.click("#upload button");
    await page.waitForSelector('#modules tr[data-module="sockex1"]');
    await page.waitForSelector('#attach-program option[value="bpf_prog1"]', { state: "attached" });
    await page.fill("#attach-source", `pcap:${fixture("pcap/sockex1.pcap")}`);
    await page.click("#attach button");
    await page.waitForFunction(() => document.querySelector("#links tbody tr .state")?.textContent === "done");
    const totals = sockex1Totals();
    const cell = (key: number) =>
      `[data-module-tables="sockex1"] table[data-table="my_map"] tr[data-key="${key}"] .value`;
    // the table refreshes every second: wait for the row of each protocol the capture holds
    const nonzero = totals.flatMap((t, k) => (t > 0n ? [k] : []));
    for (const k of nonzero) await page.waitForSelector(cell(k));
    for (const k of nonzero) expect(await page.textContent(cell(k))).toBe(totals[k].toString());
    expect(await page.textContent("#links tbody tr .runs")).toBe("42");
    expect(await page.locator('[data-module-tables="sockex1"] tr[data-key]').count()).toBe(nonzero.length);
    const shot = join(mkdtempSync(join(tmpdir(), "tinybpf-ui-")), "serve-ui.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    console.log(`web UI screenshot: ${shot}`);
    expect(errors).toEqual([]);
  });

  test("a log2 histogram as bars, ring-buffer records in the events tail, detach and delete", async () => {
    const page = await browser.newPage();
    await page.goto(s.url + "/");
    // the token given in the first test is remembered by this browser profile
    await page.waitForSelector('#modules tr[data-module="sockex1"]');
    await page.setInputFiles("#upload-file", fixture("bitehist.o"));
    await page.fill("#upload-name", "bite");
    await page.fill("#upload-hist", "dist");
    await page.click("#upload button");
    await page.waitForSelector('#attach-module option:text("bite")', { state: "attached" });
    await page.selectOption("#attach-module", { label: "bite" });
    await page.fill("#attach-source", `pcap:${fixture("pcap/sockex1.pcap")}`);
    await page.click("#attach button");
    const slots = bitehistSlots();
    const rows = '[data-module-tables="bite"] table.hist tbody tr';
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel as string).length === n, [
      rows,
      slots.length - 1,
    ] as const);
    const counts = await page.$$eval(rows, (trs) => trs.map((tr) => tr.children[1].textContent));
    expect(counts).toEqual(slots.slice(1).map(String));
    // the bars as laid out: read once the page's refresh (every second) has drawn them, as the widths must be
    const max = Math.max(...slots);
    const want = slots.slice(1).map((c) => Math.round((300 * c) / max));
    const bars = `${rows} .bar`;
    await page
      .waitForFunction(
        ([sel, w]) => {
          const got = [...document.querySelectorAll(sel as string)].map((b) => (b as HTMLElement).offsetWidth);
          return got.length === (w as number[]).length && got.every((x, i) => x === (w as number[])[i]);
        },
        [bars, want] as const,
        { timeout: 10_000 },
      )
      .catch(() => {});
    const widths = await page.$$eval(bars, (els) => els.map((b) => (b as HTMLElement).offsetWidth));
    expect(widths).toEqual(want);

    await page.setInputFiles("#upload-file", fixture("ringbuf.o"));
    await page.fill("#upload-name", "ring");
    await page.fill("#upload-hist", "");
    await page.click("#upload button");
    await page.waitForSelector('#attach-module option:text("ring")', { state: "attached" });
    await page.selectOption("#attach-module", { label: "ring" });
    await page.fill("#attach-source", "interval:50");
    await page.click("#attach button");
    // with no input, produce outputs only its summary {count 0, odd 0}
    await page.waitForFunction(() =>
      /ring ringbuf: events 0000000000000000/.test(document.querySelector("#events")!.textContent ?? ""),
    );
    const shot = join(mkdtempSync(join(tmpdir(), "tinybpf-ui-")), "serve-ui-hist.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`web UI screenshot: ${shot}`);

    // detach the timer link, then delete the module (after the page's confirmation)
    const ring = [...s.daemon.modules.values()].find((m) => m.name === "ring")!;
    const tick = [...s.daemon.links.values()].find((l) => l.record.module === ring.id)!;
    await page.click(`#links tr[data-link="${tick.id}"] button`);
    await page.waitForSelector(`#links tr[data-link="${tick.id}"]`, { state: "detached" });
    expect(s.daemon.links.has(tick.id)).toBe(false);
    page.once("dialog", (d) => void d.accept());
    await page.click('#modules tr[data-module="ring"] button');
    await page.waitForSelector('#modules tr[data-module="ring"]', { state: "detached" });
    expect(s.daemon.modules.has(ring.id)).toBe(false);
  });

  test("the UI's files are served without the token, and are small", async () => {
    let total = 0;
    for (const path of ["/", "/app.js", "/app.css"]) {
      const res = await fetch(s.url + path);
      expect(res.status).toBe(200);
      total += (await res.arrayBuffer()).byteLength;
    }
    expect(total).toBeLessThan(16 * 1024);
  });
});
