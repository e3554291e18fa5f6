import type { AlertCondition, AlertSeverity, LabelMatcher } from '../../../../schema/wire/alerts.ts';
import type { Phase, TransitionKind } from './engine/types.ts';

/** What a DeviceHub needs to run a rule over its history (`DeviceHub.alertPreview`). */
export interface PreviewRequest {
  rule: {
    metric: string | null;
    matchers: LabelMatcher[];
    condition: AlertCondition;
    forMs: number;
    keepFiringForMs: number;
  };
  from: number;
  to: number;
  /** Most raw samples the hub reads for this preview; past it, series are cut short. */
  maxSamples: number;
}

/** One transition the rule would have made. */
export interface PreviewTransition {
  seriesId: string;
  metric: string | null;
  labels: Record<string, string>;
  transition: TransitionKind;
  from: Phase;
  to: Phase;
  at: number;
  severity: AlertSeverity;
  value: number | null;
  threshold: number | null;
  neverFired?: boolean;
}

export interface PreviewResult {
  /** Series the rule watches on this device (1 for an offline rule: the device). */
  series: number;
  samples: number;
  /** The sample budget ran out: some history was not evaluated. */
  truncated: boolean;
  transitions: PreviewTransition[];
}
