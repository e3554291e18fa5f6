import { holds } from '../../../src/services/access/permissions.ts';
import type { Me, Role } from '../api.ts';

/** What the signed-in user may see and do, decided by the same permission table the API enforces. */
export interface Access {
  me: Me;
  role: Role | null;
  can(permission: Parameters<typeof holds>[1]): boolean;
}

/** The caller's access from `/v1/auth/me`. A server without roles (before issue 10) counts as a viewer. */
export function accessOf(me: Me): Access {
  const role = me.role ?? null;
  return {
    me,
    role,
    can: (permission) =>
      role
        ? holds({ via: 'session', role }, permission)
        : holds({ via: 'api-key', scopes: me.scopes as ('read' | 'write' | 'admin')[] }, permission),
  };
}
