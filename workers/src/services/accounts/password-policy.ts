import { badRequest, type ApiError } from '../../errors.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

/** Shortest password accepted at sign-up, on accepting an invitation and on a password change. */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest: PBKDF2 hashes the whole input, so a bound keeps one request's work bounded. */
export const PASSWORD_MAX_LENGTH = 1024;

/** The 400 `weak_password` for a refused password; `field` is the body field that carried it. */
export const weakPassword = (reason: string, field = 'password'): ApiError =>
  badRequest('weak_password', `${field} ${reason}`, field);

/**
 * Why a new password is refused, or null when it is acceptable: too short, one of the most
 * common passwords, or the account's own email (or its local part).
 */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'is one of the most common passwords: choose another';
  if (new Set(lower).size === 1) return 'is one character repeated: choose another';
  if (email && (lower === email || lower === email.split('@')[0])) return 'must not be the email address';
  return null;
}

/** Throws {@link weakPassword} when {@link passwordProblem} finds one. */
export function assertStrongPassword(password: string, email?: string, field = 'password'): void {
  const problem = passwordProblem(password, email);
  if (problem) throw weakPassword(problem, field);
}
