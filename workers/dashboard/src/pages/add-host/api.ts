import { api, call } from '../../api.ts';

/** An enrollment token as listed (never its secret). */
export interface EnrollmentToken {
  id: string;
  kind: 'host' | 'gateway';
  siteId: string | null;
  maxUses: number | null;
  uses: number;
  expiresAt: number;
  createdAt: number;
  revokedAt: number | null;
}

/** `POST /v1/enrollment-tokens` answer: the only time the secret `token` is seen. */
export type CreatedToken = EnrollmentToken & { token: string };

export const enrollmentApi = {
  create: (body: { kind: 'host' | 'gateway'; expiresInHours: number; maxUses: number | null }) =>
    call<CreatedToken>('POST', '/v1/enrollment-tokens', body),
  list: (signal?: AbortSignal) =>
    call<{ tokens: EnrollmentToken[] }>('GET', '/v1/enrollment-tokens', undefined, signal).then((r) => r.tokens),
  revoke: (id: string) => call<EnrollmentToken>('DELETE', `/v1/enrollment-tokens/${encodeURIComponent(id)}`),
  /** Every device (all pages), to tell which ones are new since the token was made. */
  devices: (signal?: AbortSignal) => api.allDevices(signal),
};

/** The one-line install for this server, as docs/install.md gives it. */
export const installLine = (origin: string, token: string): string =>
  `curl -fsSL ${origin}/install.sh | sudo sh -s -- --token ${token}`;

/**
 * The MQTT variant: the same install, then the agent switched to MQTT over WebSocket
 * (docs/mqtt.md) by `EDGEWATCH_TRANSPORT`, which overrides the config file (docs/agent.md),
 * in a systemd drop-in. install.sh has no transport flag, so the switch is a visible step.
 */
export const mqttLines = (origin: string, token: string): string =>
  [
    installLine(origin, token),
    'sudo mkdir -p /etc/systemd/system/edgewatch-agent.service.d',
    "printf '[Service]\\nEnvironment=EDGEWATCH_TRANSPORT=mqtt\\n' | sudo tee /etc/systemd/system/edgewatch-agent.service.d/mqtt.conf",
    'sudo systemctl daemon-reload && sudo systemctl restart edgewatch-agent',
  ].join('\n');
