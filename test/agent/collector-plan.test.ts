import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES, DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { createCollectorPlan } from '../../agent/src/collectors/plan.ts';
import type { Collector } from '../../agent/src/collectors/types.ts';
import { createShipper } from '../../agent/src/shipper.ts';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import { createLogger } from '../../agent/src/log.ts';

const spool = createMemorySpool();
const shipper = createShipper({
  spool,
  transport: {
    name: 'none',
    connect: async () => {},
    close: async () => {},
    send: async () => ({ kind: 'retryable', reason: 'x' }),
  },
  log: createLogger({ write: () => {} }),
});
const plan = () => createCollectorPlan({ baseIntervalSeconds: 10, self: { spool, shipper } });
const byName = (list: Collector[]) => Object.fromEntries(list.map((c) => [c.name, c]));
const withProbes: RemoteAgentConfig = {
  ...DEFAULT_AGENT_CONFIG,
  probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }],
  processes: [{ name: 'node', match: 'node' }],
};

describe('collector plan', () => {
  it('runs every collector, leaving out probes and process watch until they have something to do', () => {
    const names = plan()
      .build(DEFAULT_AGENT_CONFIG)
      .map((c) => c.name);
    expect(names).toEqual(COLLECTOR_NAMES.filter((n) => n !== 'probes' && n !== 'processes'));
    expect(
      plan()
        .build(withProbes)
        .map((c) => c.name),
    ).toEqual([...COLLECTOR_NAMES]);
  });

  it('keeps the same instances for an unchanged config, and makes new ones only for changed settings', () => {
    const p = plan();
    const first = byName(p.build(withProbes));
    const again = byName(p.build(structuredClone(withProbes)));
    for (const name of COLLECTOR_NAMES) expect(again[name], name).toBe(first[name]);

    const changed = byName(
      p.build({ ...withProbes, probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5433 }] }),
    );
    expect(changed.probes).not.toBe(first.probes);
    expect(changed.cpu).toBe(first.cpu);
    expect(changed.processes).toBe(first.processes);
  });

  it('changes only the interval of a collector whose interval changed, keeping its collect function', () => {
    const p = plan();
    const first = byName(p.build(withProbes));
    const next = byName(p.build({ ...withProbes, intervals: { cpu: 2, ntp: 600 } }));
    expect(next.cpu!.intervalMs).toBe(2_000);
    expect(next.cpu!.collect).toBe(first.cpu!.collect);
    expect(next.ntp!.intervalMs).toBe(600_000);
    expect(next.memory).toBe(first.memory);
  });

  it('drops disabled collectors and starts afresh when they come back', () => {
    const p = plan();
    const first = byName(p.build(withProbes));
    expect(byName(p.build({ ...withProbes, disabled: ['cpu', 'probes'] }))).not.toHaveProperty('cpu');
    const back = byName(p.build(withProbes));
    expect(back.cpu).toBeDefined();
    expect(back.cpu!.collect).not.toBe(first.cpu!.collect);
  });
});
