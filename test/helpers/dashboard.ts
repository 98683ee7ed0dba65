// Dashboard tests: plain HTTP requests (any Host header, no cookie jar) and a long-running
// `isoswarm dashboard|metrics` process started the way a person would, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { CLI } from './cli.js';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line (`name{labels} value`), or null when absent. */
export function metricValue(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

export interface ServeProcess {
  url: string;
  metrics: string;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `isoswarm <args> --json` and waits for the line saying where it listens. */
export function startServe(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 30_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const stop = async (): Promise<number | null> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    };
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`isoswarm ${args.join(' ')} did not say where it listens within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let v: { url: string; metrics: string };
      try {
        v = JSON.parse(out) as { url: string; metrics: string }; // whole once the object is complete
      } catch {
        return;
      }
      clearTimeout(timer);
      resolve({ url: v.url, metrics: v.metrics, child, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`isoswarm ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}
