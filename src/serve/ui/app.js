// tinybpf serve's web UI: talks to the daemon's API with the token the user gives (kept in this browser's
// localStorage), refreshes modules, links and tables every second, and tails the event stream.
"use strict";
const $ = (sel) => document.querySelector(sel);
let token = localStorage.getItem("tinybpf-token") || "";
let modules = [];
let streaming = false;
let refreshing = false;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function status(text, error) {
  $("#status").textContent = text;
  $("#status").className = error ? "error" : "";
}

async function api(method, path, body, type) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = type || "application/json";
  const res = await fetch(path, { method, headers, body: type || body === undefined ? body : JSON.stringify(body) });
  if (res.status === 204) return undefined;
  const json = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

// Keys and values arrive as stored bytes in hex, little-endian: 1-, 2-, 4- and 8-byte items read as numbers.
function number(hex) {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}
const isInt = (size) => size === 1 || size === 2 || size === 4 || size === 8;
function show(hex, size, ncpus) {
  if (!isInt(size)) return hex;
  if (ncpus > 1 && hex.length === size * 2 * ncpus) {
    let sum = 0n;
    for (let c = 0; c < ncpus; c++) sum += number(hex.slice(c * size * 2, (c + 1) * size * 2));
    return sum.toString();
  }
  return number(hex).toString();
}

function renderModules() {
  const body = $("#modules tbody");
  body.replaceChildren(
    ...modules.map((m) =>
      el(
        "tr",
        { "data-module": m.name },
        el("td", {}, m.name),
        el("td", {}, m.id),
        el("td", {}, m.programs.map((p) => `${p.name} (${p.type})`).join(", ")),
        el("td", { class: "num runs" }, m.runs),
        el("td", { class: "num" }, m.faults),
        el("td", { class: "fault" }, m.lastFault || ""),
        el("td", {}, el("button", { onclick: () => removeModule(m) }, "Delete")),
      ),
    ),
  );
  const select = $("#attach-module");
  const chosen = select.value;
  select.replaceChildren(...modules.map((m) => el("option", { value: m.id }, m.name)));
  if (modules.some((m) => m.id === chosen)) select.value = chosen;
  renderPrograms();
}

function renderPrograms() {
  const m = modules.find((x) => x.id === $("#attach-module").value);
  const select = $("#attach-program");
  const chosen = select.value;
  select.replaceChildren(...(m ? m.programs : []).map((p) => el("option", { value: p.name }, p.name)));
  if (m && m.programs.some((p) => p.name === chosen)) select.value = chosen;
}

function renderLinks(links) {
  const name = (id) => (modules.find((m) => m.id === id) || { name: id }).name;
  $("#links tbody").replaceChildren(
    ...links.map((l) =>
      el(
        "tr",
        { "data-link": l.id },
        el("td", {}, l.id),
        el("td", {}, name(l.module)),
        el("td", {}, l.program),
        el("td", {}, l.capture ? `${l.source} (${l.capture})` : l.source), // how an iface: link reads packets
        el("td", { class: "state" }, l.state),
        el("td", { class: "num runs" }, l.runs),
        el("td", { class: "num" }, l.lastR0 ?? "-"),
        el("td", { class: "fault" }, l.error || l.lastFault || ""),
        el("td", {}, el("button", { onclick: () => detach(l) }, "Detach")),
      ),
    ),
  );
}

// A log2 histogram as bars: slot k holds values from 2^(k-1) to 2^k - 1.
function histogram(entries, table) {
  const counts = [];
  for (const e of entries) counts[Number(number(e.key))] = Number(show(e.value, table.valueSize, table.ncpus));
  const max = Math.max(1, ...counts.filter((c) => c !== undefined));
  const rows = [];
  for (let k = 1; k < counts.length; k++) {
    const c = counts[k] || 0;
    rows.push(
      el(
        "tr",
        {},
        el("td", { class: "num" }, `${k === 1 ? 0 : 2 ** (k - 1)} -> ${2 ** k - 1}`),
        el("td", { class: "num" }, c),
        el("td", {}, el("span", { class: "bar", style: `width:${Math.round((300 * c) / max)}px` })),
      ),
    );
  }
  return el(
    "table",
    { class: "hist", "data-table": table.name },
    el("thead", {}, el("tr", {}, el("th", {}, "value"), el("th", {}, "count"), el("th", {}, "distribution"))),
    el("tbody", {}, ...rows),
  );
}

