import { ApiError } from '../../errors.ts';
import { base64url } from '../credentials/crypto.ts';

/**
 * Webhook signing secrets. They must be read back to sign, so they cannot be hashed: each is
 * stored as AES-256-GCM ciphertext under the Worker secret `WEBHOOK_SECRETS_KEY` (base64 of 32
 * bytes), with the webhook's id as associated data so a ciphertext cannot be moved to another row.
 */

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const FORMAT = 'v1';

/** The key is missing or malformed; the message names it and says how to set it, never its value. */
export class WebhookKeyError extends Error {
  constructor(problem: string) {
    super(
      `WEBHOOK_SECRETS_KEY ${problem}: set it to base64 of 32 random bytes (\`openssl rand -base64 32 | npx wrangler secret put WEBHOOK_SECRETS_KEY\`; npm start writes one to .dev.vars)`,
    );
    this.name = 'WebhookKeyError';
  }
}

/** The 503 a route answers when it cannot store a secret: the deployment lacks its key. */
export const webhooksNotConfigured = (err: WebhookKeyError) =>
  new ApiError(503, 'not_configured', `webhook secrets cannot be stored: ${err.message}`);

const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(env: Env): Promise<CryptoKey> {
  const raw = (env as { WEBHOOK_SECRETS_KEY?: unknown }).WEBHOOK_SECRETS_KEY;
  if (typeof raw !== 'string' || raw.trim() === '') throw new WebhookKeyError('is not set');
  let key = keys.get(raw);
  if (!key) {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(raw.trim());
    } catch {
      throw new WebhookKeyError('is not base64');
    }
    if (bytes.length !== 32) throw new WebhookKeyError(`decodes to ${bytes.length} bytes, not 32`);
    key = crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(raw, key);
  }
  return key;
}

/** Throws {@link WebhookKeyError} unless the key is usable, so a route can refuse before writing. */
export async function requireKey(env: Env): Promise<void> {
  await keyOf(env);
}

const aad = (webhookId: string) => new TextEncoder().encode(`webhook:${webhookId}`);

/** `v1.<iv>.<ciphertext>`, base64url, bound to `webhookId`. */
export async function encryptSecret(env: Env, webhookId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(webhookId) },
    await keyOf(env),
    new TextEncoder().encode(secret),
  );
  return `${FORMAT}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** The secret sealed by {@link encryptSecret}; throws if the key changed or the row was tampered with. */
export async function decryptSecret(env: Env, webhookId: string, sealed: string): Promise<string> {
  const [format, iv, data] = sealed.split('.');
  if (format !== FORMAT || !iv || !data) throw new Error('not a sealed webhook secret');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64(iv), additionalData: aad(webhookId) },
    await keyOf(env),
    fromBase64(data),
  );
  return new TextDecoder().decode(plain);
}

/** A new signing secret: `whsec_` and base64 of 32 random bytes, as Standard Webhooks expects. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** What lists show of a secret: enough to tell two apart, far too little to sign with. */
export const secretPrefix = (secret: string) => secret.slice(0, SECRET_PREFIX.length + 4);

/** Standard or url-safe base64, padded or not. */
function fromBase64(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}
