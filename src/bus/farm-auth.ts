// A farm's users on an external NATS cluster: per host, one user per role (isoswarm-<role>@<host>),
// so that an agent of host A can serve only A's subjects and read only A's replies. `isoswarm farm
// credentials` writes the servers' authorization block and one credentials file per host; each host's
// coordinator hands its agents their own role's user from that file (see docs/farm.md).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { permissionsFor, ROLES, type Credential, type Credentials } from './nats-auth.js';

export interface FarmCredentialsFile {
  host: string;
  prefix: string;
  users: Credentials;
}

/** New users for every role of every host. */
export function makeFarmCredentials(hosts: string[], prefix: string): FarmCredentialsFile[] {
  return hosts.map((host) => {
    const users = {} as Credentials;
    for (const r of ROLES) users[r] = { user: `isoswarm-${r}@${host}`, pass: randomBytes(24).toString('base64url') };
    return { host, prefix, users };
  });
}

/** The `authorization` block of every server of the cluster (the same on each node). */
export function farmAuthorization(files: FarmCredentialsFile[]): { users: object[] } {
  const users: object[] = [];
  for (const f of files)
    for (const r of ROLES) {
      const c: Credential = f.users[r];
      users.push({ user: c.user, password: c.pass, permissions: permissionsFor(r, f.prefix, f.host, true) });
    }
  return { users };
}

/** Where this host's file is: ISOSWARM_FARM_CREDENTIALS, else systemd's credentials directory. */
export function farmCredentialsPath(env: NodeJS.ProcessEnv): string | null {
  if (env.ISOSWARM_FARM_CREDENTIALS) return env.ISOSWARM_FARM_CREDENTIALS;
  const dir = env.CREDENTIALS_DIRECTORY;
  return dir && existsSync(join(dir, 'farm-credentials.json')) ? join(dir, 'farm-credentials.json') : null;
}

/**
 * This host's role users, or null when no farm credentials are configured. A file of another host is
 * refused (`host` null: any host's file, for the CLI, whose user reaches every host's coordinator).
 */
export function readFarmCredentials(env: NodeJS.ProcessEnv, host: string | null): Credentials | null {
  const file = farmCredentialsPath(env);
  if (!file) return null;
  let v: FarmCredentialsFile;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as FarmCredentialsFile;
  } catch (e) {
    throw new Error(`cannot read the farm credentials ${file}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || !ROLES.every((r) => typeof v.users?.[r]?.pass === 'string'))
    throw new Error(`${file} is not a farm credentials file (a role's user is missing)`);
  if (host !== null && v.host !== host)
    throw new Error(
      `${file} holds the credentials of host "${v.host}", but this host is "${host}" (--host / ISOSWARM_HOST)`,
    );
  return v.users;
}
