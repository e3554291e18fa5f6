import { atLeast, ROLE_ORDER } from '../../src/services/access/permissions.ts';
import type { Role } from './api.ts';

/** Roles someone of `role` may hand out (invite with, or set): up to their own, owner only by an owner. */
export const assignableRoles = (role: Role | null): Role[] => (role ? ROLE_ORDER.filter((r) => atLeast(role, r)) : []);

/** A select of roles, with `current` chosen; the label names whose role it is, for screen readers. */
export function roleOptions(select: HTMLSelectElement, roles: readonly Role[], current: Role): void {
  for (const r of roles) {
    const option = document.createElement('option');
    option.value = r;
    option.textContent = r;
    option.selected = r === current;
    select.append(option);
  }
}
