// A teardown in its own process that signals itself at a chosen point, as an operator's Ctrl-C,
// a CI timeout (SIGTERM) or the OOM killer (SIGKILL) would. argv: target safePrefix point signal
// point: "begin:<step>" | "done:<step>" | "attempt:<n>" (after the n-th umount attempt).
import { applyTeardown } from '../../agents/unmounter/apply.js';
import { planTeardown } from '../../agents/unmounter/plan.js';
import { openJournal } from '../../src/host/guard/journal.js';
import { defaultDeny } from '../../src/host/guard/path-policy.js';

const [target, prefix, point, signal, journalDir] = process.argv.slice(2) as [
  string,
  string,
  string,
  NodeJS.Signals,
  string,
];
const policy = { safePrefixes: [prefix], deny: defaultDeny() };
const die = async (): Promise<void> => {
  process.kill(process.pid, signal);
  await new Promise((r) => setTimeout(r, 10_000)); // the signal ends us before this does
};
let attempts = 0;
const journal = await openJournal(journalDir, target);
const plan = await planTeardown(target, policy, ['/root']);
await applyTeardown(plan, {
  policy,
  homes: ['/root'],
  graceMs: 300,
  journal: {
    begin: async (s) => {
      await journal.begin(s);
      if (point === `begin:${(s as { step: string }).step}`) await die();
    },
    done: async (s) => {
      await journal.done(s);
      if (point === `done:${(s as { step: string }).step}`) await die();
    },
  },
  onAttempt: () => {
    attempts++;
    if (point === `attempt:${attempts}`) process.kill(process.pid, signal);
  },
});
process.stdout.write('finished without being interrupted\n');
