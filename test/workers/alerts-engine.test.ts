import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertCondition, Comparison, ThresholdLevel } from '../../schema/wire/alerts.ts';
import { absent, arrive, dueAt, observe, tick, type Point } from '../../workers/src/services/alerts/engine/evaluate.ts';
import { observedInterval, offlineAfterMs, replay } from '../../workers/src/services/alerts/engine/replay.ts';
import { initialState, type EngineRule, type Transition } from '../../workers/src/services/alerts/engine/types.ts';

/** The engine alone: pure functions, driven here with sample sequences and compared with a reference model. */

const S = 1000;
const rule = (condition: AlertCondition, forMs = 0, keepFiringForMs = 0, counter = false): EngineRule => ({
  condition,
  forMs,
  keepFiringForMs,
  counter,
});
const series = (...pairs: [number, number][]): Point[] => pairs.map(([t, value]) => ({ ts: t * S, value }));
/** Values one second apart, from t = 0. */
const seq = (...values: number[]): Point[] => values.map((value, i) => ({ ts: i * S, value }));
const brief = (ts: Transition[]) => ts.map((t) => `${t.kind}@${t.at / S}:${t.severity}`);
const run = (r: EngineRule, points: Point[]) => observe(r, initialState(), points);

const diskFull: AlertCondition = {
  kind: 'threshold',
  op: '>',
  warning: { value: 80, clear: 70 },
  critical: { value: 90, clear: 85 },
};

describe('threshold with for', () => {
  it('goes pending when the condition starts and fires only once it held for the duration', () => {
    const r = rule({ kind: 'threshold', op: '>', warning: { value: 80 } }, 5 * S);
    const step = run(r, seq(50, 81, 82, 83, 84, 85, 86, 87));
    // Pending at 1 s; for 5 s runs out at 6 s, dated then.
    expect(brief(step.transitions)).toEqual(['pending@1:warning', 'firing@6:warning']);
    expect(step.transitions[1]).toMatchObject({ value: 85, threshold: 80, from: 'pending', to: 'firing' });
  });

  it('resolves a pending episode that clears before the duration as never fired', () => {
    const r = rule({ kind: 'threshold', op: '>', warning: { value: 80 } }, 5 * S);
    const step = run(r, seq(81, 82, 83, 50, 50, 50, 50, 50));
    expect(brief(step.transitions)).toEqual(['pending@0:warning', 'resolved@3:warning']);
    expect(step.transitions[1]!.neverFired).toBe(true);
    expect(step.state.phase).toBe('normal');
  });

  it('fires at once with for 0, and the alarm fires a pending episode with no new sample', () => {
    expect(brief(run(rule(diskFull), seq(10, 95)).transitions)).toEqual(['firing@1:critical']);
    const r = rule(diskFull, 30 * S);
    const pending = run(r, seq(82));
    expect(brief(tick(r, pending.state, 29 * S).transitions)).toEqual([]);
    expect(dueAt(r, pending.state, null, null)).toBe(30 * S);
    // The alarm runs late; the transition is dated when the duration ran out.
    expect(brief(tick(r, pending.state, 45 * S).transitions)).toEqual(['firing@30:warning']);
  });
});

describe('hysteresis', () => {
  it('enters past value and leaves only once back past clear', () => {
    const r = rule({ kind: 'threshold', op: '>', warning: { value: 80, clear: 70 } });
    const step = run(r, seq(75, 81, 79, 71, 75, 80, 70, 79));
    expect(brief(step.transitions)).toEqual(['firing@1:warning', 'resolved@6:warning']);
  });

  it('works the other way for < (clear above value)', () => {
    const r = rule({ kind: 'threshold', op: '<', critical: { value: 10, clear: 20 } });
    expect(brief(run(r, seq(15, 9, 19, 20, 21, 11)).transitions)).toEqual(['firing@1:critical', 'resolved@3:critical']);
  });

  it('escalates warning → critical and back within one episode, then resolves', () => {
    const step = run(rule(diskFull), seq(50, 82, 91, 88, 86, 84, 75, 69));
    expect(brief(step.transitions)).toEqual([
      'firing@1:warning',
      'escalated@2:critical',
      // 86 is still past critical's clear (85); 84 is not, but still past warning's (70).
      'deescalated@5:warning',
      'resolved@7:warning',
    ]);
    expect(step.transitions.map((t) => t.threshold)).toEqual([80, 90, 80, 80]);
  });
});

