// The daemon's client commands, loaded only when one of them runs (`serve`, the daemon itself, is in
// serve-daemon.ts): `modules`, `links` and `tables` talk to it over HTTP; `push` and `pull` move objects in and out of its registry, checking every object
// against its SHA-256 digest.
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { type Args, type Command, type Out, UsageError, readInput } from "./args.js";

async function client(args: Args) {
  const { Client } = await import("../serve/client.js");
  return new Client({
    server: args.options.get("server"),
    tokenFile: args.options.get("token-file"),
    dataDir: args.options.get("data"),
  });
}

/** A module given by id or by name. */
async function moduleId(c: { json: (m: string, p: string) => Promise<unknown> }, ref: string): Promise<string> {
  if (/^[0-9a-f]{12}$/.test(ref)) return ref;
  const mods = (await c.json("GET", "/modules")) as { id: string; name: string }[];
  const m = mods.find((x) => x.name === ref);
  if (!m) throw new Error(`no module named '${ref}'`);
  return m.id;
}

const enc = encodeURIComponent;
const print = (args: Args, out: Out, value: unknown, text: () => string[]) => {
  if (args.options.has("json")) out(JSON.stringify(value));
  else for (const line of text()) out(line);
};

type ModuleJson = {
  id: string;
  name: string;
  digest: string;
  programs: { name: string; type: string }[];
  maps: string[];
  runs: number;
  faults: number;
  lastFault: string | null;
};
type LinkJson = {
  id: string;
  module: string;
  program: string;
  source: string;
  state: string;
  runs: number;
  faults: number;
  lastR0: string | null;
  lastFault: string | null;
  error: string | null; // why a live capture failed
  capture: string | null; // how an iface: link reads packets
};

const moduleLine = (m: ModuleJson) =>
  `${m.id}  ${m.name}  ${m.digest.slice(0, 19)}  programs ${m.programs.map((p) => `${p.name} (${p.type})`).join(", ")}  ` +
  `maps ${m.maps.join(", ") || "-"}  runs ${m.runs}  faults ${m.faults}${m.lastFault ? `  last fault: ${m.lastFault}` : ""}`;
const linkLine = (l: LinkJson) =>
  `${l.id}  ${l.module}/${l.program}  ${l.source}${l.capture ? ` (${l.capture})` : ""}  ${l.state}  runs ${l.runs}  faults ${l.faults}  last r0 ${l.lastR0 ?? "-"}` +
  `${l.lastFault ? `  last fault: ${l.lastFault}` : ""}${l.error ? `  error: ${l.error}` : ""}`;

