import { badRequest } from '../../errors.ts';
import { hashPassword } from '../credentials/crypto.ts';

/**
 * The minimum a new user's password must meet. A stand-in for the accounts' shared policy
 * (services/accounts): the lead points {@link checkNewPassword} at it when the branches merge.
 */
export const MIN_PASSWORD_LENGTH = 10;

// The most common passwords of at least the minimum length; the shared policy carries the full list.
const COMMON = new Set([
  '1234567890',
  '0123456789',
  'qwertyuiop',
  'password12',
  'password123',
  'password1234',
  'iloveyou12',
  'qwerty1234',
  '1q2w3e4r5t',
  'abcdefghij',
]);

/** The 400 for a password that does not meet the policy, naming the `password` field. */
export const weakPassword = (why: string) => badRequest('weak_password', `password ${why}`, 'password');

/** Throws 400 `weak_password` unless `password` may be a new user's password. */
export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw weakPassword(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (COMMON.has(password.toLowerCase())) throw weakPassword('is one of the most common passwords: choose another');
}

/** An email as stored and compared: trimmed and lower-case. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** The fields of a new `users` row, with the password checked and hashed (PBKDF2). */
export async function newUserFields(email: string, password: string, name?: string) {
  checkNewPassword(password);
  const normalised = normaliseEmail(email);
  return {
    email: normalised,
    name: name?.trim() || normalised.split('@')[0]!,
    passwordHash: await hashPassword(password),
  };
}
