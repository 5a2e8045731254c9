// The daemon's bearer token: created once (random, mode 0600) in the data directory, checked on every API request
// in constant time. A daemon that listens beyond loopback must find the token already there, so that nobody
// exposes an API whose secret was only ever printed to one terminal.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./store.js";

export const TOKEN_FILE = "token";

/** Loopback addresses: the only ones a daemon may listen on before a token file exists. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Reads the token, refusing a file others can read or one too short to be a secret. */
export function readToken(path: string): string {
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0)
    throw new Error(`${path}: readable by others (mode 0${(statSync(path).mode & 0o777).toString(8)}); chmod 600 it`);
  const token = readFileSync(path, "utf8").trim();
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) throw new Error(`${path}: not a token (16 to 256 printable characters)`);
  return token;
}

/**
 * The token for a daemon listening on `host`: the existing one, or (loopback only) a new one written with mode
 * 0600. Returns whether it was created, so that the caller can say where it is.
 */
export function ensureToken(dataDir: string, host: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) return { token: readToken(path), path, created: false };
  if (!isLoopback(host)) {
    throw new Error(
      `refusing to listen on ${host} (not loopback) without a token file: create ${path} (mode 0600) first`,
    );
  }
  const token = randomBytes(32).toString("hex");
  writeFileAtomic(path, token + "\n", 0o600);
  return { token, path, created: true };
}

/** Whether an Authorization header carries `token` as a bearer token (constant time in the token's length). */
export function authorized(header: string | undefined, token: string): boolean {
  if (!header || !header.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
