import { beforeAll, describe, expect, it } from 'vitest';
import type { PointView, RegisterView } from '../../workers/src/services/sites/points.ts';
import { batch, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

/** A controller's points, valued from samples its gateway ingested (the agent's metric and label names). */

let org: TestOrg;
let gateway: { deviceId: string; deviceToken: string };
let controllerId: string;
const SERIAL = 4242;
const T = Date.now() - 60_000;

const point = (metric: string, p: string, value: number, ts = T, controller = String(SERIAL)) => ({
  metric,
  ts,
  value,
  labels: { controller, point: p, type: p.replace(/\d+$/, '') },
});

interface PointsAnswer {
  controllerId: string;
  gatewayDeviceId: string | null;
  points: PointView[];
  registers: RegisterView[];
}

beforeAll(async () => {
  org = await seedOrg();
  const siteId = await createSite(org);
  gateway = await enrollGateway(org, siteId);
  controllerId = await createController(org, siteId, { serial: SERIAL, gatewayDeviceId: gateway.deviceId });
  const res = await ingest(
    gateway.deviceToken,
    batch('points-1', [
      point('t3_point_value', 'IN1', 21.513),
      point('t3_point_range', 'IN1', 3),
      point('t3_point_manual', 'IN1', 0),
      point('t3_point_digital', 'IN1', 0),
      point('t3_point_value', 'OUT3', 1),
      point('t3_point_range', 'OUT3', 1),
      point('t3_point_manual', 'OUT3', 1),
      point('t3_point_digital', 'OUT3', 1),
      point('t3_point_value', 'VAR5', -5.25),
      // Another controller behind the same gateway: not this one's.
      point('t3_point_value', 'IN1', 99, T, '777'),
      { metric: 'modbus_register_value', ts: T, value: 12.5, labels: { controller: String(SERIAL), name: 'flow' } },
    ]),
  );
  expect(res.status).toBe(200);
});

describe('GET /v1/controllers/:id/points', () => {
  it('gives the points the gateway reported, with value, range, auto/manual and analog/digital, in IN, OUT, VAR order', async () => {
    const res = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points`);
    expect(res.status).toBe(200);
    expect(res.body.gatewayDeviceId).toBe(gateway.deviceId);
    expect(res.body.points.map((p) => p.point)).toEqual(['IN1', 'OUT3', 'VAR5']);
    expect(res.body.points[0]).toMatchObject({
      pointType: 'IN',
      pointNumber: 1,
      value: 21.513,
      ts: T,
      range: 3,
      autoManual: 'auto',
      analogDigital: 'analog',
      label: null,
      unit: null,
    });
    expect(res.body.points[1]).toMatchObject({ value: 1, range: 1, autoManual: 'manual', analogDigital: 'digital' });
    // Values arrive every poll, flags at a low rate: a point may have a value and no flags yet.
    expect(res.body.points[2]).toMatchObject({ value: -5.25, range: null, autoManual: null, analogDigital: null });
    expect(res.body.registers).toEqual([{ name: 'flow', value: 12.5, ts: T, seriesId: expect.any(String) }]);
  });

  it("gives each point's value series, which the history API reads like any other", async () => {
    const res = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points?type=IN`);
    const seriesId = res.body.points[0]!.seriesId!;
    const series = await call<{ series: { id: string; labels: Record<string, string> }[] }>(
      org.apiKey,
      `/v1/series?device=${gateway.deviceId}&metric=t3_point_value`,
    );
    expect(series.body.series.find((s) => s.id === seriesId)?.labels).toEqual({
      controller: String(SERIAL),
      point: 'IN1',
      type: 'IN',
    });
    const history = await call<{ points: { ts: number; value: number }[] }>(
      org.apiKey,
      `/v1/series/${seriesId}/history?from=${new Date(T - 1000).toISOString()}&to=${new Date(T + 1000).toISOString()}`,
    );
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).toContain('21.513');
  });

  it('filters by type, and lists all 256 T3 points with all=true', async () => {
    const outs = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points?type=OUT`);
    expect(outs.body.points.map((p) => p.point)).toEqual(['OUT3']);
    expect(outs.body.registers).toEqual([]);
    const all = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points?all=true`);
    expect(all.body.points).toHaveLength(256);
    expect(all.body.points[63]).toMatchObject({ point: 'IN64', value: null, seriesId: null });
    expect(all.body.points[255]).toMatchObject({ point: 'VAR128' });
    const vars = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points?type=VAR&all=true`);
    expect(vars.body.points).toHaveLength(128);
  });

  it('shows no values for a controller without a gateway', async () => {
    const siteId = await createSite(org, { name: 'No gateway' });
    const id = await createController(org, siteId, { serial: 5151 });
    const res = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${id}/points`);
    expect(res.body).toEqual({ controllerId: id, gatewayDeviceId: null, points: [], registers: [] });
  });

  it('refuses an unknown type naming type', async () => {
    const res = await call<{ error: { field: string } }>(org.apiKey, `/v1/controllers/${controllerId}/points?type=AI`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('type');
  });
});

