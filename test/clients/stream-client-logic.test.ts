import { describe, expect, it } from 'vitest';
import { creditWindow, fullJitterBackoff, resumeTracker } from '../../clients/stream/src/index.ts';
import type { WelcomeFrame } from '../../clients/stream/src/index.ts';

const welcome = (epoch: string, seq: number, resumed?: boolean): WelcomeFrame => ({
  type: 'welcome',
  v: 1,
  epoch,
  seq,
  ...(resumed !== undefined && { resumed }),
});

describe('creditWindow', () => {
  it('grants half the window back once half is consumed, never more than the window', () => {
    const w = creditWindow(10);
    expect(w.initial).toBe(10);
    const grants: number[] = [];
    for (let i = 0; i < 100; i++) {
      w.received();
      expect(w.outstanding).toBeGreaterThanOrEqual(0);
      const n = w.consumed();
      if (n) grants.push(n);
      expect(w.outstanding).toBeLessThanOrEqual(10);
    }
    expect(grants).toEqual(Array(20).fill(5));
    expect(w.overruns).toBe(0);
  });

  it('does not grant for frames received but not yet consumed', () => {
    const w = creditWindow(4);
    for (let i = 0; i < 4; i++) w.received();
    expect(w.outstanding).toBe(0);
    expect(w.consumed()).toBe(0);
    expect(w.consumed()).toBe(2);
    expect(w.outstanding).toBe(2);
  });

  it('counts frames beyond the grant as overruns and clamps the window to 1..10000', () => {
    const w = creditWindow(1);
    w.received();
    w.received();
    expect(w.overruns).toBe(1);
    expect(creditWindow(0).initial).toBe(1);
    expect(creditWindow(1e9).initial).toBe(10_000);
  });
});

describe('fullJitterBackoff', () => {
  it('draws uniformly below a doubling ceiling capped at maxMs, and resets', () => {
    const top = fullJitterBackoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    top.reset();
    expect(top.next()).toBe(100);
    const bottom = fullJitterBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(bottom.next()).toBe(0);
  });
});

describe('resumeTracker', () => {
  it('has no resume point before anything is seen, then the last (epoch, seq)', () => {
    const t = resumeTracker();
    expect(t.point()).toBeUndefined();
    expect(t.welcome(welcome('e1', 5))).toBe(false);
    expect(t.point()).toEqual({ epoch: 'e1', seq: 5 });
    expect(t.accept('e1', 7)).toBe(true);
    expect(t.point()).toEqual({ epoch: 'e1', seq: 7 });
  });

  it('drops replayed frames at or below the resume point, and keeps the highest seq', () => {
    const t = resumeTracker({ epoch: 'e1', seq: 10 });
    expect(t.welcome(welcome('e1', 20, true))).toBe(false);
    expect(t.accept('e1', 10)).toBe(false);
    expect(t.accept('e1', 15)).toBe(true);
    expect(t.accept('e1', 12)).toBe(true); // another subscription's replay, interleaved
    expect(t.point()).toEqual({ epoch: 'e1', seq: 15 });
  });

  it('reports a refused resume and restarts from the welcome', () => {
    const t = resumeTracker({ epoch: 'e1', seq: 10 });
    expect(t.welcome(welcome('e2', 3, false))).toBe(true);
    expect(t.point()).toEqual({ epoch: 'e2', seq: 3 });
    expect(t.accept('e2', 4)).toBe(true);
  });
});
