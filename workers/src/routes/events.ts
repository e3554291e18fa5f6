import { Hono } from 'hono';
import { z } from 'zod';
import { timestampMs } from '../../../schema/wire/ingest.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert } from '../services/audit/record.ts';
import { RESERVED_EVENT_PREFIXES, recordEvent } from '../services/events/record.ts';
import { decodeCursor, queryEvents } from '../services/events/query.ts';
import {
  callerPattern,
  concreteSubject,
  subjectPattern,
  subjectRefusal,
  validatePattern,
} from '../services/streams/subject-match.ts';
import { orgEventSubject, orgSubjectPrefix } from '../services/streams/subjects.ts';
import { queryTime } from '../services/history/time-query.ts';
import { cursorParam, pageLimit } from '../services/http/query-schemas.ts';

/** Largest `data` of a custom event, serialized. */
export const CUSTOM_EVENT_MAX_DATA_BYTES = 8 * 1024;
/** Room for the rest of the body around the largest `data`. */
const BODY_MAX_BYTES = 16 * 1024;

const eventType = z
  .string()
  .max(100, 'type must be at most 100 characters')
  .regex(/^[a-z][a-z0-9_.-]*$/, 'type must match [a-z][a-z0-9_.-]* (e.g. custom.deploy)');

export const listEventsQuery = z
  .strictObject({
    subject: subjectPattern.optional(),
    from: queryTime.optional(),
    to: queryTime.optional(),
    correlationId: z.string().min(1).max(200).optional(),
    type: eventType.optional(),
    cursor: cursorParam.optional(),
    limit: pageLimit(100, 1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

export const customEvent = z.strictObject({
  type: eventType.refine((t) => !RESERVED_EVENT_PREFIXES.some((p) => t.startsWith(p)), {
    message: `type must not start with ${RESERVED_EVENT_PREFIXES.join(', ')} (reserved for system events)`,
  }),
  subject: concreteSubject.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  ts: timestampMs.optional(),
});

const dataTooLarge = (size: number) =>
  new ApiError(413, 'payload_too_large', `data is ${size} bytes serialized; at most ${CUSTOM_EVENT_MAX_DATA_BYTES}`, {
    field: 'data',
  });

const ORG_ID = 'org_01JD5V7K';
const foreign = validatePattern('org.org_other.**', ORG_ID);
/** The refusal of a pattern outside the caller's org, as the routes answer it. */
export const forbiddenSubjectExample = foreign.ok ? undefined : subjectRefusal(foreign).body();
const eventExample = {
  id: 'evt_01JD5Y2B',
  type: 'custom.deploy',
  subject: `org.${ORG_ID}.event.custom_deploy`,
  ts: 1795000000000,
  correlationId: 'f3b0c442-98fc-4c1c-a2b4-8f1e6a1d2c3b',
  data: { version: '2.4.1' },
};

/** `GET /v1/events` reads the org's event log; `POST /v1/events` records a custom event. */
export const eventRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listEvents',
      summary: "Read the org's event log",
      description:
        'In (ts, id) order within `[from, to)`, filtered by subject pattern (wildcards `*` and `**`), type or correlation id. Page with the returned `nextCursor`.',
      tag: 'Events',
      auth: 'caller',
      permission: 'org.read',
      query: listEventsQuery,
      example: { query: { subject: `org.${ORG_ID}.device.*.event.**`, from: '2026-11-22T00:00:00Z', limit: '100' } },
      responses: {
        200: { description: 'One page of events', example: { events: [eventExample], nextCursor: null } },
        403: {
          description: 'The subject names another org, or the credential lacks the read scope',
          example: forbiddenSubjectExample,
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { orgId } = c.var.caller;
      const page = await queryEvents(c.env.DB, {
        orgId,
        pattern: callerPattern(q.subject ?? `${orgSubjectPrefix(orgId)}**`, orgId),
        from: q.from,
        to: q.to,
        correlationId: q.correlationId,
        type: q.type,
        after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit,
      });
      return c.json(page);
    },
  )
  .post(
    '/',
    doc({
      operationId: 'createEvent',
      summary: 'Record a custom event',
      description: `Stored, then published on its subject to the live stream. \`data\` is at most ${CUSTOM_EVENT_MAX_DATA_BYTES} bytes serialized.`,
      tag: 'Events',
      auth: 'caller',
      permission: 'events.write',
      body: customEvent,
      bodyMaxBytes: BODY_MAX_BYTES,
      example: { body: { type: 'custom.deploy', data: { version: '2.4.1' } } },
      responses: {
        201: { description: 'The stored event', example: eventExample },
        403: {
          description: 'The subject names another org, or the credential lacks the write scope',
          example: forbiddenSubjectExample,
        },
        413: {
          description: '`data` is too large',
          example: dataTooLarge(9000).body(),
        },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { orgId } = c.var.caller;
      const subject = body.subject ?? orgEventSubject(orgId, body.type);
      callerPattern(subject, orgId);
      const data = body.data ?? {};
      const size = new TextEncoder().encode(JSON.stringify(data)).byteLength;
      if (size > CUSTOM_EVENT_MAX_DATA_BYTES) {
        throw dataTooLarge(size);
      }
      const event = await recordEvent(
        c.env,
        {
          orgId,
          type: body.type,
          subject,
          correlationId: c.var.requestId,
          data,
          ...(body.ts === undefined ? {} : { ts: body.ts }),
        },
        // `data` is the caller's own payload, up to 8 KiB: the row names the event, the log holds it.
        (e) => [auditInsert(c, { targetType: 'event', targetId: e.id, after: { type: e.type, subject: e.subject } })],
      );
      return c.json(event, 201);
    },
  );
