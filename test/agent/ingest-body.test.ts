import { describe, expect, it } from 'vitest';
import { groupedBatchSchema } from '../../schema/wire/ingest.ts';
import { ingestBody } from '../../agent/src/spool/body.ts';

const ts = 1_700_000_000_000;

describe('the body the agent sends', () => {
  it('groups the samples by series, points in spool order, labels in any key order', () => {
    const body = ingestBody(
      {
        batchId: 'b-1',
        samples: [
          { metric: 'load1', ts, value: 0.5 },
          { metric: 'cpu', ts, value: 10, labels: { cpu: '0', host: 'a' } },
          { metric: 'cpu', ts, value: 11, labels: { cpu: '1', host: 'a' } },
          { metric: 'load1', ts: ts + 1000, value: 0.7 },
          { metric: 'cpu', ts: ts + 1000, value: 12, labels: { host: 'a', cpu: '0' } },
          { metric: 'load1', ts: ts - 5000, value: 0.1 },
        ],
      },
      { version: '1.2.3' },
    );
    expect(body).toEqual({
      batchId: 'b-1',
      series: [
        {
          metric: 'load1',
          points: [
            [ts, 0.5],
            [ts + 1000, 0.7],
            [ts - 5000, 0.1],
          ],
        },
        {
          metric: 'cpu',
          labels: { cpu: '0', host: 'a' },
          points: [
            [ts, 10],
            [ts + 1000, 12],
          ],
        },
        { metric: 'cpu', labels: { cpu: '1', host: 'a' }, points: [[ts, 11]] },
      ],
      agent: { version: '1.2.3' },
    });
    expect(groupedBatchSchema().safeParse(body).success).toBe(true);
  });

  it('leaves out agent when none is given, and builds the same body for a retry', () => {
    const batch = { batchId: 'b-2', samples: [{ metric: 'm', ts, value: 1 }] };
    expect(ingestBody(batch)).toEqual({ batchId: 'b-2', series: [{ metric: 'm', points: [[ts, 1]] }] });
    expect(JSON.stringify(ingestBody(batch))).toBe(JSON.stringify(ingestBody(batch)));
  });
});
