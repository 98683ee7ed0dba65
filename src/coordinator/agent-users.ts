// Least privilege for agents that do not need root: ISOSWARM_AGENT_USERS="monitor=nobody,
// performance-tuner=isoswarm" makes the supervisor start those agents as that user. The Monitor reads
// only world-readable /proc and statfs; the tuner reads the trees it measures (files only root may read
// are then left out of the sample) and refuses --optimize-system. The Unmounter and the Cleaner
// unmount, signal and delete root's things: they stay root.
import { readFileSync } from 'node:fs';

export interface AgentUser {
  user: string;
  uid: number;
  gid: number;
}

function lookup(user: string, passwd: string): AgentUser | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user || (/^\d+$/.test(user) && f[2] === user))
      return { user: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** Parses the variable; an unknown agent or user is an error naming it (the coordinator then refuses to start). */
export function agentUsersFromEnv(
  env: NodeJS.ProcessEnv,
  agents: readonly string[],
  passwdFile = '/etc/passwd',
): Map<string, AgentUser> {
  const out = new Map<string, AgentUser>();
  const spec = env.ISOSWARM_AGENT_USERS?.trim();
  if (!spec) return out;
  const passwd = readFileSync(passwdFile, 'utf8');
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, user] = part.split('=').map((s) => s.trim());
    if (!name || !user || !agents.includes(name))
      throw new Error(`ISOSWARM_AGENT_USERS: "${part}" is not <agent>=<user> with an agent of ${agents.join(', ')}`);
    const u = lookup(user, passwd);
    if (!u) throw new Error(`ISOSWARM_AGENT_USERS: no user "${user}" in ${passwdFile}`);
    out.set(name, u);
  }
  return out;
}
