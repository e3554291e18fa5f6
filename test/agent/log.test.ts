import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/src/log.ts';

describe('logger', () => {
  it('writes one JSON object per line with time, level, message and fields', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).info('batch shipped', { batchId: 'a-1', samples: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({ level: 'info', msg: 'batch shipped', batchId: 'a-1', samples: 3 });
    expect(Date.parse(record.time)).toBeGreaterThan(0);
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['w', 'e']);
  });

  it('keeps the message and code of errors and the fields of a child logger', () => {
    const lines: string[] = [];
    const err = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
    createLogger({ write: (l) => lines.push(l) })
      .child({ component: 'shipper' })
      .error('send failed', { err });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      component: 'shipper',
      err: { name: 'Error', message: 'connect refused', code: 'ECONNREFUSED' },
    });
  });
});
