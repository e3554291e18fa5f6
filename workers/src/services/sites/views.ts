import type { ControllerStatus } from './health.ts';

/**
 * Answer types of the sites API that the dashboard reads too (a type import there, so none of
 * the Worker's code reaches its bundle). Type-only on purpose: no Workers or drizzle imports.
 */

/** A controller as `GET /v1/controllers/:id` and the site's list show it. */
export interface ControllerView {
  id: string;
  siteId: string;
  gatewayDeviceId: string | null;
  serial: number;
  label: string | null;
  productId: number | null;
  modbusId: number;
  ip: string;
  port: number;
  bacnetInstance: number | null;
  bacnetPort: number | null;
  panelNumber: number | null;
  panelName: string | null;
  firmware: number | null;
  parentSerial: number | null;
  timeoutMs: number | null;
  source: 'discovery' | 'manual';
  discoveredAt: number | null;
  createdAt: number;
  updatedAt: number;
  status: ControllerStatus;
  /** When the gateway last got an answer from it (its health samples). */
  lastReadAt: number | null;
}
