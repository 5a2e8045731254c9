// The daemon's on-disk state: object bytes in a content-addressed blob store (blobs/HEX, named by their SHA-256),
// one small JSON record per module, per link and per registry tag. Every file is written whole or not at all
// (temporary file, fsync, rename, fsync of the directory), and a module record is written only after its blob, so
// a daemon killed at any instant restarts with whole modules only; leftover temporary files are removed at start.
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { ExporterConfig } from "./exporter.js";

const TMP_MARK = ".tmp-";

/** Writes `data` to `path` so that a reader (or a restart after a crash) sees the old file or the new one, whole. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}${TMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const fd = openSync(tmp, "wx", mode);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Takes the data directory for this process (DIR/lock holds its pid), so that two daemons never share a store; a
 * lock left by a daemon that is gone (killed with SIGKILL) is taken over. Returns the function that releases it.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (existsSync(path) && readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
      };
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid))
      throw new Error(`${dir} is in use by another tinybpf serve (pid ${pid})`);
    unlinkSync(path);
  }
  throw new Error(`${dir}: could not take ${path}`);
}

export const sha256 = (bytes: Uint8Array): string => "sha256:" + createHash("sha256").update(bytes).digest("hex");

const DIGEST = /^sha256:([0-9a-f]{64})$/;
/** Module, registry and tag names: what fits in a file name and a Prometheus label without escaping. */
export const NAME_RULE = /^[A-Za-z0-9._-]{1,64}$/;
export const validName = (s: string): boolean => NAME_RULE.test(s) && s !== "." && s !== "..";
const ID_RULE = /^[0-9a-f]{12}$/;
export const newId = (): string => randomBytes(6).toString("hex");
export const validId = (s: string): boolean => ID_RULE.test(s);

export interface ModuleRecord {
  id: string;
  name: string;
  digest: string;
  budget: number;
  /** CPUs its per-CPU maps model. */
  ncpus: number;
  /** Maps the module asked to be exported as log2 histograms. */
  hist: string[];
  /** Its metrics config (exporter.ts), when one was set. */
  metrics?: ExporterConfig;
  created: string;
}

export interface LinkRecord {
  id: string;
  module: string;
  program: string;
  source: string;
  repeat: number;
  /** iface: links: the way asked for (native.ts); none: the best one this host has. */
  via?: "native" | "tcpdump";
  created: string;
}

export class Store {
  constructor(readonly dir: string) {
    for (const sub of ["", "blobs", "modules", "links", "registry"])
      mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    this.removeLeftovers(dir);
  }

  /** Temporary files of writes a crash interrupted: never renamed, so never part of the state. */
  private removeLeftovers(dir: string): void {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) this.removeLeftovers(join(dir, e.name));
      else if (e.name.includes(TMP_MARK)) unlinkSync(join(dir, e.name));
    }
  }

  putBlob(bytes: Uint8Array): string {
    const digest = sha256(bytes);
    const path = this.blobPath(digest);
    if (!existsSync(path)) writeFileAtomic(path, bytes, 0o600);
    return digest;
  }

  hasBlob(digest: string): boolean {
    return DIGEST.test(digest) && existsSync(this.blobPath(digest));
  }

  /** The blob's bytes, checked against its name: a damaged disk gives an error, never a different object. */
  getBlob(digest: string): Uint8Array {
    const bytes = new Uint8Array(readFileSync(this.blobPath(digest)));
    if (sha256(bytes) !== digest) throw new Error(`blob ${digest} is damaged (its content has another digest)`);
    return bytes;
  }

  private blobPath(digest: string): string {
    const m = DIGEST.exec(digest);
    if (!m) throw new Error(`'${digest}' is not a sha256:HEX digest`);
    return join(this.dir, "blobs", m[1]);
  }

  saveModule(r: ModuleRecord): void {
    this.saveRecord("modules", r.id, r);
  }
  removeModule(id: string): void {
    this.removeRecord("modules", id);
  }
  modules(): ModuleRecord[] {
    return this.records<ModuleRecord>("modules");
  }

  saveLink(r: LinkRecord): void {
    this.saveRecord("links", r.id, r);
  }
  removeLink(id: string): void {
    this.removeRecord("links", id);
  }
  links(): LinkRecord[] {
    return this.records<LinkRecord>("links");
  }

  /** Registry tags: NAME:TAG -> digest, one file per tag under registry/NAME/. */
  setTag(name: string, tag: string, digest: string): void {
    mkdirSync(join(this.dir, "registry", name), { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.dir, "registry", name, `${tag}.json`), JSON.stringify({ digest }) + "\n", 0o600);
  }

  tag(name: string, tag: string): string | undefined {
    const path = join(this.dir, "registry", name, `${tag}.json`);
    if (!existsSync(path)) return undefined;
    return (JSON.parse(readFileSync(path, "utf8")) as { digest: string }).digest;
  }

  tags(): { name: string; tag: string; digest: string }[] {
    const out: { name: string; tag: string; digest: string }[] = [];
    for (const name of readdirSync(join(this.dir, "registry")).sort()) {
      for (const file of readdirSync(join(this.dir, "registry", name)).sort()) {
        if (!file.endsWith(".json")) continue;
        const tag = file.slice(0, -5);
        out.push({ name, tag, digest: this.tag(name, tag) ?? "" });
      }
    }
    return out;
  }

  private saveRecord(kind: string, id: string, record: object): void {
    writeFileAtomic(join(this.dir, kind, `${id}.json`), JSON.stringify(record) + "\n", 0o600);
  }

  private removeRecord(kind: string, id: string): void {
    const path = join(this.dir, kind, `${id}.json`);
    if (existsSync(path)) unlinkSync(path);
    syncDir(join(this.dir, kind));
  }

  /** Every record of a kind, oldest first. */
  private records<T extends { id: string; created: string }>(kind: string): T[] {
    const out: T[] = [];
    for (const file of readdirSync(join(this.dir, kind))) {
      if (!file.endsWith(".json") || !validId(file.slice(0, -5))) continue;
      out.push(JSON.parse(readFileSync(join(this.dir, kind, file), "utf8")) as T);
    }
    return out.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  }
}