export const commands: Record<string, Command> = {
  async modules(args, out) {
    const c = await client(args);
    const [sub = "ls", ref] = args.positional;
    switch (sub) {
      case "ls": {
        const mods = (await c.json("GET", "/modules")) as ModuleJson[];
        print(args, out, mods, () => (mods.length ? mods.map(moduleLine) : ["(no modules)"]));
        return 0;
      }
      case "add": {
        const script = args.options.get("script");
        if (!ref && script === undefined)
          throw new UsageError(
            "modules add needs OBJ or --script 'ONE-LINER' [--name NAME] [--budget N] [--hist MAP,...]",
          );
        if (ref && script !== undefined) throw new UsageError("modules add takes OBJ or --script, not both");
        const q = new URLSearchParams();
        for (const k of ["budget", "ncpus", "hist"]) if (args.options.has(k)) q.set(k, args.options.get(k)!);
        let m: ModuleJson;
        if (script !== undefined) {
          const name = args.options.get("name");
          if (!name) throw new UsageError("modules add --script needs --name NAME");
          m = (await c.json("POST", `/modules?${q}`, { name, script })) as ModuleJson;
        } else {
          q.set("name", args.options.get("name") ?? basename(ref).replace(/\.o$/, ""));
          m = (await c.json("POST", `/modules?${q}`, readInput(ref))) as ModuleJson;
        }
        print(args, out, m, () => [moduleLine(m)]);
        return 0;
      }
      case "metrics": {
        if (!ref) throw new UsageError("modules metrics needs a module id or name [CONFIG.json | --clear]");
        const path = `/modules/${await moduleId(c, ref)}/metrics`;
        const file = args.positional[2];
        if (args.options.has("clear")) {
          await c.json("DELETE", path);
          return 0;
        }
        let config: unknown;
        if (file) {
          try {
            config = JSON.parse(Buffer.from(readInput(file)).toString("utf8"));
          } catch (e) {
            throw new Error(`${file}: ${e instanceof SyntaxError ? "not valid JSON" : (e as Error).message}`);
          }
        }
        const got = file ? await c.json("PUT", path, config as object) : await c.json("GET", path);
        out(JSON.stringify(got, null, 2));
        return 0;
      }
      case "show": {
        if (!ref) throw new UsageError("modules show needs a module id or name");
        const m = (await c.json("GET", `/modules/${await moduleId(c, ref)}`)) as ModuleJson;
        print(args, out, m, () => [moduleLine(m)]);
        return 0;
      }
      case "rm": {
        if (!ref) throw new UsageError("modules rm needs a module id or name");
        await c.json("DELETE", `/modules/${await moduleId(c, ref)}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown 'modules' subcommand '${sub}' (ls, add, show, rm, metrics)`);
    }
  },

  async links(args, out) {
    const c = await client(args);
    const [sub = "ls", a, b, source] = args.positional;
    switch (sub) {
      case "ls": {
        const links = (await c.json("GET", "/links")) as LinkJson[];
        print(args, out, links, () => (links.length ? links.map(linkLine) : ["(no links)"]));
        return 0;
      }
      case "add": {
        if (!a || !b || !source)
          throw new UsageError(
            "links add needs MODULE PROG SOURCE (pcap:PATH, iface:NAME, interval:MS, module:ID/PROG)",
          );
        const body: Record<string, unknown> = { module: await moduleId(c, a), program: b, source };
        if (args.options.has("repeat")) body.repeat = Number(args.options.get("repeat"));
        if (args.options.has("via")) body.via = args.options.get("via");
        const l = (await c.json("POST", "/links", body)) as LinkJson;
        print(args, out, l, () => [linkLine(l)]);
        return 0;
      }
      case "show": {
        if (!a) throw new UsageError("links show needs a link id");
        const l = (await c.json("GET", `/links/${enc(a)}`)) as LinkJson;
        print(args, out, l, () => [linkLine(l)]);
        return 0;
      }
      case "rm": {
        if (!a) throw new UsageError("links rm needs a link id");
        await c.json("DELETE", `/links/${enc(a)}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown 'links' subcommand '${sub}' (ls, add, show, rm)`);
    }
  },

  async tables(args, out) {
    const c = await client(args);
    const [ref, map, sub, key, value] = args.positional;
    if (!ref) throw new UsageError("tables needs MODULE [MAP [get KEY | set KEY VALUE | delete KEY]]");
    const base = `/modules/${await moduleId(c, ref)}/tables`;
    type Entry = { key: string; value: string };
    const entryLine = (e: Entry) => `${e.key || "-"}: ${e.value}`;
    if (!map) {
      const ts = (await c.json("GET", base)) as {
        name: string;
        type: string;
        keySize: number;
        valueSize: number;
        maxEntries: number;
      }[];
      print(args, out, ts, () =>
        ts.map((t) => `${t.name} (${t.type}, key ${t.keySize}, value ${t.valueSize}, max_entries ${t.maxEntries})`),
      );
      return 0;
    }
    const path = `${base}/${enc(map)}/entries`;
    if (!sub) {
      const es = (await c.json("GET", path)) as Entry[];
      print(args, out, es, () => (es.length ? es.map(entryLine) : ["(empty)"]));
      return 0;
    }
    if (!key) throw new UsageError(`tables ${sub} needs a key in hex`);
    switch (sub) {
      case "get": {
        const e = (await c.json("GET", `${path}/${enc(key)}`)) as Entry;
        print(args, out, e, () => [entryLine(e)]);
        return 0;
      }
      case "set": {
        if (!value) throw new UsageError("tables set needs KEY VALUE in hex [--flags any|noexist|exist]");
        const e = (await c.json("PUT", `${path}/${enc(key)}`, {
          value,
          flags: args.options.get("flags") ?? "any",
        })) as Entry;
        print(args, out, e, () => [entryLine(e)]);
        return 0;
      }
      case "delete":
        await c.json("DELETE", `${path}/${enc(key)}`);
        return 0;
      default:
        throw new UsageError(`unknown 'tables' subcommand '${sub}' (get, set, delete)`);
    }
  },

  async push(args, out) {
    const [file, ref] = args.positional;
    if (!file || !ref) throw new UsageError("push needs OBJ http://HOST:PORT/NAME:TAG");
    const { parseReference } = await import("../serve/registry.js");
    const { sha256 } = await import("../serve/store.js");
    const r = parseReference(ref);
    const bytes = readInput(file);
    const digest = sha256(bytes);
    const c = await clientFor(args, r.server);
    const got = (await c.json("PUT", `/registry/${enc(r.name)}/${enc(r.tag)}`, bytes, { "X-Digest": digest })) as {
      digest: string;
    };
    if (got.digest !== digest) throw new Error(`the registry stored ${got.digest}, not ${digest}`);
    out(`${r.name}:${r.tag} ${digest}`);
    return 0;
  },

  async pull(args, out) {
    const [ref] = args.positional;
    const dest = args.options.get("o");
    if (!ref || !dest) throw new UsageError("pull needs http://HOST:PORT/NAME:TAG -o FILE");
    const { parseReference } = await import("../serve/registry.js");
    const { sha256 } = await import("../serve/store.js");
    const r = parseReference(ref);
    const c = await clientFor(args, r.server);
    const { digest } = (await c.json("GET", `/registry/${enc(r.name)}/${enc(r.tag)}`)) as { digest: string };
    if (!/^sha256:[0-9a-f]{64}$/.test(digest))
      throw new Error(`the registry answered '${digest}', not a sha256 digest`);
    const res = await c.send("GET", `/blobs/${digest}`);
    if (res.status !== 200) throw new Error(`GET /blobs/${digest}: ${res.status} ${res.body.toString("utf8").trim()}`);
    const bytes = new Uint8Array(res.body);
    // The bytes must be the ones the tag names, whatever the server or the network did to them.
    if (sha256(bytes) !== digest)
      throw new Error(`${r.name}:${r.tag}: content is ${sha256(bytes)}, the tag says ${digest}; not written`);
    writeFileSync(dest, bytes);
    out(`${dest}: ${bytes.length} bytes, ${digest}`);
    return 0;
  },
};

/** The client for a registry reference: its server, with the token from the usual places. */
async function clientFor(args: Args, server: string) {
  const { Client } = await import("../serve/client.js");
  return new Client({ server, tokenFile: args.options.get("token-file"), dataDir: args.options.get("data") });
}
