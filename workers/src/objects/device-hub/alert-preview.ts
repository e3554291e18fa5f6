import { offlineAfterMs, replay } from '../../services/alerts/engine/replay.ts';
import type { EngineRule } from '../../services/alerts/engine/types.ts';
import type { PreviewRequest, PreviewResult, PreviewTransition } from '../../services/alerts/preview-types.ts';
import { matchesLabels } from '../../services/alerts/rules.ts';
import { lastBefore, readRaw } from './raw-read.ts';

/**
 * Runs a rule over this device's stored raw history with the engine's `replay`, the same calls
 * the live evaluation makes. Windows (aggregation, rate) are warmed up with the samples before
 * `from`; absence starts from the last sample (or batch) before it. Offline rules replay the
 * device's batch arrivals, which the object keeps for 7 days.
 */
export function previewRule(sql: SqlStorage, req: PreviewRequest): PreviewResult {
  const { rule, from, to } = req;
  const c = rule.condition;
  if (c.kind === 'offline') {
    const arrivals = sql
      .exec<{ ts: number }>(
        `SELECT received_at AS ts FROM (SELECT received_at FROM batches WHERE received_at < ? ORDER BY received_at DESC LIMIT 1)
         UNION ALL SELECT received_at FROM batches WHERE received_at >= ? AND received_at < ? ORDER BY ts LIMIT ?`,
        from,
        from,
        to,
        req.maxSamples + 1,
      )
      .toArray()
      .map((r) => ({ ts: r.ts, value: 0 }));
    const truncated = arrivals.length > req.maxSamples;
    const points = arrivals.slice(0, req.maxSamples);
    const afterMs = offlineAfterMs(
      c.afterMs,
      points.map((p) => p.ts),
    );
    const engine: EngineRule = {
      condition: c,
      forMs: rule.forMs,
      keepFiringForMs: rule.keepFiringForMs,
      counter: false,
    };
    const { transitions } = replay(engine, points, from, truncated ? points.at(-1)!.ts : to, afterMs);
    return { series: 1, samples: points.length, truncated, transitions: transitions.map((t) => view('', null, {}, t)) };
  }

  const warmup = c.kind === 'rate' ? c.windowMs : c.kind === 'threshold' ? (c.aggregation?.windowMs ?? 0) : 0;
  const series = sql
    .exec<{ sid: number; series_id: string; labels: string }>(
      'SELECT sid, series_id, labels FROM series WHERE metric = ? ORDER BY key',
      rule.metric ?? '',
    )
    .toArray()
    .map((s) => ({ ...s, labels: JSON.parse(s.labels) as Record<string, string> }))
    .filter((s) => matchesLabels(rule.matchers, s.labels));
  const out: PreviewTransition[] = [];
  let budget = req.maxSamples;
  let samples = 0;
  let truncated = false;
  for (const s of series) {
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const start = from - warmup;
    const previous = lastBefore(sql, s.sid, start);
    const before = previous ? [previous] : [];
    const rows = readRaw(sql, s.sid, start, to, budget + 1);
    const cut = rows.length > budget;
    const points = [...before, ...rows.slice(0, budget)];
    truncated ||= cut;
    budget -= points.length;
    samples += points.length;
    const engine: EngineRule = {
      condition: c,
      forMs: rule.forMs,
      keepFiringForMs: rule.keepFiringForMs,
      counter: rule.metric?.endsWith('_total') ?? false,
    };
    const end = cut ? points.at(-1)!.ts : to;
    const { transitions } = replay(engine, points, from, end, c.kind === 'no_data' ? c.afterMs : null);
    out.push(...transitions.map((t) => view(s.series_id, rule.metric, s.labels, t)));
  }
  out.sort((a, b) => a.at - b.at);
  return { series: series.length, samples, truncated, transitions: out };
}

function view(
  seriesId: string,
  metric: string | null,
  labels: Record<string, string>,
  t: ReturnType<typeof replay>['transitions'][number],
): PreviewTransition {
  return {
    seriesId,
    metric,
    labels,
    transition: t.kind,
    from: t.from,
    to: t.to,
    at: t.at,
    severity: t.severity,
    value: t.value,
    threshold: t.threshold,
    ...(t.neverFired ? { neverFired: true } : {}),
  };
}
