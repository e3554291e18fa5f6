import type { ApiKeyScope, Role } from '../../../../schema/index.ts';

/** Roles from least to most: each may do everything the ones before it may. */
export const ROLE_ORDER: readonly Role[] = ['viewer', 'member', 'admin', 'owner'];

/** The API-key scope that stands for a role; owners' powers are never given to a key. */
export const ROLE_SCOPE: Record<Role, ApiKeyScope | null> = {
  viewer: 'read',
  member: 'write',
  admin: 'admin',
  owner: null,
};

/**
 * The one permission table: every operation of the API declares one of these in its `doc()`,
 * and nothing else decides who may call it. `role` is the least role a signed-in user needs;
 * an API key needs the scope that stands for that role ({@link ROLE_SCOPE}).
 */
export const PERMISSIONS = {
  'org.read': {
    role: 'viewer',
    what: 'Read everything in the organisation: devices, series, history, events, exports, settings',
  },
  'devices.write': { role: 'member', what: "Rename, tag and move devices; set a device's agent config" },
  'events.write': { role: 'member', what: 'Record custom events' },
  'alerts.respond': { role: 'member', what: 'Acknowledge incidents; create and end silences' },
  'sites.write': {
    role: 'member',
    what: "Create, change and delete sites, controllers and trend logs; label a controller's points",
  },
  'devices.admin': { role: 'admin', what: "Revoke and delete devices; delete a device's or a series' data" },
  'credentials.manage': { role: 'admin', what: 'Create, list and revoke API keys and enrollment tokens' },
  'members.manage': { role: 'admin', what: 'Invite members, change roles below owner, remove members' },
  'org.manage': { role: 'admin', what: "Rename the organisation; retention; the organisation's agent config" },
  'alerts.write': { role: 'admin', what: 'Create, change and delete alert rules' },
  'notifications.manage': {
    role: 'admin',
    what: 'Manage webhook channels: create, change, delete, rotate secrets, send tests, read delivery logs, redeliver',
  },
  'audit.read': { role: 'admin', what: 'Read the audit log' },
  'org.own': { role: 'owner', what: 'Make and unmake owners, transfer ownership, delete the organisation' },
} as const satisfies Record<string, { role: Role; what: string }>;

export type Permission = keyof typeof PERMISSIONS;

/** The least role a permission needs. */
export const roleFor = (permission: Permission): Role => PERMISSIONS[permission].role;

/** The API-key scope a permission needs, or null when no key may have it. */
export const scopeFor = (permission: Permission): ApiKeyScope | null => ROLE_SCOPE[roleFor(permission)];

/** Whether `role` is at least `least`. */
export const atLeast = (role: Role, least: Role): boolean => ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(least);

/** The scopes a key made by someone of `role` may carry: those of the roles up to it. */
export const scopesOfRole = (role: Role): ApiKeyScope[] =>
  ROLE_ORDER.filter((r) => atLeast(role, r))
    .map((r) => ROLE_SCOPE[r])
    .filter((s): s is ApiKeyScope => s !== null);

/** Who is asking, as far as permissions go: a user's role in the org, or a key's scopes. */
export type Principal = { via: 'session'; role: Role } | { via: 'api-key'; scopes: readonly ApiKeyScope[] };

/** Whether a principal holds a permission. */
export function holds(principal: Principal, permission: Permission): boolean {
  if (principal.via === 'session') return atLeast(principal.role, roleFor(permission));
  const scope = scopeFor(permission);
  return scope !== null && principal.scopes.includes(scope);
}

/** What the 403 says: the role needed, and what a key would need. */
export function refusalMessage(permission: Permission): string {
  const role = roleFor(permission);
  const scope = scopeFor(permission);
  const key = scope ? `an API key needs the "${scope}" scope` : 'no API key may do it';
  return `this needs the "${role}" role (${PERMISSIONS[permission].what.toLowerCase()}); ${key}`;
}
