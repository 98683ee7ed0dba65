// The content key of a debootstrap call: everything that decides the root it makes. Files are keyed
// by their content (the suite script, the keyring), the mirror by the sha256 of its InRelease (or
// Release) for the suite, so a new archive state is a new key; the tool by its version.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { run } from '../../src/host/exec.js';
import type { RootSpec } from '../../src/host/cache/root-store.js';
import type { DebootstrapCall } from './debootstrap-args.js';

const DEF_MIRROR = 'http://deb.debian.org/debian';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function fileSha(path: string): string | null {
  try {
    return sha(readFileSync(path));
  } catch {
    return null;
  }
}

/** The mirror's signed index for a suite: InRelease, else Release; null with the reason when neither is there. */
async function releaseSha(
  mirror: string,
  suite: string,
  fetchMs: number,
): Promise<{ sha: string; file: string } | { error: string }> {
  const base = mirror.replace(/\/+$/, '');
  const errors: string[] = [];
  for (const f of ['InRelease', 'Release']) {
    const url = `${base}/dists/${suite}/${f}`;
    try {
      if (url.startsWith('file://')) return { sha: sha(readFileSync(new URL(url))), file: url };
      const r = await fetch(url, { signal: AbortSignal.timeout(fetchMs) });
      if (r.ok) return { sha: sha(Buffer.from(await r.arrayBuffer())), file: url };
      errors.push(`${f}: HTTP ${r.status}`);
    } catch (e) {
      errors.push(`${f}: ${(e as Error).message}`);
    }
  }
  return { error: `the mirror's release index for ${suite} could not be read (${errors.join('; ')})` };
}

export type SpecResult = { ok: true; key: string; spec: RootSpec; target: string } | { ok: false; reason: string };

export interface SpecContext {
  cwd: string;
  toolVersion: string;
  debootstrapDir: string | null;
  fetchMs?: number;
}

/** Builds the spec and its key; anything that cannot be pinned down makes the call uncacheable. */
export async function rootSpec(c: DebootstrapCall, ctx: SpecContext): Promise<SpecResult> {
  const scriptsDir = join(ctx.debootstrapDir ?? '/usr/share/debootstrap', 'scripts');
  const scriptPath = c.script ? resolve(ctx.cwd, c.script) : join(scriptsDir, c.suite);
  let scriptText: string;
  try {
    scriptText = readFileSync(scriptPath, 'utf8');
  } catch {
    return { ok: false, reason: `no debootstrap script ${scriptPath}` };
  }
  let mirror = c.mirror;
  if (!mirror) {
    const defaults = [...scriptText.matchAll(/^\s*default_mirror\s+(\S+)/gm)].map((m) => m[1]!);
    if (defaults.length > 1)
      return { ok: false, reason: 'the suite script chooses its mirror at run time: give the mirror' };
    mirror = defaults[0] ?? DEF_MIRROR;
  }
  if (!/^(https?|file):\/\/\S+$/.test(mirror))
    return { ok: false, reason: `mirror ${mirror} is not an http(s) or file URL` };
  let arch = c.arch;
  if (!arch) {
    const r = await run('dpkg', ['--print-architecture'], { timeout: 10_000 });
    if (r.exitCode !== 0)
      return { ok: false, reason: 'the host architecture is unknown (dpkg --print-architecture failed)' };
    arch = r.stdout.trim();
  }
  const release = await releaseSha(mirror, c.suite, ctx.fetchMs ?? 15_000);
  if ('error' in release) return { ok: false, reason: release.error };
  const extra: string[] = [];
  for (const s of c.extraSuites) {
    const r = await releaseSha(mirror, s, ctx.fetchMs ?? 15_000);
    if ('error' in r) return { ok: false, reason: r.error };
    extra.push(`${s}:${r.sha}`);
  }
  const keyringPath = c.keyring ?? /^\s*keyring\s+(\S+)/m.exec(scriptText)?.[1] ?? null;
  const keyring = keyringPath
    ? (fileSha(isAbsolute(keyringPath) ? keyringPath : resolve(ctx.cwd, keyringPath)) ?? `missing:${keyringPath}`)
    : null;
  const spec: RootSpec = {
    tool: 'debootstrap',
    toolVersion: ctx.toolVersion,
    suite: c.suite,
    variant: c.variant,
    arch,
    components: c.components,
    include: c.include,
    exclude: c.exclude,
    extraSuites: extra,
    mirror,
    release: release.sha,
    script: `${c.script ? 'given' : 'suite'}:${sha(scriptText)}`,
    keyring,
    extractor: c.extractor,
    mergedUsr: c.mergedUsr,
    checkGpg: c.checkGpg,
    resolveDeps: c.resolveDeps,
    keepDebootstrapDir: c.keepDebootstrapDir,
    debootstrapDir: ctx.debootstrapDir,
  };
  const canon = JSON.stringify(
    Object.keys(spec)
      .sort()
      .map((k) => [k, spec[k]]),
  );
  return { ok: true, key: sha(canon).slice(0, 32), spec, target: resolve(ctx.cwd, c.target) };
}
