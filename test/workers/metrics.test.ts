import { beforeAll, describe, expect, it } from 'vitest';
import { env } from 'cloudflare:test';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

const t1 = Date.now() - 30_000;
let org: TestOrg;
let other: TestOrg;
let alpha: string;
let boiler: string;
let foreign: string;
let site: string;
const cpuHead = [
  '# HELP edgewatch_cpu_usage_percent Latest value of the Edgewatch metric cpu_usage_percent, as last reported by each device.',
  '# TYPE edgewatch_cpu_usage_percent gauge',
].join('\n');

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  site = newId('site');
  await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
    .bind(site, org.orgId, 'Basement', Date.now())
    .run();
  const a = await enroll(org, 'alpha');
  const b = await enroll(org, 'boiler\\room "A"');
  const revoked = await enroll(org, 'retired');
  const f = await enroll(other, 'theirs');
  [alpha, boiler, foreign] = [a.deviceId, b.deviceId, f.deviceId];
  await env.DB.prepare('UPDATE devices SET site_id = ? WHERE id = ?').bind(site, boiler).run();
  const sent = [
    ingest(a.deviceToken, batch('a-1', [{ metric: 'cpu_usage_percent', ts: t1, value: 10 }])),
    ingest(
      b.deviceToken,
      batch('b-1', [
        { metric: 'cpu_usage_percent', ts: t1 - 1_000, value: 40 },
        { metric: 'cpu_usage_percent', ts: t1, value: 55.5 },
        {
          metric: 'tank_level',
          ts: t1,
          value: 0.25,
          labels: { quote: 'say "hi"', path: 'C:\\data', note: 'line1\nline2', device: 'pump' },
        },
      ]),
    ),
    ingest(revoked.deviceToken, batch('r-1', [{ metric: 'cpu_usage_percent', ts: t1, value: 1 }])),
    ingest(f.deviceToken, batch('f-1', [{ metric: 'cpu_usage_percent', ts: t1, value: 99 }])),
  ];
  for (const res of await Promise.all(sent)) expect(res.status).toBe(200);
  expect((await api(org.apiKey, `/v1/devices/${revoked.deviceId}/revoke`, { method: 'POST' })).status).toBe(200);
});

