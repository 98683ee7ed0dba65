// Who may do what on the private nats-server. Each role has its own generated password:
// the coordinator may reach everything; each agent serves only its own subjects and may call the
// coordinator's memory endpoints and publish events; the CLI talks to the coordinator only, so a
// client other than the coordinator gets a permission error on an agent's destructive endpoints.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busHost } from './subjects.js';

export const AGENT_ROLES = ['cleaner', 'unmounter', 'performance-tuner', 'monitor'] as const;
export const ROLES = ['coordinator', ...AGENT_ROLES, 'cli'] as const;
export type Role = (typeof ROLES)[number];
export type AgentRole = (typeof AGENT_ROLES)[number];

export interface Credential {
  user: string;
  pass: string;
}
export type Credentials = Record<Role, Credential>;

function generate(): Credentials {
  const out = {} as Credentials;
  for (const r of ROLES) out[r] = { user: `isoswarm-${r}`, pass: randomBytes(24).toString('base64url') };
  return out;
}

function valid(v: unknown): v is Credentials {
  return (
    !!v && typeof v === 'object' && ROLES.every((r) => typeof (v as Record<string, Credential>)[r]?.pass === 'string')
  );
}

/** Generated at first start, kept 0600 in the (0700) state dir. A corrupted file is refused with
 * the way out, or, with `repair` (only when no server uses it), moved aside and generated anew. */
export function loadOrCreateCredentials(
  stateRoot: string,
  opts: { repair?: boolean; onRepair?: (aside: string) => void } = {},
): Credentials {
  const file = join(stateRoot, 'credentials.json');
  if (existsSync(file)) {
    const problem = credentialsProblem(stateRoot);
    if (!problem) return readCredentials(stateRoot)!;
    if (!opts.repair)
      throw new Error(
        `${problem}: stop the swarm (isoswarm down) and start it again (isoswarm up) to generate new credentials`,
      );
    const aside = `${file}.corrupt-${Date.now()}`;
    renameSync(file, aside);
    opts.onRepair?.(aside);
  }
  const creds = generate();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(creds, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
  return creds;
}

/** Null when credentials.json is absent or sound; else what is wrong with it. */
export function credentialsProblem(stateRoot: string): string | null {
  const file = join(stateRoot, 'credentials.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return valid(JSON.parse(text)) ? null : `${file} is corrupted (a role's password is missing)`;
  } catch (e) {
    return `${file} is corrupted (${(e as Error).message})`;
  }
}

export function readCredentials(stateRoot: string): Credentials | null {
  try {
    const v = JSON.parse(readFileSync(join(stateRoot, 'credentials.json'), 'utf8')) as unknown;
    return valid(v) ? v : null;
  } catch {
    return null;
  }
}

interface Permissions {
  publish: { allow?: string[]; deny?: string[] };
  subscribe: { allow?: string[]; deny?: string[] };
  allow_responses?: boolean;
}

/**
 * Each role reads replies only under its own inbox prefix: no role can read another role's replies.
 * A farm's users (`isoswarm-<role>@<host>`) read under `_INBOX.<host>.<role>`: not another host's either.
 */
export function inboxPrefixOf(role: Role, host?: string): string {
  return host ? `_INBOX.${host}.${role}` : `_INBOX.${role}`;
}

export interface UserRole {
  role: Role;
  /** Set for a farm user, whose permissions are bound to one host. */
  host?: string;
}

/** The role (and a farm user's host) of one of our generated users, else null (a site's own user). */
export function roleOfUser(user: string | undefined): UserRole | null {
  const m = /^isoswarm-([a-z-]+?)(?:@([A-Za-z0-9_-]+))?$/.exec(user ?? '');
  if (!m || !(ROLES as readonly string[]).includes(m[1]!)) return null;
  return m[2] ? { role: m[1] as Role, host: m[2] } : { role: m[1] as Role };
}

/** The inbox prefix a connection of `user` must use, or null when any inbox is allowed. */
export function inboxPrefixOfUser(user: string | undefined): string | null {
  const r = roleOfUser(user);
  return r ? inboxPrefixOf(r.role, r.host) : null;
}

/**
 * What `role` of `host` may publish and subscribe to. The coordinator reaches everything (it relays to
 * its agents and owns the shared stores); an agent serves only `<prefix>.<host>.<role>.>`, so an agent
 * of one host can never answer for another; the CLI reaches coordinators only (a farm's CLI user: any host's).
 */
export function permissionsFor(role: Role, prefix: string, host = busHost(), farm = false): Permissions {
  const inbox = `${inboxPrefixOf(role, farm ? host : undefined)}.>`;
  const p = `${prefix}.${host}`;
  if (role === 'coordinator') return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
  if (role === 'cli') {
    const any = farm ? `${prefix}.*` : p;
    return {
      // The coordinator's endpoints and discovery; never an agent's endpoint directly. A run
      // announces its phases; dashboards read metrics, events, run phases and agent exits.
      publish: { allow: [`${any}.coordinator.>`, '$SRV.>', `${any}.runs.>`] },
      subscribe: {
        allow: [inbox, `${any}.metrics`, `${any}.progress.>`, `${any}.events.>`, `${any}.runs.>`, `${any}.agents.>`],
      },
    };
  }
  return {
    publish: {
      allow: [
        `${p}.coordinator.memory-get`,
        `${p}.coordinator.memory-set`,
        `${p}.coordinator.memory-record`,
        // The root cache reaches the farm's blob store through its coordinator.
        ...(role === 'performance-tuner'
          ? [`${p}.coordinator.farm-blob-fetch`, `${p}.coordinator.farm-blob-publish`]
          : []),
        `${p}.events.>`,
        `${p}.metrics`,
        `${p}.progress.>`,
      ],
    },
    subscribe: { allow: [`${p}.${role}.>`, '$SRV.>', inbox] },
    // Replies to whoever asked (requests and $SRV discovery).
    allow_responses: true,
  };
}

export function authorizationBlock(creds: Credentials, prefix: string): object {
  return {
    users: ROLES.map((r) => ({ user: creds[r].user, password: creds[r].pass, permissions: permissionsFor(r, prefix) })),
  };
}
