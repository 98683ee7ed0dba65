// Server-sent events to open pages: a snapshot on connect, then each model update as it happens,
// serialized once for all pages. A comment line every 25 s keeps proxies from closing the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Feeds } from './feeds.js';
import type { DashboardModel } from './model.js';

const HEARTBEAT_MS = 25_000;
/** A page that stopped reading (this much unsent) is dropped rather than buffered without end. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onUpdate = (name: string, data: unknown): void => this.broadcast(name, data);

  constructor(
    private readonly model: DashboardModel,
    private readonly feeds: Feeds,
  ) {
    model.on('update', this.onUpdate);
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.model.snapshot())}\n\n`);
    this.clients.add(res);
    this.feeds.watch(1);
    req.socket.setNoDelay(true);
    const gone = (): void => {
      if (!this.clients.delete(res)) return;
      this.feeds.watch(-1);
    };
    req.once('close', gone);
    res.once('close', gone);
    // A page that went away mid-write must never take the process serving it (the coordinator) down.
    res.on('error', gone);
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.model.off('update', this.onUpdate);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(name: string, data: unknown): void {
    if (!this.clients.size) return;
    this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): void {
    for (const res of this.clients) {
      if (res.destroyed || res.writableEnded) continue; // its 'close' is on the way
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }
}
