import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { parse } from '../services/http/validate.ts';
import { acknowledgedExample, INCIDENT_ID, incidentExample } from '../services/incidents/examples.ts';
import { getIncident, listIncidents } from '../services/incidents/queries.ts';
import { incidentBusy, incidentResolved, respond } from '../services/incidents/respond.ts';
import { type AreaObject, notFound404, onOne, readOne, TAG } from '../services/incidents/route-docs.ts';
import {
  ackBody,
  incidentListQuery,
  incidentPageSchema,
  incidentParams,
  incidentViewSchema,
  stateList,
} from '../services/incidents/schemas.ts';

const incident: AreaObject = {
  noun: 'incident',
  params: incidentParams,
  id: INCIDENT_ID,
  schema: incidentViewSchema,
  example: incidentExample,
};
const conflict409 = {
  description:
    '`incident_resolved`: the incident is resolved, so its acknowledgement is history; `incident_changed`: it kept changing while this request tried to update it',
  example: incidentResolved(INCIDENT_ID).body(),
};
const RESPOND =
  'The change, its event on the log and the live stream, and an audit row are written together. Channels are notified (ALERTS_QUEUE) for incidents that fired. ';

/** `/v1/incidents`: what alert rules raised, newest first; acknowledging and un-acknowledging them. */
export const incidentsRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listIncidents',
      summary: 'List incidents',
      description:
        'Newest first by `startedAt`. Open incidents (pending and firing) unless `state` says otherwise: a comma list, or `state` repeated. ' +
        '`silenced` says whether an active silence covers the incident now. Page with the returned `nextCursor`.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      query: incidentListQuery,
      example: { query: { state: 'firing', severity: 'critical', acknowledged: 'false', limit: '50' } },
      responses: {
        200: {
          description: 'One page of incidents',
          schema: incidentPageSchema,
          example: { incidents: [incidentExample], nextCursor: null },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const repeated = c.req.queries('state') ?? [];
      // `doc()` checked the first `state=`; a repeated one is the same list, checked as one.
      const state = repeated.length > 1 ? parse(stateList, repeated.join(','), 'state') : q.state;
      return c.json(await listIncidents(c.env.DB, c.var.caller.orgId, { ...q, state }));
    },
  )
  .get('/:id', ...readOne(incident, 'getIncident', 'Get an incident', getIncident))
  .post(
    '/:id/ack',
    doc({
      operationId: 'acknowledgeIncident',
      summary: 'Acknowledge an open incident, with a note',
      description:
        RESPOND +
        'Acknowledging stops repeat notifications. `acknowledged.by` is the signed-in user; an API key leaves it null and is named in the audit log. ' +
        'Acknowledging an acknowledged incident changes nothing and answers it as it is.',
      ...onOne(incident),
      permission: 'alerts.respond',
      body: ackBody,
      example: { params: { id: INCIDENT_ID }, body: { note: 'Rotating logs now' } },
      responses: {
        200: { description: 'The incident, acknowledged', schema: incidentViewSchema, example: acknowledgedExample },
        404: notFound404(incident),
        409: conflict409,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await respond(c, id, 'acknowledged', c.req.valid('json').note));
    },
  )
  .post(
    '/:id/unack',
    doc({
      operationId: 'unacknowledgeIncident',
      summary: 'Withdraw the acknowledgement of an open incident',
      description:
        RESPOND + 'Un-acknowledging an incident nobody acknowledged changes nothing and answers it as it is.',
      ...onOne(incident),
      permission: 'alerts.respond',
      responses: {
        200: { description: 'The incident, not acknowledged', schema: incidentViewSchema, example: incidentExample },
        404: notFound404(incident),
        409: { ...conflict409, example: incidentBusy(INCIDENT_ID).body() },
      },
    }),
    async (c) => c.json(await respond(c, c.req.valid('param').id, 'unacknowledged')),
  );