describe('keep firing for', () => {
  it('keeps an episode firing while clear for less than the duration, and resolves after it', () => {
    const r = rule({ kind: 'threshold', op: '>', warning: { value: 80 } }, 0, 3 * S);
    // Clear at 2 s and back at 4 s: the same episode. Clear again at 5 s: resolved at 8 s.
    const step = run(r, seq(90, 90, 50, 50, 90, 50, 50, 50, 50, 50));
    expect(brief(step.transitions)).toEqual(['firing@0:warning', 'resolved@8:warning']);
  });

  it('resolves from the alarm when no further sample comes', () => {
    const r = rule({ kind: 'threshold', op: '>', warning: { value: 80 } }, 0, 10 * S);
    const step = run(r, seq(90, 50));
    expect(dueAt(r, step.state, null, null)).toBe(11 * S);
    expect(brief(tick(r, step.state, 11 * S).transitions)).toEqual(['resolved@11:warning']);
  });
});

describe('aggregation', () => {
  it('compares the mean over the window, not single spikes', () => {
    const r = rule({ ...diskFull, aggregation: { fn: 'mean', windowMs: 3 * S } } as AlertCondition);
    // Means over the last 3 s (3 samples): 50, 65, 73.3, 81.7, 88.3, 93.3, 81.7, 61.7, 40.
    const step = run(r, seq(50, 80, 90, 75, 100, 105, 40, 40, 40));
    expect(brief(step.transitions)).toEqual([
      'firing@3:warning',
      'escalated@5:critical',
      'deescalated@6:warning',
      'resolved@7:warning',
    ]);
    expect(step.transitions[0]!.value).toBeCloseTo(81.67, 1);
  });

  it('uses max and min over the window', () => {
    const max = rule({
      kind: 'threshold',
      op: '>',
      warning: { value: 80 },
      aggregation: { fn: 'max', windowMs: 2 * S },
    });
    expect(brief(run(max, seq(90, 10, 10, 10)).transitions)).toEqual(['firing@0:warning', 'resolved@2:warning']);
    const min = rule({
      kind: 'threshold',
      op: '>',
      warning: { value: 80 },
      aggregation: { fn: 'min', windowMs: 2 * S },
    });
    expect(brief(run(min, seq(10, 90, 10, 90, 90, 90)).transitions)).toEqual(['firing@4:warning']);
  });
});

describe('rate', () => {
  const rising = (counter = false) =>
    rule({ kind: 'rate', op: '>', warning: { value: 5 }, critical: { value: 20 }, windowMs: 15 * S }, 0, 0, counter);

  it('is (last − first) / seconds over the window', () => {
    const step = run(rising(), series([0, 100], [5, 110], [10, 180], [15, 190], [20, 200], [30, 200]));
    // Windows of 15 s (samples after t − 15 s): 2/s (0→5), 8/s (0→10), 8/s (5→15), 2/s (10→20), 0/s (20→30).
    expect(step.transitions.map((t) => [t.kind, t.at / S, t.value])).toEqual([
      ['firing', 10, 8],
      ['resolved', 20, 2],
    ]);
  });

  it('counts a drop of a *_total counter as a reset, not a fall', () => {
    const falls = (counter: boolean) =>
      rule({ kind: 'rate', op: '<', warning: { value: -1 }, windowMs: 15 * S }, 0, 0, counter);
    const points = series([0, 1000], [5, 1050], [10, 20], [15, 70], [25, 80]);
    // As a gauge: (20 − 1000) / 10 s is a fall, until the window has moved past it.
    expect(brief(run(falls(false), points).transitions)).toEqual(['firing@10:warning', 'resolved@25:warning']);
    // As a counter it restarted from zero: 50 + 20 over 10 s = 7/s, a rise.
    expect(run(falls(true), points).transitions).toEqual([]);
    const counter = run(rising(true), points.slice(0, 3));
    expect(counter.state.value).toBe(7);
  });

  it('needs two samples in the window before it says anything', () => {
    expect(run(rising(), series([0, 0])).state).toMatchObject({ phase: 'normal', value: null });
  });
});

