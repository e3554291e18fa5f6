import { badRequest } from '../../errors.ts';

/**
 * Opaque page cursors: base64url of a small JSON value (the last row's sort key). Clients
 * pass them back unchanged; anything else is a 400 naming `cursor`.
 */
export function encodeCursor(position: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes a cursor and checks its shape with `valid`, or throws a 400 naming `cursor`. */
export function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  const bad = () => badRequest('invalid_input', 'cursor: not a cursor from a previous page', 'cursor');
  let value: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    throw bad();
  }
  if (!valid(value)) throw bad();
  return value;
}
