import { describe, expect, it } from 'vitest';
import { isPseudoFilesystem } from '../../agent/src/collectors/disk.ts';
import { parseProcMounts, parseProcNetDev, parseProcStat } from '../../agent/src/collectors/linux-proc.ts';

describe('/proc parsers', () => {
  it('reads aggregate and per-core CPU times from /proc/stat', () => {
    const stat = parseProcStat(
      'cpu  3584 10 1817 49358 113 1 45 7 3 0\ncpu0 1457 0 778 25209 6 0 4 2 0 0\ncpu1 2127 10 1039 24148 107 1 41 5 3 0\nintr 1 2\n',
    );
    expect(stat?.total).toEqual({
      user: 3584,
      nice: 10,
      system: 1817,
      idle: 49358,
      iowait: 113,
      irq: 1,
      softirq: 45,
      steal: 7,
    });
    expect([...stat!.cores.keys()]).toEqual(['0', '1']);
    expect(stat!.cores.get('1')?.iowait).toBe(107);
  });

  it('returns undefined when /proc/stat has no cpu line', () => {
    expect(parseProcStat('intr 1 2\n')).toBeUndefined();
  });

  it('reads bytes and errors per interface from /proc/net/dev', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:  118384      49    0    0    0     0          0         0   118384      49    0    0    0     0       0          0',
      '  eth0: 558297270   14266    3    0    0     0          0         0   828154    7656    5    0    0     0       0          0',
    ].join('\n');
    expect(parseProcNetDev(text).get('eth0')).toEqual({
      rxBytes: 558297270,
      rxErrors: 3,
      txBytes: 828154,
      txErrors: 5,
    });
    expect(parseProcNetDev(text).has('lo')).toBe(true);
  });

  it('unescapes spaces in mount points from /proc/self/mounts', () => {
    const mounts = parseProcMounts('/dev/sdb1 /media/My\\040Disk ext4 rw 0 0\nproc /proc proc rw 0 0\n');
    expect(mounts).toEqual([
      { device: '/dev/sdb1', mount: '/media/My Disk', type: 'ext4' },
      { device: 'proc', mount: '/proc', type: 'proc' },
    ]);
  });

  it('treats memory, kernel and container-layer filesystems as pseudo', () => {
    expect(isPseudoFilesystem('tmpfs', '/run')).toBe(true);
    expect(isPseudoFilesystem('squashfs', '/snap/core/1')).toBe(true);
    expect(isPseudoFilesystem('overlay', '/var/lib/docker/overlay2/abc/merged')).toBe(true);
    expect(isPseudoFilesystem('ext4', '/')).toBe(false);
    expect(isPseudoFilesystem('xfs', '/data')).toBe(false);
  });
});
