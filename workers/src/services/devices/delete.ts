import { deviceHubFor } from '../../objects/device-hub/index.ts';

/**
 * Deletion of devices and telemetry. D1 goes first, the DeviceHub second: a sample arriving
 * in between lands in the DeviceHub and is then wiped with the rest, and the next one
 * registers its series in D1 afresh. The other order could leave the DeviceHub believing a
 * series is registered after D1 had dropped it, and its rollups would then be refused.
 */

interface DeviceRef {
  id: string;
  orgId: string;
}

/** rollup_marks has no foreign key, so its rows go explicitly with their series. */
function deleteMarks(d1: D1Database, orgId: string, where: { deviceId: string } | { seriesId: string }) {
  return 'deviceId' in where
    ? d1
        .prepare(
          'DELETE FROM rollup_marks WHERE org_id = ?1 AND series_id IN (SELECT id FROM series WHERE device_id = ?2 AND org_id = ?1)',
        )
        .bind(orgId, where.deviceId)
    : d1.prepare('DELETE FROM rollup_marks WHERE org_id = ? AND series_id = ?').bind(orgId, where.seriesId);
}

/** Deletes the device (its series and rollups cascade) and everything its DeviceHub holds, identity included. */
export async function deleteDevice(env: Env, device: DeviceRef): Promise<void> {
  await env.DB.batch([
    deleteMarks(env.DB, device.orgId, { deviceId: device.id }),
    env.DB.prepare('DELETE FROM agent_configs WHERE org_id = ? AND scope = ?').bind(device.orgId, device.id),
    env.DB.prepare('DELETE FROM devices WHERE id = ? AND org_id = ?').bind(device.id, device.orgId),
  ]);
  // Without its identity (and with no D1 row to reload it from) the DeviceHub refuses the token.
  await deviceHubFor(env, device.id).wipe(false);
}

/** Deletes a device's telemetry but keeps the device, which goes on reporting. */
export async function deleteDeviceData(env: Env, device: DeviceRef): Promise<{ series: number; samples: number }> {
  const hub = deviceHubFor(env, device.id);
  const { samples } = await hub.stats();
  const [, deleted] = await env.DB.batch<{ id: string }>([
    deleteMarks(env.DB, device.orgId, { deviceId: device.id }),
    env.DB.prepare('DELETE FROM series WHERE device_id = ? AND org_id = ? RETURNING id').bind(device.id, device.orgId),
  ]);
  await hub.wipe(true);
  return { series: deleted?.results.length ?? 0, samples };
}

/** Deletes one series: its D1 row (rollups cascade), its marks, and its raw samples; returns samples deleted. */
export async function deleteSeries(env: Env, series: { id: string; orgId: string; deviceId: string }): Promise<number> {
  await env.DB.batch([
    deleteMarks(env.DB, series.orgId, { seriesId: series.id }),
    env.DB.prepare('DELETE FROM series WHERE id = ? AND org_id = ?').bind(series.id, series.orgId),
  ]);
  return deviceHubFor(env, series.deviceId).deleteSeries(series.id);
}
