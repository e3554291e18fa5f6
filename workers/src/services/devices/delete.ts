import { and, eq, inArray } from 'drizzle-orm';
import { db, schema, type Db } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import type { Alongside } from '../audit/record.ts';

/**
 * Deletion of devices and telemetry. D1 goes first, the DeviceHub second: a sample arriving
 * in between lands in the DeviceHub and is then wiped with the rest, and the next one
 * registers its series in D1 afresh. The other order could leave the DeviceHub believing a
 * series is registered after D1 had dropped it, and its rollups would then be refused.
 *
 * Each takes `alongside`: statements (the request's audit row) committed in the same D1 batch
 * as the D1 part of the delete.
 */

interface DeviceRef {
  id: string;
  orgId: string;
}

/**
 * rollup_marks has no foreign key, so its rows go explicitly with their series (the hour and
 * day rollups cascade from `series`; the minutes go with the DeviceHub's data).
 */
function deleteMarks(d: Db, orgId: string, where: { deviceId: string } | { seriesId: string }) {
  const m = schema.rollupMarks;
  const s = schema.series;
  const ofSeries = inArray(
    m.sid,
    d
      .select({ num: s.num })
      .from(s)
      .where(and('deviceId' in where ? eq(s.deviceId, where.deviceId) : eq(s.id, where.seriesId), eq(s.orgId, orgId))),
  );
  return d.delete(m).where(and(eq(m.orgId, orgId), ofSeries));
}

/** Deletes the device (its series and rollups cascade) and everything its DeviceHub holds, identity included. */
export async function deleteDevice(env: Env, device: DeviceRef, alongside: Alongside = []): Promise<void> {
  const d = db(env.DB);
  const { agentConfigs, devices } = schema;
  await d.batch([
    deleteMarks(d, device.orgId, { deviceId: device.id }),
    d.delete(agentConfigs).where(and(eq(agentConfigs.orgId, device.orgId), eq(agentConfigs.scope, device.id))),
    d.delete(devices).where(and(eq(devices.id, device.id), eq(devices.orgId, device.orgId))),
    ...alongside,
  ]);
  // Without its identity (and with no D1 row to reload it from) the DeviceHub refuses the token.
  await deviceHubFor(env, device.id).wipe(false);
}

/** Deletes a device's telemetry but keeps the device, which goes on reporting. */
export async function deleteDeviceData(
  env: Env,
  device: DeviceRef,
  alongside: (samples: number) => Alongside = () => [],
): Promise<{ series: number; samples: number }> {
  const hub = deviceHubFor(env, device.id);
  const { samples } = await hub.stats();
  const d = db(env.DB);
  const s = schema.series;
  const [, deleted] = await d.batch([
    deleteMarks(d, device.orgId, { deviceId: device.id }),
    d
      .delete(s)
      .where(and(eq(s.deviceId, device.id), eq(s.orgId, device.orgId)))
      .returning({ id: s.id }),
    ...alongside(samples),
  ]);
  await hub.wipe(true);
  return { series: deleted.length, samples };
}

/** Deletes one series: its D1 row (rollups cascade), its marks, and its raw samples; returns samples deleted. */
export async function deleteSeries(
  env: Env,
  series: { id: string; orgId: string; deviceId: string },
  alongside: Alongside = [],
): Promise<number> {
  const d = db(env.DB);
  const s = schema.series;
  await d.batch([
    deleteMarks(d, series.orgId, { seriesId: series.id }),
    d.delete(s).where(and(eq(s.id, series.id), eq(s.orgId, series.orgId))),
    ...alongside,
  ]);
  return deviceHubFor(env, series.deviceId).deleteSeries(series.id);
}
