import { z } from 'zod';

/**
 * A required name: trimmed, and refused with `message` when empty or only whitespace. The
 * pattern, not only the trim, does the refusing, so the JSON Schema the API documents says
 * "not blank" too and a client built from it (or the fuzz test) never sends a name we refuse.
 */
export const nonBlank = (message: string) => z.string().regex(/\S/, message).trim().min(1, message);
