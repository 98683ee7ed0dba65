// Simple field filters for `memory query`: field.path OP value, with OP one of = != > >= < <= ~ (substring).
export interface Filter {
  path: string[];
  op: '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';
  value: string;
}

export function parseFilter(text: string): Filter {
  const m = /^([A-Za-z0-9_.-]+)\s*(!=|>=|<=|=|>|<|~)\s*(.*)$/.exec(text.trim());
  if (!m) throw new Error(`bad filter "${text}": expected FIELD OP VALUE with OP one of = != > >= < <= ~`);
  return { path: m[1]!.split('.'), op: m[2] as Filter['op'], value: m[3]! };
}

function pick(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function matches(value: unknown, f: Filter): boolean {
  const got = pick(value, f.path);
  if (got === undefined) return f.op === '!=';
  const num = Number(f.value);
  const bothNumbers = typeof got === 'number' && f.value.trim() !== '' && Number.isFinite(num);
  const gs = typeof got === 'string' ? got : JSON.stringify(got);
  switch (f.op) {
    case '=':
      return bothNumbers ? got === num : gs === f.value;
    case '!=':
      return bothNumbers ? got !== num : gs !== f.value;
    case '~':
      return gs.includes(f.value);
    default: {
      if (!bothNumbers) return false;
      const g = got as number;
      return f.op === '>' ? g > num : f.op === '>=' ? g >= num : f.op === '<' ? g < num : g <= num;
    }
  }
}
