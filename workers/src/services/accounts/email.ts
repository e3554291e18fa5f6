import { z } from 'zod';

/**
 * The one form an email address is stored and looked up in: trimmed and lower-cased. Every
 * route that takes an address (sign-in, sign-up, invitations) passes it through here.
 */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * The body field of an email address: surrounding spaces are dropped before it is checked.
 * Lower-case the parsed value with {@link normaliseEmail} before storing or looking it up.
 */
export const emailField = () =>
  z
    .string()
    .trim()
    .max(320, 'email must be at most 320 characters')
    // `.email()` after `.trim()` checks the trimmed value; `z.email()` would check it before trimming.
    .email('email must be an address like ada@example.com');
