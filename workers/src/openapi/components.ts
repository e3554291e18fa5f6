import { RATE_LIMITS } from '../middleware/rate-limit/index.ts';
import { errorBody } from '../errors.ts';
import type { OperationDoc } from './doc.ts';

/** `{ error: { code, message, field? } }`, the body of every 4xx and 5xx. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Machine-readable, e.g. invalid_input, not_found, rate_limited' },
        message: { type: 'string', description: 'For people; says what to change' },
        field: { type: 'string', description: 'Dotted path of the offending input, e.g. samples.3.value' },
      },
    },
  },
} as const;

export const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'ewk_…',
    description: 'An API key (POST /v1/api-keys), scoped read, write and/or admin.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'ew_session',
    description: 'The dashboard session cookie set by POST /v1/auth/login; scopes follow the role.',
  },
  deviceToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'ewd.<deviceId>.<secret>',
    description: 'A device token, shown once by POST /v1/agents/enroll.',
  },
} as const;

export const SECURITY: Record<OperationDoc['auth'], Record<string, never[]>[]> = {
  caller: [{ apiKey: [] }, { session: [] }],
  device: [{ deviceToken: [] }],
  none: [],
};

const error = errorBody;

/** The statuses every operation of a kind can answer, added where the route does not document them. */
export function implicitResponses(op: OperationDoc): Record<number, { description: string; example: unknown }> {
  const out: Record<number, { description: string; example: unknown }> = {};
  if (op.query || op.body || op.params) {
    out[400] = {
      description: 'Invalid input; `field` names it',
      example: error('invalid_input', 'limit: Too big: expected number to be <=1000', 'limit'),
    };
  }
  if (op.auth !== 'none') {
    out[401] = {
      description: 'Missing or invalid credentials',
      example: error('unauthorized', 'send an API key as "Authorization: Bearer ewk_…" or sign in'),
    };
  }
  if (op.auth === 'caller') {
    if (op.scope) {
      out[403] = {
        description: `The credential lacks the "${op.scope}" scope`,
        example: error('forbidden', `this credential lacks the "${op.scope}" scope`),
      };
    }
    out[429] = {
      description: 'Over the rate limit of this API key or session; `Retry-After` says when to retry',
      example: error(
        'rate_limited',
        `rate limit of ${RATE_LIMITS.api.limit} ${RATE_LIMITS.api.what} per ${RATE_LIMITS.api.period} s exceeded; retry in 12 s`,
      ),
    };
  }
  return out;
}
