import type { IncidentView, SilenceView } from '../../../../schema/wire/alerts.ts';

/** Example values of the incidents and silences routes' documentation. */

export const INCIDENT_ID = 'inc_7k2m9q4x8c1v5b3n6z0d2f4h';
export const SILENCE_ID = 'sil_3p8r1t6w9y2a5c7e0g4j6l8n';
const DEVICE_ID = 'dev_k3v9q2m8x1c7r4t6w0z5y8b2';
const RULE_ID = 'rul_q5w8e1r4t7y0u3i6o9p2a5s8';
const USER_ID = 'usr_01JD5W2P';

export const incidentExample: IncidentView = {
  id: INCIDENT_ID,
  ruleId: RULE_ID,
  ruleName: 'Disk almost full',
  deviceId: DEVICE_ID,
  siteId: 'site_p4n7d2k9s1m6x3q8v0c5r2w7',
  tags: ['prod'],
  seriesId: 's_3f1c9a0b7d2e4f6a8b1c3d5e',
  metric: 'disk_used_percent',
  labels: { mount: '/' },
  state: 'firing',
  severity: 'critical',
  peakSeverity: 'critical',
  value: 96.4,
  threshold: 95,
  summary: 'disk_used_percent{mount="/"} on web-1 is 96.4 (> 95)',
  startedAt: 1795345080000,
  firedAt: 1795345380000,
  resolvedAt: null,
  acknowledged: null,
  silenced: false,
};

export const acknowledgedExample: IncidentView = {
  ...incidentExample,
  acknowledged: { at: 1795345500000, by: USER_ID, note: 'Rotating logs now' },
};

export const silenceExample: SilenceView = {
  id: SILENCE_ID,
  matchers: [
    { field: 'device', value: DEVICE_ID },
    { field: 'severity', value: 'warning' },
  ],
  startsAt: 1795345200000,
  endsAt: 1795352400000,
  comment: 'Disk migration on web-1 until 16:00',
  createdBy: USER_ID,
  createdAt: 1795345200000,
  state: 'active',
};
