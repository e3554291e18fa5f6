import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../workers/src/settings.ts';

describe('settings', () => {
  it('gives every setting its default when [vars] leaves it out', () => {
    expect(parseSettings({})).toEqual({
      INGEST_RATE_PER_MINUTE: 600,
      INGEST_BURST: 600,
      INGEST_MAX_SAMPLES: 5000,
      INGEST_MAX_BYTES: 2_000_000,
      SERIES_PER_DEVICE: 10_000,
      ONLINE_WINDOW_SECONDS: 60,
      STREAM_FLUSH_MS: 20,
      STREAM_PUBLISH_SHARDS: 1,
      STREAM_RELAYS: 1,
      SIGNUP: 'closed',
      SESSION_IDLE_MINUTES: 10_080,
      SESSION_MAX_DAYS: 30,
      INVITATION_TTL_DAYS: 7,
      ALLOW_PRIVATE_WEBHOOKS: { all: false, targets: [] },
      WEBHOOK_RETRY_SCHEDULE: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 86_400_000],
      WEBHOOK_TIMEOUT_MS: 10_000,
      WEBHOOK_DNS_RESOLVER: 'https://cloudflare-dns.com/dns-query',
      PUBLIC_URL: undefined,
      ALERT_RULES_TTL_SECONDS: 3600,
      METER: 'false',
    });
  });

  it('lets the burst default to the rate, and parses given values', () => {
    const s = parseSettings({ INGEST_RATE_PER_MINUTE: '120', STREAM_FLUSH_MS: '0' });
    expect(s.INGEST_BURST).toBe(120);
    expect(s.STREAM_FLUSH_MS).toBe(0);
  });

  it.each([
    ['ONLINE_WINDOW_SECONDS', 'sixty'],
    ['INGEST_MAX_BYTES', '12'],
    ['INGEST_MAX_SAMPLES', '1.5'],
    ['SERIES_PER_DEVICE', '-1'],
    ['SIGNUP', 'maybe'],
    ['ALLOW_PRIVATE_WEBHOOKS', 'yes please'],
    ['WEBHOOK_RETRY_SCHEDULE', '5s,2d'],
    ['WEBHOOK_RETRY_SCHEDULE', '25h'],
    ['WEBHOOK_DNS_RESOLVER', 'dns.example'],
    ['PUBLIC_URL', 'ftp://edgewatch.example'],
  ])('refuses %s=%s, naming it and showing an example', (name, value) => {
    let err: unknown;
    try {
      parseSettings({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).setting).toBe(name);
    expect((err as Error).message).toContain(`${name}="${value}"`);
    expect((err as Error).message).toMatch(/for example/);
  });

  it('parses the webhook settings: exempt targets, the retry schedule, URLs without a trailing slash', () => {
    const s = parseSettings({
      ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1:8080,[::1]:9000,Hooks.Local:80',
      WEBHOOK_RETRY_SCHEDULE: '1s,2m,3h',
      PUBLIC_URL: 'https://edgewatch.example/',
    });
    expect(s.ALLOW_PRIVATE_WEBHOOKS).toEqual({
      all: false,
      targets: ['127.0.0.1:8080', '[::1]:9000', 'hooks.local:80'],
    });
    expect(s.WEBHOOK_RETRY_SCHEDULE).toEqual([1000, 120_000, 10_800_000]);
    expect(s.PUBLIC_URL).toBe('https://edgewatch.example');
    expect(parseSettings({ ALLOW_PRIVATE_WEBHOOKS: 'true' }).ALLOW_PRIVATE_WEBHOOKS).toEqual({
      all: true,
      targets: [],
    });
  });
});