describe('PATCH /v1/controllers/:id/points', () => {
  it('labels points (with or without values), leaves out fields as they were, and null clears', async () => {
    const res = await call<PointsAnswer>(
      org.apiKey,
      `/v1/controllers/${controllerId}/points`,
      json('PATCH', {
        points: [
          { point: 'IN1', label: 'Supply air temperature', unit: '°C' },
          { point: 'VAR100', label: 'Setpoint' },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.points).toMatchObject([
      { point: 'IN1', label: 'Supply air temperature', unit: '°C', value: 21.513 },
      { point: 'VAR100', label: 'Setpoint', unit: null, value: null },
    ]);
    await call(
      org.apiKey,
      `/v1/controllers/${controllerId}/points`,
      json('PATCH', { points: [{ point: 'IN1', unit: null }] }),
    );
    const listed = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${controllerId}/points`);
    expect(listed.body.points.map((p) => [p.point, p.label, p.unit])).toEqual([
      ['IN1', 'Supply air temperature', null],
      ['OUT3', null, null],
      ['VAR5', null, null],
      ['VAR100', 'Setpoint', null],
    ]);
  });

  it.each([
    [{ points: [{ point: 'IN65', label: 'x' }] }, 'points.0.point'],
    [{ points: [{ point: 'VAR0', label: 'x' }] }, 'points.0.point'],
    [{ points: [{ point: 'in1', label: 'x' }] }, 'points.0.point'],
    [{ points: [{ point: 'IN1', label: 'x'.repeat(101) }] }, 'points.0.label'],
    [{ points: [{ point: 'IN1', colour: 'red' }] }, 'points.0.colour'],
    [{ points: [] }, 'points'],
    [
      {
        points: [
          { point: 'IN2', label: 'a' },
          { point: 'IN2', label: 'b' },
        ],
      },
      'points.1',
    ],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/controllers/${controllerId}/points`,
      json('PATCH', body),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });

  it('labels all 256 points of a panel in one request', async () => {
    const points = ['IN', 'OUT', 'VAR'].flatMap((type) =>
      Array.from({ length: type === 'VAR' ? 128 : 64 }, (_, i) => ({
        point: `${type}${i + 1}`,
        label: `${type} ${i + 1}`,
        unit: 'u',
      })),
    );
    const siteId = await createSite(org, { name: 'Panel' });
    const id = await createController(org, siteId, { serial: 6161 });
    const res = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${id}/points`, json('PATCH', { points }));
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(256);
    const listed = await call<PointsAnswer>(org.apiKey, `/v1/controllers/${id}/points`);
    expect(listed.body.points.map((p) => p.label)).toEqual(points.map((p) => p.label));
  });

  it('needs sites.write', async () => {
    const reader = await seedOrg(['read']);
    const res = await call(
      reader.apiKey,
      `/v1/controllers/${controllerId}/points`,
      json('PATCH', { points: [{ point: 'IN1', label: 'x' }] }),
    );
    expect(res.status).toBe(403);
  });
});
