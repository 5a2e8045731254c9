// A small registry for objects, content-addressed like an OCI registry: blobs are named by their SHA-256, tags
// (NAME:TAG) point at a digest. Push sends the object with the digest its sender computed and the daemon checks it;
// pull resolves the tag, fetches the blob by digest and checks the bytes against it.
import { loadObject } from "../loader/loader.js";
import { HttpError, oneLine } from "./http.js";
import { sha256, validName, type Store } from "./store.js";

export interface Reference {
  /** http://HOST:PORT */
  server: string;
  name: string;
  tag: string;
}

/** Parses http://HOST:PORT/NAME:TAG (the tag defaults to "latest"). */
export function parseReference(text: string): Reference {
  const m = /^(https?:\/\/[^/]+)\/([^/:]+)(?::([^/:]+))?$/.exec(text);
  if (!m) throw new Error(`'${text}' is not a reference of the form http://HOST:PORT/NAME:TAG`);
  const [, server, name, tag = "latest"] = m;
  if (!validName(name) || !validName(tag)) throw new Error(`'${text}': NAME and TAG must match [A-Za-z0-9._-]{1,64}`);
  return { server, name, tag };
}

function checkNames(name: string, tag: string): void {
  if (!validName(name) || !validName(tag))
    throw new HttpError(400, "registry NAME and TAG must match [A-Za-z0-9._-]{1,64}");
}

/** Stores a pushed object under NAME:TAG once its digest matches what the sender computed and it parses. */
export function push(
  store: Store,
  name: string,
  tag: string,
  bytes: Uint8Array,
  claimed: string | undefined,
): { name: string; tag: string; digest: string } {
  checkNames(name, tag);
  const digest = sha256(bytes);
  if (!claimed) throw new HttpError(400, "push needs an X-Digest header (sha256:HEX of the body)");
  if (claimed !== digest)
    throw new HttpError(400, `digest mismatch: the body is ${digest}, the header says ${claimed}`);
  try {
    loadObject(bytes, name);
  } catch (e) {
    throw new HttpError(400, oneLine(e));
  }
  store.putBlob(bytes);
  store.setTag(name, tag, digest);
  return { name, tag, digest };
}

export function resolveTag(store: Store, name: string, tag: string): { name: string; tag: string; digest: string } {
  checkNames(name, tag);
  const digest = store.tag(name, tag);
  if (!digest) throw new HttpError(404, `no tag ${name}:${tag}`);
  return { name, tag, digest };
}

export function blob(store: Store, digest: string): Uint8Array {
  if (!store.hasBlob(digest)) throw new HttpError(404, `no blob ${digest}`);
  return store.getBlob(digest);
}
