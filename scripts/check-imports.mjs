#!/usr/bin/env node
// Fails when the project's own modules import each other in a cycle: the import graph must stay a tree (a DAG), so
// that each layer can be read, built and tested without the ones above it.
//
//   node scripts/check-imports.mjs [ROOT]      (part of `npm run check`; ROOT defaults to the repository)
//
// Reads every .ts (not .d.ts), .mts, .js and .mjs file under src/, assembly/, targets/, test/, scripts/ and bench/,
// takes its relative imports (`import ... from "./x.js"`, `import "./x"`, `export ... from "../y"`, and dynamic
// `import("./z.js")` with a literal specifier), and resolves each one to a file in that set: "./x.js" to x.ts (what
// tsc and asc do) or x.js, "./x" to x.ts, x.mts, x.js, x.mjs or x/index.ts. Type-only imports (`import type`,
// `export type ... from`, `import { type A, type B }`, `typeof import(...)`) are left out: they vanish from the
// emitted code and cannot make a module wait for another. Cycles are the strongly connected components of more
// than one file (Tarjan's algorithm), plus a file that imports itself. Each is printed with its files and one path
// around it; the exit status is 1 when there is any.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const SOURCE_DIRS = ["src", "assembly", "targets", "test", "scripts", "bench"];
const EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];

/** Every source file under `dirs` of `root`, as paths relative to root with "/" separators, sorted. */
export function sourceFiles(root, dirs = SOURCE_DIRS) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (EXTENSIONS.some((e) => entry.name.endsWith(e)) && !entry.name.endsWith(".d.ts")) {
        out.push(path);
      }
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir)) && statSync(join(root, dir)).isDirectory()) walk(dir);
  return out.sort();
}

/**
 * `text` with its comments blanked out (strings and template literals kept), so that an import written in a
 * comment does not count. Regular-expression literals are not recognised; none in this project holds a quote that
 * would mislead it.
 */
export function stripComments(text) {
  let out = "";
  let i = 0;
  const templateDepth = []; // brace depth at which each open template literal's ${ ... } started
  let braces = 0;
  const copyString = (quote) => {
    const start = i++;
    while (i < text.length && text[i] !== quote && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
    i++;
    out += text.slice(start, i);
  };
  const copyTemplate = () => {
    // from just after a backtick (or a closing "}") to the end or the next "${"
    const start = i;
    while (i < text.length && text[i] !== "`") {
      if (text[i] === "\\") {
        i += 2;
        continue;
      }
      if (text[i] === "$" && text[i + 1] === "{") {
        i += 2;
        templateDepth.push(braces);
        braces++;
        out += text.slice(start, i);
        return;
      }
      i++;
    }
    i++;
    out += text.slice(start, i);
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'") {
      copyString(c);
    } else if (c === "`") {
      out += c;
      i++;
      copyTemplate();
    } else if (c === "}" && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces - 1) {
      templateDepth.pop();
      braces--;
      out += c;
      i++;
      copyTemplate();
    } else {
      if (c === "{") braces++;
      else if (c === "}") braces--;
      out += c;
      i++;
    }
  }
  return out;
}

// `import CLAUSE from "./x"`, `import "./x"`, `export CLAUSE from "./x"`: a clause is names, braces, commas and "*"
// only, so that a declaration (`export const a = ...`) never runs on into a later statement's specifier.
const STATIC = /(?:^|[\n;])\s*(import|export)\s+([\w$\s{},*]*?)\s*(?:\bfrom\s*)?(["'])(\.{1,2}\/[^"'\n]*)\3/g;
const DYNAMIC = /(\btypeof\s+)?\bimport\s*\(\s*(["'`])(\.{1,2}\/[^"'`\n$]*)\2\s*\)/g;

/** Is an import or export clause type-only (erased from the emitted JavaScript)? */
export function typeOnly(clause) {
  const c = clause.trim();
  if (/^type\b/.test(c) && !/^type\s*,/.test(c) && !/^type\s+from$/.test(c)) return true;
  const braces = c.match(/^\{([^}]*)\}$/);
  if (!braces) return false; // a default or namespace import, or `export *`: a value import
  const names = braces[1]
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => /^type\s/.test(n));
}

/** The relative specifiers `text` imports for their values, in order of appearance. */
export function relativeImports(text) {
  const code = stripComments(text);
  const found = [];
  for (const m of code.matchAll(STATIC)) {
    const [, keyword, clause, , spec] = m;
    if (keyword === "export" && clause.trim() === "") continue; // `export "./x"` is no statement
    if (!typeOnly(clause)) found.push({ index: m.index, spec });
  }
  for (const m of code.matchAll(DYNAMIC)) if (!m[1]) found.push({ index: m.index, spec: m[3] });
  return found.sort((a, b) => a.index - b.index).map((f) => f.spec);
}

/** The file in `files` (a Set of root-relative paths) that `spec`, imported from `from`, names; or undefined. */
export function resolveImport(files, from, spec) {
  const target = relative(".", join(dirname(from), spec))
    .split(sep)
    .join("/");
  const candidates = [];
  if (/\.m?js$/.test(target)) candidates.push(target.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts"));
  candidates.push(target);
  for (const ext of EXTENSIONS) candidates.push(target + ext);
  for (const ext of EXTENSIONS) candidates.push(`${target}/index${ext}`);
  return candidates.find((c) => files.has(c));
}

/** file -> the files it imports (values only), for every source file under `root`. */
export function importGraph(root, dirs = SOURCE_DIRS) {
  const list = sourceFiles(root, dirs);
  const files = new Set(list);
  const graph = new Map();
  for (const file of list) {
    const deps = new Set();
    for (const spec of relativeImports(readFileSync(join(root, file), "utf8"))) {
      const dep = resolveImport(files, file, spec);
      if (dep) deps.add(dep);
    }
    graph.set(file, [...deps].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components, iterative (no recursion limit); returns those that are cycles. */
export function findCycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, index.size);
    low.set(start, index.get(start));
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const deps = graph.get(v) ?? [];
      if (i < deps.length) {
        frame[1]++;
        const w = deps[i];
        if (!index.has(w)) {
          index.set(w, index.size);
          low.set(w, index.get(w));
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v), index.get(w)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) !== index.get(v)) continue;
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** One shortest path from the component's first file back to itself, through the component only. */
export function cyclePath(graph, component) {
  const members = new Set(component);
  const first = component[0];
  const previous = new Map();
  const queue = [first];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === first) {
        const path = [first];
        for (let u = v; u !== first; u = previous.get(u)) path.unshift(u);
        path.unshift(first);
        return path;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [first, first];
}

function main() {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const graph = importGraph(root);
  const cycles = findCycles(graph);
  if (cycles.length === 0) {
    console.log(`import graph: ${graph.size} files, no cycle`);
    return;
  }
  for (const c of cycles) {
    console.error(`import cycle of ${c.length} file${c.length === 1 ? "" : "s"}: ${c.join(", ")}`);
    console.error(`  for example ${cyclePath(graph, c).join(" -> ")}`);
  }
  console.error(`${cycles.length} import cycle${cycles.length === 1 ? "" : "s"} among ${graph.size} files`);
  process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
