import {
  COLLECTOR_NAMES,
  type CollectorName,
  type Probe,
  type ProcessWatch,
  type RemoteAgentConfigPatch,
} from '../../../../../schema/wire/agent-config.ts';
import { DEFAULT_NOTICE_OUTPUTS, type NoticeOutputs } from '../../../../../schema/wire/notices.ts';
import type { DeviceAgentConfig } from './api.ts';

/** The sections the device's agent-config form edits. */
export const EDITED_SECTIONS = ['intervals', 'probes', 'processes', 'notices'] as const;
export type EditedSection = (typeof EDITED_SECTIONS)[number];

export interface AgentConfigDraft {
  /** Text of each interval input; empty means "inherit". */
  intervals: Record<CollectorName, string>;
  probes: Probe[];
  processes: ProcessWatch[];
  /** Where host notices go besides the agent's log. */
  notices: NoticeOutputs;
  /** Sections this device overrides (or the user edited): only those are sent. */
  own: Set<EditedSection>;
  /**
   * The device's overrides of sections the form does not edit (`disabled`, `ntp`): a PUT
   * replaces the device's whole layer, so they are sent back as they were.
   */
  kept: RemoteAgentConfigPatch;
}

/** The form's draft of a device's config: its own intervals, and the effective lists and notice outputs. */
export function draftOf(cfg: DeviceAgentConfig): AgentConfigDraft {
  const intervals = Object.fromEntries(
    COLLECTOR_NAMES.map((c) => [
      c,
      cfg.overrides.intervals?.[c] === undefined ? '' : String(cfg.overrides.intervals[c]),
    ]),
  ) as Record<CollectorName, string>;
  const kept: RemoteAgentConfigPatch = { ...cfg.overrides };
  for (const section of EDITED_SECTIONS) delete kept[section];
  return {
    intervals,
    probes: cfg.effective.probes,
    processes: cfg.effective.processes,
    // Absent means "the log only": both outputs off.
    notices: { ...DEFAULT_NOTICE_OUTPUTS, ...cfg.effective.notices },
    own: new Set(EDITED_SECTIONS.filter((k) => cfg.overrides[k] !== undefined)),
    kept,
  };
}

/** The device layer to PUT: the sections kept as they were, then those the device owns. */
export function patchOf(draft: AgentConfigDraft): RemoteAgentConfigPatch {
  const patch: RemoteAgentConfigPatch = { ...draft.kept };
  if (draft.own.has('intervals')) {
    const entries = Object.entries(draft.intervals).filter(([, v]) => v.trim() !== '');
    // A value that is not a number goes as typed, so the API names the field and says why.
    patch.intervals = Object.fromEntries(entries.map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]));
  }
  if (draft.own.has('probes')) patch.probes = draft.probes;
  if (draft.own.has('processes')) patch.processes = draft.processes;
  if (draft.own.has('notices')) patch.notices = { wall: draft.notices.wall, journal: draft.notices.journal };
  return patch;
}
