// Who may do what on the private nats-server. Each role has its own generated password:
// the coordinator may reach everything; each agent serves only its own subjects and may call the
// coordinator's memory endpoints and publish events; the CLI talks to the coordinator only, so a
// client other than the coordinator gets a permission error on an agent's destructive endpoints.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  return !!v && typeof v === 'object' && ROLES.every((r) => typeof (v as Record<string, Credential>)[r]?.pass === 'string');
}

/** Generated at first start, kept 0600 in the (0700) state dir. */
export function loadOrCreateCredentials(stateRoot: string): Credentials {
  const file = join(stateRoot, 'credentials.json');
  if (existsSync(file)) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (valid(v)) return v;
  }
  const creds = generate();
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
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

export function permissionsFor(role: Role, prefix: string): Permissions {
  const inbox = '_INBOX.>';
  if (role === 'coordinator') return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
  if (role === 'cli') {
    return {
      // The coordinator's endpoints and discovery; never an agent's endpoint directly. A run
      // announces its phases; dashboards read metrics, events, run phases and agent exits.
      publish: { allow: [`${prefix}.coordinator.>`, '$SRV.>', `${prefix}.runs.>`] },
      subscribe: { allow: [inbox, `${prefix}.metrics`, `${prefix}.progress.>`, `${prefix}.events.>`, `${prefix}.runs.>`, `${prefix}.agents.>`] },
    };
  }
  return {
    publish: {
      allow: [
        `${prefix}.coordinator.memory-get`,
        `${prefix}.coordinator.memory-set`,
        `${prefix}.coordinator.memory-record`,
        `${prefix}.events.>`,
        `${prefix}.metrics`,
        `${prefix}.progress.>`,
      ],
    },
    subscribe: { allow: [`${prefix}.${role}.>`, '$SRV.>', inbox] },
    // Replies to whoever asked (requests and $SRV discovery).
    allow_responses: true,
  };
}

export function authorizationBlock(creds: Credentials, prefix: string): object {
  return {
    users: ROLES.map((r) => ({ user: creds[r].user, password: creds[r].pass, permissions: permissionsFor(r, prefix) })),
  };
}