describe('GET /v1/metrics', () => {
  it("exposes the latest value of every series of the org's active devices, escaped", async () => {
    const res = await api(org.apiKey, '/v1/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const boilerLabels = `device_id="${boiler}",device="boiler\\\\room \\"A\\"",site_id="${site}"`;
    expect(await res.text()).toBe(
      [
        cpuHead,
        `edgewatch_cpu_usage_percent{device_id="${alpha}",device="alpha"} 10`,
        `edgewatch_cpu_usage_percent{${boilerLabels}} 55.5`,
        '# HELP edgewatch_tank_level Latest value of the Edgewatch metric tank_level, as last reported by each device.',
        '# TYPE edgewatch_tank_level gauge',
        `edgewatch_tank_level{${boilerLabels},exported_device="pump",note="line1\\nline2",path="C:\\\\data",quote="say \\"hi\\""} 0.25`,
        '',
      ].join('\n'),
    );
  });

  it('narrows to one device with ?device=', async () => {
    const text = await (await api(org.apiKey, `/v1/metrics?device=${alpha}`)).text();
    expect(text).toBe(`${cpuHead}\nedgewatch_cpu_usage_percent{device_id="${alpha}",device="alpha"} 10\n`);
  });

  it('narrows to one site with ?site=, and an unknown site exposes nothing', async () => {
    const text = await (await api(org.apiKey, `/v1/metrics?site=${site}`)).text();
    expect(text.split('\n').filter((l) => l.startsWith('edgewatch_'))).toEqual([
      `edgewatch_cpu_usage_percent{device_id="${boiler}",device="boiler\\\\room \\"A\\"",site_id="${site}"} 55.5`,
      `edgewatch_tank_level{device_id="${boiler}",device="boiler\\\\room \\"A\\"",site_id="${site}",exported_device="pump",note="line1\\nline2",path="C:\\\\data",quote="say \\"hi\\""} 0.25`,
    ]);
    const none = await api(org.apiKey, `/v1/metrics?site=site_nowhere`);
    expect(none.status).toBe(200);
    expect(await none.text()).toBe('');
  });

  it("keeps organisations apart: another org's device is a 404 and never exposed", async () => {
    expect((await api(org.apiKey, `/v1/metrics?device=${foreign}`)).status).toBe(404);
    expect(await (await api(other.apiKey, '/v1/metrics')).text()).toBe(
      `${cpuHead}\nedgewatch_cpu_usage_percent{device_id="${foreign}",device="theirs"} 99\n`,
    );
  });

  it('types _total families as counters and spells units out in base units, converting values', async () => {
    const gauge = await enroll(org, 'gauges');
    const ts = Date.now() - 10_000;
    const samples = [
      { metric: 'net_rx_errors_total', ts, value: 7, labels: { interface: 'eth0', le: '0.5' } },
      { metric: 'diskio_io_time_ms_per_second', ts, value: 250 },
      { metric: 'probe_tls_cert_days_left', ts, value: 2 },
      { metric: 'flow_litres_per_h', ts, value: 7200 },
      { metric: 'process_count', ts, value: 3 },
      { metric: 'supplyAirTemp', ts, value: 21 },
    ];
    expect((await ingest(gauge.deviceToken, batch('g-1', samples))).status).toBe(200);
    const text = await (await api(org.apiKey, `/v1/metrics?device=${gauge.deviceId}`)).text();
    const own = `device_id="${gauge.deviceId}",device="gauges"`;
    expect(text.split('\n').filter((l) => !l.startsWith('# HELP'))).toEqual([
      '# TYPE edgewatch_diskio_io_time_seconds_per_second gauge',
      `edgewatch_diskio_io_time_seconds_per_second{${own}} 0.25`,
      '# TYPE edgewatch_flow_litres_per_second gauge',
      `edgewatch_flow_litres_per_second{${own}} 2`,
      '# TYPE edgewatch_net_rx_errors_total counter',
      `edgewatch_net_rx_errors_total{${own},exported_le="0.5",interface="eth0"} 7`,
      '# TYPE edgewatch_probe_tls_cert_seconds_left gauge',
      `edgewatch_probe_tls_cert_seconds_left{${own}} 172800`,
      '# TYPE edgewatch_process_count untyped',
      `edgewatch_process_count{${own}} 3`,
      '# TYPE edgewatch_supply_air_temp gauge',
      `edgewatch_supply_air_temp{${own}} 21`,
      '',
    ]);
    expect(text).toContain(
      '# HELP edgewatch_probe_tls_cert_seconds_left Latest value of the Edgewatch metric probe_tls_cert_days_left, converted to base units, as last reported by each device.\n',
    );
  });

  it('answers 401 without an API key, 403 without read, and 400 for an unknown parameter', async () => {
    const res = await api('', '/v1/metrics');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await api((await seedOrg(['write'])).apiKey, '/v1/metrics')).status).toBe(403);
    expect((await api(org.apiKey, '/v1/metrics?format=json')).status).toBe(400);
  });
});

describe('GET /v1/metrics of a large org', () => {
  it('refuses a scrape of more devices than one request may ask (422 too_many_devices on site), and serves a site', async () => {
    const big = await seedOrg();
    const bigSite = newId('site');
    await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
      .bind(bigSite, big.orgId, 'Hall', Date.now())
      .run();
    // 501 device rows: one more than a scrape asks. Two of them on the site.
    const rows = Array.from({ length: 501 }, (_, i) => [newId('dev'), `host-${i}`, i < 2 ? bigSite : null]);
    await env.DB.prepare(
      `INSERT INTO devices (id, org_id, name, kind, token_hash, tags, site_id, created_at)
       SELECT value ->> 0, ?, value ->> 1, 'host', 'hash-' || (value ->> 0), '[]', value ->> 2, ? FROM json_each(?)`,
    )
      .bind(big.orgId, Date.now(), JSON.stringify(rows))
      .run();
    const res = await api(big.apiKey, '/v1/metrics');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: 'too_many_devices', field: 'site' });
    expect(body.error.message).toMatch(/^the org has more than 500 devices/);
    const perSite = await api(big.apiKey, `/v1/metrics?site=${bigSite}`);
    expect(perSite.status).toBe(200);
  });
});
