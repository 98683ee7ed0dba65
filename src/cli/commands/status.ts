// isoswarm status: every service as the standard $SRV.INFO/$SRV.STATS see it, plus restarts.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { StatusOutput } from '../../schemas/agents/coordinator.js';
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
    .description(
      'show each service of every host on the bus: name, state (stale ones too), id, host, pid, uptime, version, requests, errors, restarts',
    )
    .option('--json', 'print as JSON')
    .option('--host <name>', "only this farm host's services (default: every host on the bus)")
    .action(async (o: { json?: boolean; host?: string }) => {
      const ctx = (await context()).cliContext(globals());
      const { infoAll, statsAll } = await import('../../bus/discovery.js');
      const { busHost, endpointSubject } = await import('../../bus/subjects.js');
      const { requestRaw } = await import('../../bus/request.js');
      const only = o.host ? busHost() : null;
      const rows = await (
        await context()
      ).withSwarm(ctx, async (nc) => {
        const [infos, stats] = await Promise.all([infoAll(nc, 500), statsAll(nc, 500)]);
        // A farm's bus: every host that answers, each asked through its own coordinator.
        const hostOf = (i: { metadata?: Record<string, string> }) => i.metadata?.host ?? '?';
        const hosts = [...new Set([...infos.map(hostOf), busHost()])].filter((h) => !only || h === only);
        const coords = new Map<string, StatusOutput | null>();
        await Promise.all(
          hosts.map(async (h) => {
            const subject = endpointSubject(ctx.config.nats.subjectPrefix, 'coordinator', 'status', h);
            const raw = (await requestRaw(nc, subject, {}, 2000).catch(() => null)) as {
              ok?: boolean;
              data?: StatusOutput;
            } | null;
            coords.set(h, raw?.ok ? raw.data! : null);
          }),
        );
        const out: Row[] = [];
        for (const info of infos) {
          const h = hostOf(info);
          if (only && h !== only) continue;
          const coord = coords.get(h) ?? null;
          const st = stats.find((s) => s.id === info.id);
          const eps = st?.endpoints ?? [];
          const own = (d: unknown) =>
            d && typeof d === 'object' && 'errors' in d ? Number((d as { errors: number }).errors) : 0;
          const agent = coord?.agents.find((a) => a.name === info.name);
          out.push({
            name: info.name,
            id: info.id,
            host: h,
            pid: info.metadata?.pid ? Number(info.metadata.pid) : null,
            uptimeMs: st ? Date.now() - Date.parse(st.started) : 0,
            version: info.version,
            requests: eps.reduce((n, e) => n + e.num_requests, 0),
            errors: eps.reduce((n, e) => n + Math.max(e.num_errors, own(e.data)), 0),
            restarts: agent?.restarts ?? 0,
            // An agent whose host's coordinator does not answer serves, but nothing supervises it.
            state: !coord
              ? 'stale (no coordinator)'
              : agent?.adopted
                ? `${agent.state} (adopted)`
                : (agent?.state ?? 'running'),
          });
        }
        // Agents a supervisor knows but that do not answer (backoff, crash loop, hung) are stale.
        for (const [h, coord] of coords)
          for (const a of coord?.agents ?? []) {
            if (!out.some((r) => r.name === a.name && r.host === h)) {
              out.push({
                name: a.name,
                id: '-',
                host: h,
                pid: a.pid,
                uptimeMs: 0,
                version: '-',
                requests: 0,
                errors: 0,
                restarts: a.restarts,
                state: `stale (${a.state}, no answer)`,
              });
            }
          }
        return out.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
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