describe('absence', () => {
  const noData = rule({ kind: 'no_data', afterMs: 30 * S }, 10 * S);

  it('goes pending after afterMs without a sample, fires after for, and resolves on the next sample', () => {
    const quiet = absent(noData, initialState(), 35 * S, 0, 30 * S);
    expect(brief(quiet.transitions)).toEqual(['pending@30:warning']);
    expect(dueAt(noData, quiet.state, 0, 30 * S)).toBe(40 * S);
    const fired = absent(noData, quiet.state, 41 * S, 0, 30 * S);
    expect(brief(fired.transitions)).toEqual(['firing@40:warning']);
    // Alarms run at least once: running again changes nothing.
    expect(absent(noData, fired.state, 41 * S, 0, 30 * S).transitions).toEqual([]);
    expect(brief(arrive(noData, fired.state, 50 * S).transitions)).toEqual(['resolved@50:warning']);
  });

  it('never fires for a series never seen, and a sample within afterMs keeps it normal', () => {
    expect(absent(noData, initialState(), 1e9, null, 30 * S).transitions).toEqual([]);
    expect(dueAt(noData, initialState(), 5 * S, 30 * S)).toBe(35 * S);
    expect(absent(noData, initialState(), 34 * S, 5 * S, 30 * S).transitions).toEqual([]);
  });

  it('marks offline critical, and defaults afterMs to twice the observed batch interval', () => {
    const offline = rule({ kind: 'offline' });
    expect(observedInterval([0, 10_000, 10_200, 20_000, 30_100, 30_150])).toBe(10_000);
    expect(offlineAfterMs(undefined, [0, 10_000, 20_000])).toBe(20_000);
    expect(offlineAfterMs(undefined, [0])).toBe(20_000);
    expect(offlineAfterMs(5_000, [0, 60_000])).toBe(5_000);
    expect(brief(absent(offline, initialState(), 21 * S, 0, 20 * S).transitions)).toEqual(['firing@20:critical']);
  });

  it('replays history with the same calls: gaps become episodes', () => {
    const points = series([0, 1], [10, 1], [60, 1], [70, 1]);
    const { transitions } = replay(noData, points, 0, 200 * S, 30 * S);
    expect(brief(transitions)).toEqual([
      'pending@40:warning',
      'firing@50:warning',
      'resolved@60:warning',
      'pending@100:warning',
      'firing@110:warning',
    ]);
  });
});

/* ---------- property tests against a reference model ---------- */

interface Case {
  op: Comparison;
  warning?: ThresholdLevel;
  critical?: ThresholdLevel;
  forMs: number;
  keepFiringForMs: number;
  points: Point[];
}

const passes = (op: Comparison, v: number, t: number) =>
  op === '>' ? v > t : op === '>=' ? v >= t : op === '<' ? v < t : v <= t;

/**
 * The reference: each level is its own Schmitt trigger; the level is the highest one on; time is
 * stepped second by second (every time and duration here is whole seconds), durations counted
 * with plain counters of elapsed seconds.
 */
function reference(c: Case): string[] {
  const trigger = (l: ThresholdLevel | undefined) => {
    let on = false;
    return (v: number) =>
      (on = l !== undefined && (on ? passes(c.op, v, l.clear ?? l.value) : passes(c.op, v, l.value)));
  };
  const [warn, crit] = [trigger(c.warning), trigger(c.critical)];
  const levelAt = new Map(
    c.points.map((p) => [
      p.ts / S,
      ((w: boolean, k: boolean) => (k ? 'critical' : w ? 'warning' : 'ok'))(warn(p.value), crit(p.value)),
    ]),
  );
  const out: string[] = [];
  let phase: 'normal' | 'pending' | 'firing' = 'normal';
  let severity = '';
  let heldFor = 0; // seconds the condition has held while pending
  let clearFor = -1; // seconds clear while firing; -1 when holding
  const [forS, keepS] = [c.forMs / S, c.keepFiringForMs / S];
  const last = c.points.at(-1)!.ts / S;
  for (let t = c.points[0]!.ts / S; t <= last; t++) {
    if (phase === 'pending' && heldFor >= forS) {
      out.push(`firing@${t}:${severity}`);
      phase = 'firing';
      clearFor = -1;
    }
    if (phase === 'firing' && clearFor >= keepS) {
      out.push(`resolved@${t}:${severity}`);
      phase = 'normal';
    }
    const level = levelAt.get(t);
    if (level !== undefined) {
      if (phase === 'normal' && level !== 'ok') {
        severity = level;
        phase = forS === 0 ? 'firing' : 'pending';
        out.push(`${phase}@${t}:${level}`);
        heldFor = 0;
        clearFor = -1;
      } else if (phase === 'pending') {
        if (level === 'ok') {
          out.push(`resolved@${t}:${severity}`);
          phase = 'normal';
        } else severity = level;
      } else if (phase === 'firing') {
        if (level === 'ok') {
          if (clearFor < 0) clearFor = 0;
          if (clearFor >= keepS) {
            out.push(`resolved@${t}:${severity}`);
            phase = 'normal';
          }
        } else {
          clearFor = -1;
          if (level !== severity) out.push(`${level === 'critical' ? 'escalated' : 'deescalated'}@${t}:${level}`);
          severity = level;
        }
      }
    }
    if (phase === 'pending') heldFor++;
    if (phase === 'firing' && clearFor >= 0) clearFor++;
  }
  return out;
}

