import type { Me } from '../api.ts';
import { accessOf as legacyAccessOf, type Access } from '../app-shell.ts';

export type { Access };

/**
 * The caller's access from `/v1/auth/me`, decided by the same permission table the API enforces
 * (`holds()`); the account pages of the last issue take this object as it is.
 */
export const accessOf = (me: Me): Access => legacyAccessOf(me);
