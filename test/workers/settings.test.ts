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
      SIGNUP: 'closed',
      SESSION_IDLE_MINUTES: 10_080,
      SESSION_MAX_DAYS: 30,
      INVITATION_TTL_DAYS: 7,
      ALERT_RULES_TTL_SECONDS: 60,
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
});
