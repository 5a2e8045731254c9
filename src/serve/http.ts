// HTTP plumbing shared by the daemon's routes: errors as a status and a one-line JSON body, bodies read with a
// hard size limit.
import type { IncomingMessage, ServerResponse } from "node:http";

/** An error the client caused or may see: its status and one line of text, never a stack trace. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The first line of any error's message: what a client is shown. */
export const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0];

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: message });
}

/** What is read and thrown away of a body over the limit, so that the client gets its 413 before the socket closes. */
const DISCARD_LIMIT = 16 << 20;

/** The request body, at most `limit` bytes; a larger one is a 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? -1);
    const tooLarge = () => new HttpError(413, `body over ${limit} bytes`);
    if (declared > DISCARD_LIMIT) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DISCARD_LIMIT) req.destroy();
    });
    req.on("end", () => (size > limit ? reject(tooLarge()) : resolve(new Uint8Array(Buffer.concat(chunks)))));
    req.on("error", reject);
    req.on("close", () => reject(size > limit ? tooLarge() : new HttpError(400, "request body incomplete")));
  });
}

/** A JSON object body, at most `limit` bytes. */
export async function readJson(req: IncomingMessage, limit = 64 << 10): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new HttpError(400, "body must be a JSON object");
  return value as Record<string, unknown>;
}
