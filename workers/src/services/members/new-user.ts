import { hashPassword } from '../credentials/crypto.ts';
import { assertStrongPassword } from '../accounts/password-policy.ts';
import { normaliseEmail } from '../accounts/email.ts';

/** The fields of a new `users` row, with the password checked (the sign-up policy) and hashed (PBKDF2). */
export async function newUserFields(email: string, password: string, name?: string) {
  const normalised = normaliseEmail(email);
  assertStrongPassword(password, normalised);
  return {
    email: normalised,
    name: name?.trim() || normalised.split('@')[0]!,
    passwordHash: await hashPassword(password),
  };
}
