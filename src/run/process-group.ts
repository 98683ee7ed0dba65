// The build leads its own process group; ending it means the whole group (TERM, grace, KILL), with
// members found in /proc by their pgrp field. A group number is not reused while any member lives,
// so a group that still has members is the build's.
import { readdirSync } from 'node:fs';
import { readStatFields } from '../host/proc/process-identity.js';

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const st = readStatFields(pid);
    if (st && st.pgid === pgid && st.state !== 'Z') out.push(pid);
  }
  return out;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  if (pgid <= 1) return false;
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

export interface GroupEnd {
  signals: { signal: 'SIGTERM' | 'SIGKILL'; at: string; members: number[] }[];
  /** Members still alive at the end (should be none). */
  survivors: number[];
}

/** SIGTERM to the group, up to `graceMs` for it to empty, then SIGKILL; each signal only while members live. */
export async function endGroup(pgid: number, graceMs: number, pollMs = 50): Promise<GroupEnd> {
  const out: GroupEnd = { signals: [], survivors: [] };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let members = groupMembers(pgid);
  if (!members.length) return out;
  out.signals.push({ signal: 'SIGTERM', at: new Date().toISOString(), members });
  signalGroup(pgid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (Date.now() < end && groupMembers(pgid).length) await sleep(pollMs);
  members = groupMembers(pgid);
  if (members.length) {
    out.signals.push({ signal: 'SIGKILL', at: new Date().toISOString(), members });
    signalGroup(pgid, 'SIGKILL');
    const killEnd = Date.now() + 5000;
    while (Date.now() < killEnd && groupMembers(pgid).length) await sleep(pollMs);
  }
  out.survivors = groupMembers(pgid);
  return out;
}
