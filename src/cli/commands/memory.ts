// isoswarm memory set|get|delete|list|query|export|import|stats
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new CliError(`--limit must be a positive whole number (got "${v}")`, EXIT.usage);
  return n;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`value is not valid JSON (${(e as Error).message}); quote strings, e.g. '"text"'`, EXIT.usage);
  }
}

async function validKey(key: string): Promise<string> {
  const { memoryKeySchema } = await import('../../schemas/memory-records.js');
  const r = memoryKeySchema.safeParse(key);
  if (!r.success) throw new CliError(`bad key "${key}": ${r.error.issues[0]?.message}`, EXIT.usage);
  return key;
}

async function readAll(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  const { readFile } = await import('node:fs/promises');
  return readFile(file, 'utf8').catch((e: Error) => {
    throw new CliError(`cannot read ${file}: ${e.message}`, EXIT.usage);
  });
}

const context = () => import('../context.js');

export function registerMemory(program: Command, globals: () => GlobalOptions): void {
  const mem = program.command('memory').description('read and write the swarm memory (LMDB); values are JSON');
  const access = () => import('../memory-access.js');

  mem
    .command('set <key> <value>')
    .description('store a JSON value (strings need quotes: \'"text"\'); optimization/* records are validated')
    .option('--json', 'print the stored entry as JSON')
    .action(async (key: string, text: string, o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const value = parseValue(text);
      await validKey(key);
      const w = await (await access()).openWriter(ctx);
      try {
        const e = await w.set(key, value);
        if (o.json) printJson({ ...e, via: w.via });
        else printLine(`stored ${key} (${w.via})`);
      } finally {
        await w.close();
      }
    });

  mem
    .command('get <key>')
    .description('print the value stored under a key (exit 1 when absent)')
    .option('--json', 'print the whole entry (key, value, updatedAt) as JSON')
    .action(async (key: string, o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      await validKey(key);
      const e = (await (await access()).openReader(ctx))?.get(key);
      if (!e) throw new CliError(`no memory entry "${key}"`, EXIT.failed);
      if (o.json) printJson(e);
      else printLine(JSON.stringify(e.value, null, 2));
    });

  mem
    .command('delete <key>')
    .description('delete a key (exit 1 when absent)')
    .action(async (key: string) => {
      const ctx = (await context()).cliContext(globals());
      await validKey(key);
      const w = await (await access()).openWriter(ctx);
      try {
        if (!(await w.delete(key))) throw new CliError(`no memory entry "${key}"`, EXIT.failed);
        printLine(`deleted ${key}`);
      } finally {
        await w.close();
      }
    });

  mem
    .command('list')
    .description('list keys (with --json, entries)')
    .option('--prefix <p>', 'only keys starting with this', '')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--json', 'print entries as JSON')
    .action(async (o: { prefix: string; limit?: number; json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const entries = (await (await access()).openReader(ctx))?.list(o.prefix, o.limit) ?? [];
      if (o.json) printJson(entries);
      else for (const e of entries) printLine(`${e.key}\t${e.updatedAt}`);
    });

  mem
    .command('query [prefix]')
    .description('entries under a prefix whose fields match every --where FIELD OP VALUE (OP: = != > >= < <= ~)')
    .option('--where <filter...>', 'e.g. --where strategies.umount.successes>=1 fsType=tmpfs', [])
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--json', 'print as JSON (default prints key and value per line)')
    .action(async (prefix: string | undefined, o: { where: string[]; limit?: number; json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      let entries;
      try {
        entries = (await (await access()).openReader(ctx))?.query(prefix ?? '', o.where, o.limit) ?? [];
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      }
      if (o.json) printJson(entries);
      else for (const e of entries) printLine(`${e.key}\t${JSON.stringify(e.value)}`);
    });

  mem
    .command('export')
    .description('write entries as JSON lines ({"key","value","updatedAt"}) to stdout or --out')
    .option('--prefix <p>', 'only keys starting with this', '')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (o: { prefix: string; out?: string }) => {
      const ctx = (await context()).cliContext(globals());
      const entries = (await (await access()).openReader(ctx))?.list(o.prefix) ?? [];
      const text = entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
      if (o.out) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(o.out, text, { mode: 0o600 });
        process.stderr.write(`exported ${entries.length} entries to ${o.out}\n`);
      } else process.stdout.write(text);
    });

  mem
    .command('import <file>')
    .description('read JSON lines written by export (- for stdin); all lines are checked before any is written')
    .action(async (file: string) => {
      const ctx = (await context()).cliContext(globals());
      const { entrySchema } = await import('../../schemas/memory-ops.js');
      const lines = (await readAll(file)).split('\n').filter((l) => l.trim());
      const entries = lines.map((l, i) => {
        let v: unknown;
        try {
          v = JSON.parse(l);
        } catch (e) {
          throw new CliError(`line ${i + 1}: not JSON (${(e as Error).message}); nothing imported`, EXIT.usage);
        }
        const r = entrySchema.safeParse(v);
        if (!r.success)
          throw new CliError(
            `line ${i + 1}: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}; nothing imported`,
            EXIT.usage,
          );
        return r.data;
      });
      const w = await (await access()).openWriter(ctx);
      try {
        printLine(`imported ${await w.importEntries(entries)} entries (${w.via})`);
      } finally {
        await w.close();
      }
    });

  mem
    .command('stats')
    .description('entries, size and location of the memory')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const r = await (await access()).openReader(ctx);
      const s = r
        ? { ...r.store.stats(), byNamespace: namespaces(r.list('')) }
        : { entries: 0, path: ctx.paths.memory, byNamespace: {} };
      if (o.json) printJson(s);
      else {
        printLine(`memory at ${s.path}: ${s.entries} entries`);
        for (const [ns, n] of Object.entries(s.byNamespace)) printLine(`  ${ns.padEnd(28)} ${n}`);
      }
    });
}

function namespaces(entries: { key: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const parts = e.key.split('/');
    const ns = parts[0] === 'optimization' && parts.length > 1 ? `optimization/${parts[1]}` : (parts[0] ?? '');
    out[ns] = (out[ns] ?? 0) + 1;
  }
  return out;
}
