import { and, eq, inArray } from 'drizzle-orm';
import {
  mergeAgentConfig,
  type RemoteAgentConfig,
  type RemoteAgentConfigPatch,
} from '../../../../schema/wire/agent-config.ts';
import type { HostNotice } from '../../../../schema/wire/notices.ts';
import { db, schema } from '../../db.ts';
import type { Alongside } from '../audit/record.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { gatewayConfigFor } from '../sites/gateway-config.ts';
import { latestNotices } from '../notify/host-notices.ts';

/** Scope of the org-wide default in `agent_configs`. */
export const ORG_SCOPE = '*';

/**
 * What a device's agent polls for (`GET /v1/agents/config`, the MQTT config message): its
 * effective config, its latest host notices, and one ETag over both, so a new notice is a
 * changed answer. Its DeviceHub keeps it (objects/device-hub/agent-config.ts).
 */
export interface AgentConfigAnswer {
  config: RemoteAgentConfig;
  notices: HostNotice[];
  etag: string;
}

/**
 * A device's effective config: defaults, then the org's sections, then the device's; for a
 * gateway, its computed `gateway` section.
 */
export async function effectiveConfig(env: Env, orgId: string, deviceId: string): Promise<RemoteAgentConfig> {
  const d = db(env.DB);
  const [rows, device] = await d.batch([
    d
      .select()
      .from(schema.agentConfigs)
      .where(and(eq(schema.agentConfigs.orgId, orgId), inArray(schema.agentConfigs.scope, [ORG_SCOPE, deviceId]))),
    d
      .select({ kind: schema.devices.kind })
      .from(schema.devices)
      .where(and(eq(schema.devices.id, deviceId), eq(schema.devices.orgId, orgId))),
  ]);
  const layer = (scope: string) => rows.find((r) => r.scope === scope)?.config;
  const config = mergeAgentConfig(layer(ORG_SCOPE), layer(deviceId));
  // A gateway's controllers, trend logs and discovery come from D1, so changing them changes the ETag.
  if (device[0]?.kind === 'gateway') config.gateway = await gatewayConfigFor(env, orgId, deviceId);
  return config;
}

/** Builds a device's {@link AgentConfigAnswer} from D1. */
export async function agentConfigAnswer(env: Env, orgId: string, deviceId: string): Promise<AgentConfigAnswer> {
  const [config, notices] = await Promise.all([
    effectiveConfig(env, orgId, deviceId),
    latestNotices(env, orgId, deviceId),
  ]);
  // Without notices the ETag is the config's alone, as before notices existed.
  const tagged = notices.length === 0 ? config : { config, notices };
  return { config, notices, etag: `"${(await sha256Hex(JSON.stringify(tagged))).slice(0, 32)}"` };
}

/**
 * Stores the patch for a scope (the org default or one device), replacing what was there, in
 * one D1 batch with `alongside` (the request's audit row).
 */
export async function saveConfigLayer(
  env: Env,
  orgId: string,
  scope: string,
  patch: RemoteAgentConfigPatch,
  userId: string | null,
  alongside: Alongside = [],
): Promise<void> {
  const now = Date.now();
  const d = db(env.DB);
  await d.batch([
    d
      .insert(schema.agentConfigs)
      .values({ orgId, scope, config: patch, updatedAt: now, updatedBy: userId })
      .onConflictDoUpdate({
        target: [schema.agentConfigs.orgId, schema.agentConfigs.scope],
        set: { config: patch, updatedAt: now, updatedBy: userId },
      }),
    ...alongside,
  ]);
}

/** The stored layer for a scope, or `{}` when none was saved. */
export async function configLayer(env: Env, orgId: string, scope: string): Promise<RemoteAgentConfigPatch> {
  const row = await db(env.DB)
    .select()
    .from(schema.agentConfigs)
    .where(and(eq(schema.agentConfigs.orgId, orgId), eq(schema.agentConfigs.scope, scope)))
    .get();
  return row?.config ?? {};
}
