// A debootstrap command line, read the way debootstrap reads it (`--opt=value` or `--opt value`;
// SUITE TARGET [MIRROR [SCRIPT]]), into what decides the root it makes. Calls whose result is not a
// finished root (--foreign, --download-only, --make-tarball, ...) or that carry an option this reader
// does not know are not cacheable: the real tool runs as asked.

export interface DebootstrapCall {
  suite: string;
  target: string;
  mirror: string | null;
  script: string | null;
  arch: string | null;
  variant: string | null;
  include: string[];
  exclude: string[];
  components: string[];
  extraSuites: string[];
  keyring: string | null;
  extractor: string | null;
  mergedUsr: 'default' | 'yes' | 'no';
  checkGpg: 'default' | 'no' | 'force';
  resolveDeps: 'default' | 'yes' | 'no';
  keepDebootstrapDir: boolean;
}

export type ParsedCall = { ok: true; call: DebootstrapCall } | { ok: false; reason: string };

/** Options that take a value; the ones in NOT_A_ROOT make no finished root. */
const VALUED = new Set([
  'arch',
  'extractor',
  'include',
  'exclude',
  'extra-suites',
  'components',
  'variant',
  'cache-dir',
  'keyring',
  'certificate',
  'private-key',
  'inrelease-path',
  'second-stage-target',
  'make-tarball',
  'unpack-tarball',
]);
const NOT_A_ROOT = new Set([
  'foreign',
  'second-stage',
  'second-stage-target',
  'print-debs',
  'download-only',
  'make-tarball',
  'unpack-tarball',
  'debian-installer',
  'inrelease-path',
  'help',
  'version',
]);
/** Options that change how packages are fetched or what is printed, never the root. */
const NO_EFFECT = new Set([
  'cache-dir',
  'certificate',
  'private-key',
  'no-check-certificate',
  'verbose',
  'log-extra-deps',
]);

const list = (v: string) =>
  v
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function parseDebootstrapArgs(args: readonly string[]): ParsedCall {
  const c: Omit<DebootstrapCall, 'suite' | 'target' | 'mirror' | 'script'> = {
    arch: null,
    variant: null,
    include: [],
    exclude: [],
    components: [],
    extraSuites: [],
    keyring: null,
    extractor: null,
    mergedUsr: 'default',
    checkGpg: 'default',
    resolveDeps: 'default',
    keepDebootstrapDir: false,
  };
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--') || a === '--') {
      if (a === '--') {
        pos.push(...args.slice(i + 1));
        break;
      }
      if (a.startsWith('-') && a !== '-') return { ok: false, reason: `unknown option ${a}` };
      pos.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    let value: string | null = eq < 0 ? null : a.slice(eq + 1);
    if (VALUED.has(name) && value === null) {
      if (i + 1 >= args.length) return { ok: false, reason: `${a} needs a value` };
      value = args[++i]!;
    }
    if (NOT_A_ROOT.has(name)) return { ok: false, reason: `--${name} does not make a finished root` };
    if (NO_EFFECT.has(name)) continue;
    const v = value ?? '';
    switch (name) {
      case 'arch':
        c.arch = v;
        break;
      case 'variant':
        c.variant = v;
        break;
      case 'include':
        c.include = [...new Set([...c.include, ...list(v)])].sort();
        break;
      case 'exclude':
        c.exclude = [...new Set([...c.exclude, ...list(v)])].sort();
        break;
      case 'components':
        c.components = list(v);
        break;
      case 'extra-suites':
        c.extraSuites = list(v);
        break;
      case 'keyring':
        c.keyring = v;
        break;
      case 'extractor':
        c.extractor = v;
        break;
      case 'merged-usr':
        c.mergedUsr = 'yes';
        break;
      case 'no-merged-usr':
        c.mergedUsr = 'no';
        break;
      case 'no-check-gpg':
        c.checkGpg = 'no';
        break;
      case 'force-check-gpg':
        c.checkGpg = 'force';
        break;
      case 'resolve-deps':
        c.resolveDeps = 'yes';
        break;
      case 'no-resolve-deps':
        c.resolveDeps = 'no';
        break;
      case 'keep-debootstrap-dir':
        c.keepDebootstrapDir = true;
        break;
      default:
        return { ok: false, reason: `unknown option --${name}` };
    }
  }
  if (pos.length < 2 || pos.length > 4) return { ok: false, reason: 'expected SUITE TARGET [MIRROR [SCRIPT]]' };
  const [suite, target, mirror, script] = pos as [string, string, string?, string?];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(suite))
    return { ok: false, reason: `suite ${JSON.stringify(suite)} is not a plain name` };
  return { ok: true, call: { ...c, suite, target, mirror: mirror ?? null, script: script ?? null } };
}
