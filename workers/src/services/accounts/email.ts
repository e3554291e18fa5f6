import { z } from 'zod';

/**
 * The one form an email address is stored and looked up in: trimmed and lower-cased. Every
 * route that takes an address (sign-in, sign-up, invitations) passes it through here.
 */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** The body field of an email address; normalise the parsed value with {@link normaliseEmail}. */
export const emailField = () => z.email('email must be an address like ada@example.com').max(320);