/** A valid rule (clear on the safe side, critical beyond warning) and whole-second samples around its thresholds. */
const cases: fc.Arbitrary<Case> = fc
  .record({
    op: fc.constantFrom<Comparison>('>', '>=', '<', '<='),
    w: fc.integer({ min: 40, max: 60 }),
    wClear: fc.integer({ min: 0, max: 10 }),
    cAbove: fc.integer({ min: 1, max: 20 }),
    cClear: fc.integer({ min: 0, max: 15 }),
    which: fc.constantFrom('both', 'warning', 'critical'),
    forS: fc.constantFrom(0, 1, 2, 5),
    keepS: fc.constantFrom(0, 1, 3),
    samples: fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 20, max: 90 })), {
      minLength: 1,
      maxLength: 60,
    }),
  })
  .map((g) => {
    const up = g.op === '>' || g.op === '>=';
    const sign = up ? 1 : -1;
    const mirror = (v: number) => (up ? v : 110 - v);
    const warning = { value: mirror(g.w), clear: mirror(g.w) - sign * g.wClear };
    const c = mirror(g.w + g.cAbove);
    const critical = { value: c, clear: c - sign * g.cClear };
    let t = 0;
    const points = g.samples.map(([dt, value]) => ({ ts: (t += dt) * S, value }));
    return {
      op: g.op,
      ...(g.which !== 'critical' ? { warning } : {}),
      ...(g.which !== 'warning' ? { critical } : {}),
      forMs: g.forS * S,
      keepFiringForMs: g.keepS * S,
      points,
    };
  });

const ruleOf = (c: Case) =>
  rule(
    { kind: 'threshold', op: c.op, warning: c.warning, critical: c.critical } as AlertCondition,
    c.forMs,
    c.keepFiringForMs,
  );

describe('the engine against the reference model', () => {
  it('produces the same transitions for random value sequences', () => {
    fc.assert(
      fc.property(cases, (c) => {
        expect(brief(run(ruleOf(c), c.points).transitions)).toEqual(reference(c));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same transitions with alarm ticks in between (they only date what samples would)', () => {
    fc.assert(
      fc.property(cases, fc.array(fc.integer({ min: 0, max: 250 }), { maxLength: 20 }), (c, ticks) => {
        const r = ruleOf(c);
        const last = c.points.at(-1)!.ts;
        let s = initialState();
        const out: Transition[] = [];
        const times = [...c.points.map((p) => ({ p })), ...ticks.map((t) => ({ t: Math.min(t * S, last) }))].sort(
          (a, b) => ('p' in a ? a.p.ts : a.t) - ('p' in b ? b.p.ts : b.t) || ('p' in a ? 1 : -1),
        );
        for (const at of times) {
          const step = 'p' in at ? observe(r, s, [at.p]) : tick(r, s, at.t);
          out.push(...step.transitions);
          s = step.state;
        }
        expect(brief(out)).toEqual(brief(run(r, c.points).transitions));
      }),
      { numRuns: 300 },
    );
  });

  it('does not flap: values between clear and fire thresholds open no incident and end none', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Comparison>('>', '>=', '<', '<='),
        fc.integer({ min: 2, max: 30 }),
        fc.array(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { minLength: 1, maxLength: 100 }),
        fc.constantFrom(0, 5 * S),
        (op, gap, fractions, forMs) => {
          const up = op === '>' || op === '>=';
          const value = 50;
          const clear = up ? value - gap : value + gap;
          const r = rule({ kind: 'threshold', op, warning: { value, clear } }, forMs);
          // Strictly between clear and value: neither enters nor leaves.
          const between = fractions.map((f) => clear + (value - clear) * f);
          expect(run(r, seq(...between)).transitions).toEqual([]);
          const fire = up ? value + 10 : value - 10;
          const held = run(r, seq(fire, fire, fire, fire, fire, fire, ...between));
          expect(held.transitions.map((t) => t.kind)).toEqual(forMs > 0 ? ['pending', 'firing'] : ['firing']);
          expect(held.state.phase).toBe('firing');
        },
      ),
      { numRuns: 300 },
    );
  });
});
