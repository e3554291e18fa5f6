import type { LabelMatcher } from '../../../../schema/wire/alerts.ts';
import type { EngineRule, Transition, TransitionKind } from './engine/types.ts';

/** What a DeviceHub needs to run a rule over its history (`DeviceHub.alertPreview`). */
export interface PreviewRequest {
  rule: Pick<EngineRule, 'condition' | 'forMs' | 'keepFiringForMs'> & {
    metric: string | null;
    matchers: LabelMatcher[];
  };
  from: number;
  to: number;
  /** Most raw samples the hub reads for this preview; past it, series are cut short. */
  maxSamples: number;
}

/** One transition the rule would have made: the engine's, with its kind as `transition`, and the series it is of. */
export interface PreviewTransition extends Omit<Transition, 'kind'> {
  seriesId: string;
  metric: string | null;
  labels: Record<string, string>;
  transition: TransitionKind;
}

export interface PreviewResult {
  /** Series the rule watches on this device (1 for an offline rule: the device). */
  series: number;
  samples: number;
  /** The sample budget ran out: some history was not evaluated. */
  truncated: boolean;
  transitions: PreviewTransition[];
}
