// The Cleaner's plan as a person reads it in `--dry-run`.
import type { CleanAction, CleanPlan, CleanTargetPlan } from './types.js';

export { formatBytes } from '../../src/text/units.js';
import { formatBytes } from '../../src/text/units.js';

const count = (n: number): string => n.toLocaleString('en-US');

function describeAction(a: CleanAction): string[] {
  switch (a.type) {
    case 'delete-tree': {
      const s = a.size;
      const more = s.truncated ? ' (at least: counting stopped)' : '';
      return [
        `delete the tree: ${count(s.files)} files, ${count(s.dirs)} folders, ${formatBytes(s.bytes)}${more}`,
        ...s.skipped.map((k) => `  will stop at ${JSON.stringify(k.path)}: ${k.reason}`),
      ];
    }
    case 'evict': {
      const p = a.plan;
      if (p.evict.length === 0)
        return [
          `cache is ${formatBytes(p.totalBytes)} in ${count(p.files)} files, within its limit of ${formatBytes(p.limitBytes)}: nothing to evict`,
        ];
      return [
        `evict ${count(p.evict.length)} least recently used files (${formatBytes(p.evictBytes)}): ${formatBytes(p.totalBytes)} -> ${formatBytes(p.afterBytes)} (limit ${formatBytes(p.limitBytes)})`,
      ];
    }
    case 'remove-temp': {
      const p = a.plan;
      return [
        `remove ${count(p.files.length)} of ${count(p.scanned)} files untouched for ${count(p.maxAgeSec)} s (${formatBytes(p.bytes)})`,
      ];
    }
    case 'remove-locks': {
      const lines = a.locks.map((l) => `remove stale lock ${JSON.stringify(l.path)}: ${l.reason}`);
      lines.push(...a.notStale.map((l) => `keep lock ${JSON.stringify(l.path)}: ${l.reason}`));
      if (!a.certain) lines.push('(not every process could be inspected: no lock is called stale)');
      return lines.length > 0 ? lines : ['no lock files found'];
    }
    case 'none':
      return [`nothing to do: ${a.why}`];
  }
}

function formatTarget(t: CleanTargetPlan, i: number): string[] {
  const where = t.target?.path ?? t.input.path;
  const head = `[${i + 1}] ${t.input.kind} ${JSON.stringify(where)}`;
  if (t.refused) {
    const mounts = t.mounts.map((m) => `    mounted: ${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source})`);
    return [`${head}: REFUSED [${t.refused.code}]`, `    ${t.refused.reason}`, ...mounts];
  }
  const lines = t.action ? describeAction(t.action) : ['nothing planned'];
  if (t.prediction) lines.push(`predicted from ${t.prediction.text}`);
  return [head, ...lines.map((l) => `    ${l}`)];
}

export function formatCleanPlan(plan: CleanPlan): string {
  const refused = plan.targets.filter((t) => t.refused).length;
  const lines = [
    `Clean plan (${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'}, ${refused} refused), made ${plan.createdAt}:`,
  ];
  plan.targets.forEach((t, i) => lines.push(...formatTarget(t, i)));
  lines.push(
    'Each step is journalled before it runs; a tree is first renamed aside, then deleted without crossing mounts or following links.',
  );
  return lines.join('\n');
}