function entryTable(entries, table) {
  const zeroArray = table.type.endsWith("array") && table.type !== "prog_array";
  const shown = entries.filter((e) => !(zeroArray && /^0*$/.test(e.value)));
  const rows = shown.map((e) =>
    el(
      "tr",
      { "data-key": show(e.key, table.keySize, 1) },
      el("td", { class: "num key" }, e.key ? show(e.key, table.keySize, 1) : "-"),
      el("td", { class: "num value" }, show(e.value, table.valueSize, table.ncpus)),
    ),
  );
  const parts = [
    el(
      "table",
      { "data-table": table.name },
      el("thead", {}, el("tr", {}, el("th", {}, "key"), el("th", {}, "value"))),
      el("tbody", {}, ...rows),
    ),
  ];
  if (entries.length > shown.length)
    parts.push(el("div", { class: "note" }, `(${entries.length - shown.length} zero entries not shown)`));
  if (!entries.length) parts.push(el("div", { class: "note" }, "(empty)"));
  return parts;
}

async function renderTables() {
  const blocks = [];
  for (const m of modules) {
    const tables = await api("GET", `/modules/${m.id}/tables`);
    const block = el("div", { "data-module-tables": m.name }, el("h3", {}, m.name));
    for (const t of tables) {
      if (t.type === "ringbuf" || t.type === "perf_event_array") continue;
      const entries = await api("GET", `/modules/${m.id}/tables/${encodeURIComponent(t.name)}/entries`);
      block.append(el("div", { class: "caption" }, `${t.name} (${t.type}, key ${t.keySize}, value ${t.valueSize})`));
      if ((m.hist || []).includes(t.name)) block.append(histogram(entries, t));
      else block.append(...entryTable(entries, t));
    }
    blocks.push(block);
  }
  $("#tables").replaceChildren(...blocks);
}

async function refresh() {
  if (!token) return status("enter the token from the daemon's data directory", true);
  if (refreshing) return; // a slow daemon: skip a tick rather than pile requests up
  refreshing = true;
  try {
    modules = await api("GET", "/modules");
    renderModules();
    renderLinks(await api("GET", "/links"));
    await renderTables();
    status(`${modules.length} modules, updated ${new Date().toLocaleTimeString()}`);
    if (!streaming) tailEvents();
  } catch (e) {
    status(e.message, true);
  } finally {
    refreshing = false;
  }
}

// Server-sent events read through fetch, so that the token travels in a header and never in a URL.
async function tailEvents() {
  streaming = true;
  const pre = $("#events");
  try {
    const res = await fetch("/events", { headers: { Authorization: "Bearer " + token } });
    if (!res.ok) throw new Error(`events: ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (!type || !data) continue;
        const e = JSON.parse(data[1]);
        const text = e.fault || e.line || `${e.map} ${e.data}`;
        pre.textContent += `${new Date().toLocaleTimeString()} ${e.name} ${type[1]}: ${text}\n`;
        const lines = pre.textContent.split("\n");
        if (lines.length > 200) pre.textContent = lines.slice(-200).join("\n");
        pre.scrollTop = pre.scrollHeight;
      }
    }
  } catch (e) {
    status(e.message, true);
  }
  streaming = false;
}

async function removeModule(m) {
  if (!confirm(`Delete module ${m.name} and its links?`)) return;
  await act(() => api("DELETE", `/modules/${m.id}`));
}

async function detach(l) {
  await act(() => api("DELETE", `/links/${l.id}`));
}

async function act(fn) {
  try {
    await fn();
  } catch (e) {
    status(e.message, true);
    return;
  }
  await refresh();
}

$("#token").value = token;
$("#token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("#token").value.trim();
  localStorage.setItem("tinybpf-token", token);
  refresh();
});
$("#upload").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const file = $("#upload-file").files[0];
  const q = new URLSearchParams({ name: $("#upload-name").value });
  if ($("#upload-hist").value) q.set("hist", $("#upload-hist").value);
  act(async () => api("POST", `/modules?${q}`, await file.arrayBuffer(), "application/octet-stream"));
});
$("#attach-module").addEventListener("change", renderPrograms);
$("#attach").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(() =>
    api("POST", "/links", {
      module: $("#attach-module").value,
      program: $("#attach-program").value,
      source: $("#attach-source").value,
    }),
  );
});
refresh();
setInterval(refresh, 1000);
