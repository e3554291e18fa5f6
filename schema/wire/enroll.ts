import { z } from 'zod';
import { deviceKinds } from '../tables/devices.ts';

export const enrollRequest = z.strictObject({
  token: z.string().min(10).max(200),
  name: z.string().min(1).max(200),
  kind: z.enum(deviceKinds).optional(),
  agentVersion: z.string().max(64).optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequest>;

export interface EnrollResponse {
  deviceId: string;
  /** Shown once. Sent as `Authorization: Bearer <deviceToken>`; stored hashed by the Worker. */
  deviceToken: string;
  orgId: string;
  siteId: string | null;
  kind: (typeof deviceKinds)[number];
}
