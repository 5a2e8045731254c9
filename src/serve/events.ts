// Server-sent events: ring-buffer and perf records, printk lines and faults, pushed to every subscriber as they
// happen. Bounded: a limited number of subscribers, and one that stops reading is dropped rather than buffered
// without end.
import type { ServerResponse } from "node:http";

export interface DaemonEvent {
  type: "ringbuf" | "perf" | "printk" | "fault" | "snapshot";
  module: string; // module id
  name: string; // module name
  [field: string]: unknown;
}

const MAX_SUBSCRIBERS = 32;
const MAX_BUFFERED = 1 << 20;
const KEEPALIVE_MS = 15_000;

interface Subscriber {
  res: ServerResponse;
  module?: string;
}

export class EventHub {
  private subscribers = new Set<Subscriber>();
  private seq = 0;
  private keepalive: NodeJS.Timeout;
  published = 0;
  dropped = 0;

  constructor() {
    // A comment line now and then keeps proxies and idle timers from closing a quiet stream.
    this.keepalive = setInterval(() => {
      for (const s of this.subscribers) this.write(s, ": keepalive\n\n");
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  get size(): number {
    return this.subscribers.size;
  }
  get full(): boolean {
    return this.subscribers.size >= MAX_SUBSCRIBERS;
  }

  /** Turns `res` into an event stream, optionally only for one module's events. */
  subscribe(res: ServerResponse, module?: string): void {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
    res.write(": tinybpf events\n\n");
    const s: Subscriber = { res, module };
    this.subscribers.add(s);
    res.on("close", () => this.subscribers.delete(s));
  }

  publish(event: DaemonEvent): void {
    this.published++;
    const text = `id: ${++this.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const s of this.subscribers) if (!s.module || s.module === event.module) this.write(s, text);
  }

  private write(s: Subscriber, text: string): void {
    if (s.res.writableLength > MAX_BUFFERED) {
      this.dropped++;
      this.subscribers.delete(s);
      s.res.destroy();
      return;
    }
    s.res.write(text);
  }

  close(): void {
    clearInterval(this.keepalive);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }
}
