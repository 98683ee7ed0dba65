// isoswarm status: every service as the standard $SRV.INFO/$SRV.STATS see it, plus restarts.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { formatDuration, printJson, printLine, table } from '../output.js';

interface Row {
  name: string;
  id: string;
  host: string;
  pid: number | null;
  uptimeMs: number;
  version: string;
  requests: number;
  errors: number;
  restarts: number;
  state: string;
}

const context = () => import('../context.js');

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('show each service: name, id, host, pid, uptime, version, requests, errors, restarts')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { infoAll, statsAll } = await import('../../bus/discovery.js');
      const rows = await (
        await context()
      ).withSwarm(ctx, async (nc) => {
        const [infos, stats] = await Promise.all([infoAll(nc, 500), statsAll(nc, 500)]);
        const coord = await (await context()).callRoute(ctx, nc, 'status', {}).catch(() => null);
        const out: Row[] = [];
        for (const info of infos) {
          const st = stats.find((s) => s.id === info.id);
          const eps = st?.endpoints ?? [];
          const own = (d: unknown) =>
            d && typeof d === 'object' && 'errors' in d ? Number((d as { errors: number }).errors) : 0;
          const agent = coord?.agents.find((a) => a.name === info.name);
          out.push({
            name: info.name,
            id: info.id,
            host: info.metadata?.host ?? '?',
            pid: info.metadata?.pid ? Number(info.metadata.pid) : null,
            uptimeMs: st ? Date.now() - Date.parse(st.started) : 0,
            version: info.version,
            requests: eps.reduce((n, e) => n + e.num_requests, 0),
            errors: eps.reduce((n, e) => n + Math.max(e.num_errors, own(e.data)), 0),
            restarts: agent?.restarts ?? 0,
            state: agent?.adopted ? `${agent.state} (adopted)` : (agent?.state ?? 'running'),
          });
        }
        // Agents the supervisor knows but that do not answer (backoff, crash loop) are listed too.
        for (const a of coord?.agents ?? []) {
          if (!out.some((r) => r.name === a.name)) {
            out.push({
              name: a.name,
              id: '-',
              host: '-',
              pid: a.pid,
              uptimeMs: 0,
              version: '-',
              requests: 0,
              errors: 0,
              restarts: a.restarts,
              state: a.state,
            });
          }
        }
        return out.sort((a, b) => a.name.localeCompare(b.name));
      });
      // Runs in progress and recent runs the swarm finished after their runner was lost.
      const { listEntries, stateOf } = await import('../../run/registry.js');
      const runs = listEntries(ctx.paths.root)
        .map((e) => ({
          runId: e.runId,
          state: stateOf(e),
          chroot: e.run?.chroot ?? null,
          lost: e.lost,
          report: e.done?.report ?? null,
        }))
        .filter((r) => !r.state.startsWith('done') || r.state === 'done (runner lost)')
        .slice(-10);
      if (o.json) {
        printJson({ services: rows, runs });
        return;
      }
      printLine(
        table([
          ['NAME', 'STATE', 'ID', 'HOST', 'PID', 'UPTIME', 'VERSION', 'REQUESTS', 'ERRORS', 'RESTARTS'],
          ...rows.map((r) => [
            r.name,
            r.state,
            r.id,
            r.host,
            String(r.pid ?? '-'),
            formatDuration(r.uptimeMs),
            r.version,
            String(r.requests),
            String(r.errors),
            String(r.restarts),
          ]),
        ]),
      );
      if (runs.length) {
        printLine('');
        printLine(
          table([
            ['RUN', 'STATE', 'CHROOT', 'WHY'],
            ...runs.map((r) => [r.runId, r.state, r.chroot ?? '-', r.lost?.reason ?? '-']),
          ]),
        );
      }
    });
}
