import type { RawRegister } from '../../../../../schema/wire/gateway.ts';
import type { PointView } from '../../../../src/services/sites/points.ts';
import type { ControllerStatus } from '../../../../src/services/sites/health.ts';
import type { ControllerView } from '../../../../src/services/sites/views.ts';
import type { DeviceStatus } from '../../../../../schema/wire/telemetry.ts';
import { call } from '../../api.ts';

/** Types of the sites API as docs/gateway.md and workers/src/services/sites/docs.ts give them. */

export interface DiscoverySettings {
  enabled: boolean;
  intervalSeconds: number;
  targets: { host: string; port: number }[];
}

export interface GatewaySummary {
  id: string;
  name: string;
  status: DeviceStatus;
  lastSeenAt: number | null;
}

export interface SiteView {
  id: string;
  name: string;
  address: string | null;
  timeZone: string;
  discovery: DiscoverySettings;
  gateways: GatewaySummary[];
  controllerCount: number;
  controllerStatus: Record<ControllerStatus, number>;
  createdAt: number;
}

export type { ControllerStatus } from '../../../../src/services/sites/health.ts';
export type { ControllerView };

/** `GET /v1/sites/:id` answers what the list gives for each site. */
export type SiteDetail = SiteView;

export interface SiteBody {
  name: string;
  address?: string | null;
  timeZone?: string;
  discovery?: Partial<DiscoverySettings>;
}

export interface ControllerBody {
  serial: number;
  label?: string | null;
  ip: string;
  port?: number;
  modbusId?: number;
  gatewayDeviceId?: string | null;
}

/** The Worker's own view type (a type import: nothing of the Worker reaches the bundle). */
export type { PointView };

export interface PointsAnswer {
  controllerId: string;
  gatewayDeviceId: string | null;
  points: PointView[];
}

export interface PointPatch {
  point: string;
  label?: string | null;
  unit?: string | null;
}

export interface TrendLogEntries {
  points: { controllerId: string; point: string }[];
  registers: { controllerId: string; spec: RawRegister }[];
  /** BACnet objects (`analog-input:3`) of controllers with a BACnet instance. */
  bacnet: { controllerId: string; object: string }[];
}

export interface TrendLogView extends TrendLogEntries {
  id: string;
  name: string;
  siteId: string | null;
  gatewayDeviceId: string | null;
  intervalSeconds: number;
  createdAt: number;
  updatedAt: number;
}

export interface TrendLogBody extends TrendLogEntries {
  name: string;
  intervalSeconds: number;
  siteId?: string;
}

const enc = encodeURIComponent;
const site = (id: string) => `/v1/sites/${enc(id)}`;
const controller = (id: string) => `/v1/controllers/${enc(id)}`;
const trendLog = (id: string) => `/v1/trend-logs/${enc(id)}`;

/** The site and trend-log pages' calls to the public API; errors are `ApiError` (see ../../api.ts). */
export const sitesApi = {
  sites: (signal?: AbortSignal) =>
    call<{ sites: SiteView[] }>('GET', '/v1/sites', undefined, signal).then((r) => r.sites),
  site: (id: string, signal?: AbortSignal) => call<SiteDetail>('GET', site(id), undefined, signal),
  createSite: (body: SiteBody) => call<SiteView>('POST', '/v1/sites', body),
  updateSite: (id: string, body: Partial<SiteBody>) => call<SiteDetail>('PATCH', site(id), body),
  controllers: (siteId: string, signal?: AbortSignal) =>
    call<{ controllers: ControllerView[] }>('GET', `${site(siteId)}/controllers`, undefined, signal).then(
      (r) => r.controllers,
    ),
  controller: (id: string, signal?: AbortSignal) => call<ControllerView>('GET', controller(id), undefined, signal),
  addController: (siteId: string, body: ControllerBody) =>
    call<ControllerView>('POST', `${site(siteId)}/controllers`, body),
  points: (controllerId: string, signal?: AbortSignal) =>
    call<PointsAnswer>('GET', `${controller(controllerId)}/points`, undefined, signal),
  /** Labels and units of some points; `null` clears one. */
  patchPoints: (controllerId: string, points: PointPatch[]) =>
    call<PointsAnswer>('PATCH', `${controller(controllerId)}/points`, { points }),
  trendLogs: (signal?: AbortSignal) =>
    call<{ trendLogs: TrendLogView[] }>('GET', '/v1/trend-logs', undefined, signal).then((r) => r.trendLogs),
  trendLog: (id: string, signal?: AbortSignal) => call<TrendLogView>('GET', trendLog(id), undefined, signal),
  createTrendLog: (body: TrendLogBody) => call<TrendLogView>('POST', '/v1/trend-logs', body),
  updateTrendLog: (id: string, body: Partial<TrendLogBody>) => call<TrendLogView>('PATCH', trendLog(id), body),
  removeTrendLog: (id: string) => call<null>('DELETE', trendLog(id)),
};
