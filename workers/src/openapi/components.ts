import { RATE_LIMITS } from '../middleware/rate-limit/index.ts';
import { ApiError, forbidden, unauthorized } from '../errors.ts';
import { authFailure } from '../middleware/auth/index.ts';
import { originGuarded, refusal } from '../middleware/csrf/index.ts';
import { unsupportedMediaType } from '../services/http/body.ts';
import { refusalMessage, roleFor, scopeFor } from '../services/access/permissions.ts';
import { byCaller, type OperationDoc } from './doc.ts';

/** `{ error: { code, message, field? } }`, the body of every 4xx and 5xx. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
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
  session: [{ session: [] }],
  device: [{ deviceToken: [] }],
  none: [],
};

/** One line per tag of the document, in the order a reader meets them. */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  Health: 'Liveness and readiness probes, without authentication.',
  Ingest: 'Devices send samples: HTTPS batches or MQTT over WebSocket.',
  Agents: 'Enrolling agents and installing them.',
  'Agent configuration': 'Remote configuration of agents: org defaults and per-device overrides.',
  'Enrollment tokens': 'Tokens that let a new agent enroll into the organisation.',
  'API keys': 'Scoped keys for programs calling this API.',
  Sessions: 'Sign-up, sign-in with a session cookie, the signed-in user, their organisations and sessions.',
  Members: "The organisation's members and their roles, invitations, and handing over ownership.",
  Audit: 'Who changed what: one row per state-changing request, and refused writes.',
  Devices: 'The devices of the organisation: list, inspect, rename, revoke, delete.',
  Telemetry: 'Series, their history, statistics and latest values, and the Prometheus exposition.',
  Export: 'Bulk export of stored samples as NDJSON or CSV.',
  Events: 'The organisation event log: device and system events, and custom ones.',
  'Live stream': 'Live samples and events over WebSocket or Server-Sent Events.',
  Organisation: 'The organisation: its name, settings such as retention, and deleting it.',
  Incidents:
    'Incidents raised by alert rules: list, acknowledge; silences that keep matching incidents from notifying.',
  Notifications:
    'Webhook channels for alert notifications: signing secrets, test events, the delivery log and redelivery.',
  Sites:
    "Buildings, their gateways and the controllers those poll; a controller's points, valued from its gateway's latest samples.",
  'Trend logs': 'What the gateways read and how often, defined once here and delivered in their remote config.',
  Meta: 'This document.',
};

type Implicit = Record<number, { description: string; examples: Record<string, unknown> }>;

/**
 * The statuses every operation of a kind can answer, added where the route does not document
 * them. Each example is built by the factory that builds the real answer.
 */
export function implicitResponses(op: OperationDoc, method: string, path: string): Implicit {
  const out: Implicit = {};
  if (op.query || op.body || op.params) {
    out[400] = {
      description: 'Invalid input; `field` names it',
      examples: {
        invalid_input: new ApiError(400, 'invalid_input', 'limit: Too big: expected number to be <=1000', {
          field: 'limit',
        }).body(),
      },
    };
  }
  if (op.body) {
    out[413] = {
      description: 'The body is larger than this operation accepts (after gzip decoding)',
      examples: {
        payload_too_large: new ApiError(413, 'payload_too_large', 'request body exceeds 262144 bytes').body(),
      },
    };
    out[415] = {
      description: 'The body is not declared as JSON: `Content-Type: application/json` is required',
      examples: { unsupported_media_type: unsupportedMediaType('text/plain').body() },
    };
  }
  if (byCaller(op)) {
    out[401] = {
      description:
        '`unauthenticated`: no credential was sent; `invalid_api_key`: the API key is unknown or revoked; `invalid_session`: the session cookie is unknown or expired',
      examples: {
        unauthenticated: authFailure('unauthenticated').body(),
        invalid_api_key: authFailure('invalid_api_key').body(),
        invalid_session: authFailure('invalid_session').body(),
      },
    };
    const permission = op.permission ?? 'org.read';
    const scope = scopeFor(permission);
    out[403] = {
      description: `\`forbidden\`: the caller's role is below "${roleFor(permission)}"${scope ? ` (an API key: lacks the "${scope}" scope)` : ' (no API key may do this)'}`,
      examples: { forbidden: forbidden(refusalMessage(permission)).body() },
    };
    out[429] = {
      description: 'Over the rate limit of this API key or session; `Retry-After` says when to retry',
      examples: {
        rate_limited: new ApiError(
          429,
          'rate_limited',
          `rate limit of ${RATE_LIMITS.api.limit} ${RATE_LIMITS.api.what} per ${RATE_LIMITS.api.period} s exceeded; retry in 12 s`,
        ).body(),
      },
    };
  }
  // Session-authenticated writes (and sign-in and sign-out) pass middleware/csrf first.
  if ((byCaller(op) && originGuarded(method, path)) || (op.auth === 'none' && originGuarded('GET', path))) {
    const crossOrigin = refusal(
      'Origin "https://evil.example" is not this platform\'s origin "https://edgewatch.example"',
    ).body();
    const own = out[403];
    out[403] = {
      description: `${own ? `${own.description}; or ` : ''}\`cross_origin_request\`: signed in by the session cookie, the request did not come from the platform's own origin (see Cookies and CSRF in docs/api.md)`,
      examples: { ...own?.examples, cross_origin_request: crossOrigin },
    };
    if (byCaller(op)) {
      out[415] ??= {
        description: 'A write signed in by the session cookie carries a body that is not `application/json`',
        examples: { unsupported_media_type: unsupportedMediaType('text/plain').body() },
      };
    }
  }
  if (op.auth === 'device') {
    out[401] = {
      description: 'The device token is missing, malformed, unknown or revoked',
      examples: { unauthorized: unauthorized('device token is unknown or revoked').body() },
    };
  }
  return out;
}
