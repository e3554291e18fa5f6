import { describe, expect, it } from 'vitest';
import {
  mergeAgentConfig,
  remoteAgentConfigPatch,
  type RemoteAgentConfigPatch,
} from '../../schema/wire/agent-config.ts';
import { draftOf, patchOf } from '../../workers/dashboard/src/pages/device/agent-config-draft.ts';

/** What `GET /v1/devices/:id/agent-config` answers for these layers. */
const answer = (overrides: RemoteAgentConfigPatch, org: RemoteAgentConfigPatch = {}) => ({
  deviceId: 'dev_1',
  overrides,
  effective: mergeAgentConfig(org, overrides),
});

describe("the device's agent-config draft", () => {
  it('shows notices as off (the log only) when no layer sets them, and sends nothing for them untouched', () => {
    const draft = draftOf(answer({ intervals: { cpu: 30 } }));
    expect(draft.notices).toEqual({ wall: false, journal: false });
    expect(patchOf(draft)).toEqual({ intervals: { cpu: 30 } });
  });

  it("starts from the organisation's notices, and sends the device's own once they are edited", () => {
    const draft = draftOf(answer({}, { notices: { wall: true, journal: false } }));
    expect(draft.notices).toEqual({ wall: true, journal: false });
    expect(patchOf(draft)).toEqual({});
    const edited = {
      ...draft,
      notices: { wall: true, journal: true },
      own: new Set([...draft.own, 'notices' as const]),
    };
    const patch = patchOf(edited);
    expect(patch).toEqual({ notices: { wall: true, journal: true } });
    expect(remoteAgentConfigPatch.safeParse(patch).success).toBe(true);
  });

  it('keeps the notices a device overrides when another section is saved', () => {
    const draft = draftOf(
      answer({ notices: { wall: false, journal: true } }, { notices: { wall: true, journal: true } }),
    );
    expect(draft.notices).toEqual({ wall: false, journal: true });
    const edited = {
      ...draft,
      intervals: { ...draft.intervals, cpu: '15' },
      own: new Set([...draft.own, 'intervals' as const]),
    };
    expect(patchOf(edited)).toEqual({ intervals: { cpu: 15 }, notices: { wall: false, journal: true } });
  });

  it('sends back the overridden sections the form does not edit (a PUT replaces the whole layer)', () => {
    const overrides: RemoteAgentConfigPatch = {
      disabled: ['temperature'],
      ntp: { server: 'ntp.example.com', port: 123 },
      probes: [{ type: 'tcp', name: 'db', host: 'db.internal', port: 5432 }],
    };
    const draft = draftOf(answer(overrides));
    expect(draft.own).toEqual(new Set(['probes']));
    expect(patchOf(draft)).toEqual(overrides);
  });
});
