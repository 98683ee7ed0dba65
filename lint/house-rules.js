// House rules the linter checks: which room may import which (layers), and that recursive deletes
// go through the one safe deleter (src/host/delete/). Paths are resolved, not matched as text, so
// `../../x` and `../x` are judged by where they really point.
import { dirname, relative, resolve } from 'node:path';

const root = dirname(dirname(new URL(import.meta.url).pathname));
const rel = (abs) => relative(root, abs).split('\\').join('/');
const under = (p, dir) => p === dir || p.startsWith(`${dir}/`);

/** [from folder, forbidden target folders except allowed ones, why]. First match of `from` wins. */
const LAYERS = [
  ['src/host', { allowOnly: ['src/host'] }, 'src/host touches the machine and imports nothing outside src/host'],
  ['src', { deny: ['agents', 'hooks'] }, 'src/ never imports agents/ or hooks/ (the supervisor starts agents by path)'],
  [
    'agents',
    { deny: ['src/run', 'src/cli', 'src/coordinator'] },
    'agents use src/ libraries, never the run, the CLI or the coordinator',
  ],
  [
    'hooks',
    { deny: ['src/run', 'src/cli', 'src/coordinator', 'agents'] },
    'hooks stay lean and use src/ libraries only',
  ],
];

function layerViolation(fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const from = rel(fromFile);
  const target = rel(resolve(dirname(fromFile), spec));
  for (const [dir, rule, why] of LAYERS) {
    if (!under(from, dir)) continue;
    if (rule.allowOnly && !rule.allowOnly.some((d) => under(target, d))) return `${target}: ${why}`;
    if (rule.deny?.some((d) => under(target, d))) return `${target}: ${why}`;
    return null;
  }
  return null;
}

const layers = {
  meta: { type: 'problem', schema: [], messages: { layer: 'Import crosses a layer: {{why}}' } },
  create(ctx) {
    const check = (node, source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = layerViolation(ctx.filename, source.value);
      if (why) ctx.report({ node, messageId: 'layer', data: { why } });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
    };
  },
};

const RM_CALLS = new Set(['rm', 'rmSync', 'rmdir', 'rmdirSync']);
const calleeName = (c) =>
  c.type === 'Identifier' ? c.name : c.type === 'MemberExpression' && !c.computed ? c.property.name : null;
const isRecursiveOpt = (a) =>
  a?.type === 'ObjectExpression' &&
  a.properties.some(
    (p) =>
      p.type === 'Property' &&
      p.key.type === 'Identifier' &&
      p.key.name === 'recursive' &&
      !(p.value.type === 'Literal' && p.value.value === false),
  );
const isRecursiveFlag = (e) =>
  e?.type === 'Literal' && typeof e.value === 'string' && /^-[a-zA-Z]*[rR][a-zA-Z]*$|^--recursive$/.test(e.value);

const noRecursiveRm = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      rm: 'Recursive delete outside src/host/delete/: use deleteTree (it stops at mounts and never follows a symlink)',
    },
  },
  create(ctx) {
    return {
      CallExpression(n) {
        const name = calleeName(n.callee);
        if (name && RM_CALLS.has(name) && n.arguments.some(isRecursiveOpt)) ctx.report({ node: n, messageId: 'rm' });
        // run('rm', ['-rf', ...]) through any command runner
        const [cmd, args] = n.arguments;
        if (
          cmd?.type === 'Literal' &&
          cmd.value === 'rm' &&
          args?.type === 'ArrayExpression' &&
          args.elements.some(isRecursiveFlag)
        ) {
          ctx.report({ node: n, messageId: 'rm' });
        }
      },
      Literal(n) {
        if (typeof n.value === 'string' && /(^|[\s;&|])rm\s+-[a-zA-Z]*[rR]/.test(n.value))
          ctx.report({ node: n, messageId: 'rm' });
      },
      TemplateElement(n) {
        if (/(^|[\s;&|])rm\s+-[a-zA-Z]*[rR]/.test(n.value.cooked ?? '')) ctx.report({ node: n, messageId: 'rm' });
      },
    };
  },
};

export default { rules: { layers, 'no-recursive-rm': noRecursiveRm } };
