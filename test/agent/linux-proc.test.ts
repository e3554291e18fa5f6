import { describe, expect, it } from 'vitest';
import { isPseudoFilesystem } from '../../agent/src/collectors/disk.ts';
import {
  parseProcDiskstats,
  parseProcMounts,
  parseProcNetDev,
  parseProcStat,
} from '../../agent/src/collectors/linux-proc.ts';
import {
  commandMatcher,
  parseCmdline,
  parseContextSwitches,
  parsePidStat,
  parsePidStatmResident,
  parseSchedstatRunDelayNs,
  schedstatWorks,
} from '../../agent/src/collectors/proc-pid.ts';

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

  it('reads bytes, packets, errors and drops per interface from /proc/net/dev', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:  118384      49    0    0    0     0          0         0   118384      49    0    0    0     0       0          0',
      '  eth0: 558297270   14266    3    7    0     0          0         0   828154    7656    5    2    0     0       0          0',
    ].join('\n');
    expect(parseProcNetDev(text).get('eth0')).toEqual({
      rxBytes: 558297270,
      rxPackets: 14266,
      rxErrors: 3,
      rxDrops: 7,
      txBytes: 828154,
      txPackets: 7656,
      txErrors: 5,
      txDrops: 2,
    });
    expect(parseProcNetDev(text).has('lo')).toBe(true);
  });

  it('reads I/O counters per device from /proc/diskstats', () => {
    const text = [
      '   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
      ' 254       0 vda 77877 14442 6653178 41704 231586 87078 29513392 106001 0 32556 156986 43853 124 9466304 5566 48194 3714',
      ' 254       1 vda1 70000 14000 6000000 40000 230000 87000 29000000 106000 0 32000 150000',
      'garbage',
    ].join('\n');
    const disks = parseProcDiskstats(text);
    expect([...disks.keys()]).toEqual(['loop0', 'vda', 'vda1']);
    expect(disks.get('vda')).toEqual({
      reads: 77877,
      readSectors: 6653178,
      writes: 231586,
      writtenSectors: 29513392,
      ioMs: 32556,
    });
  });

  it('reads CPU ticks and major faults from /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const stat =
      '4242 (Web Content (x)) S 1 4242 4242 0 -1 4194560 5000 0 12 0 731 204 0 0 20 0 31 0 123456 3000000000 50000 18446744073709551615';
    expect(parsePidStat(stat)).toEqual({ cpuTicks: 935, startTicks: 123456, majorFaults: 12 });
    // A name made to look like the fields that follow it: only the last ')' ends it.
    const tricky = '77 (a) R 1 2 3 4 5 6 7 8 9 10 11 ) S 1 77 77 0 -1 0 40 0 3 0 5 6 0 0 20 0 1 0 999 0 0';
    expect(parsePidStat(tricky)).toEqual({ cpuTicks: 11, startTicks: 999, majorFaults: 3 });
    expect(parsePidStat('garbage')).toBeUndefined();
    expect(parsePidStatmResident('123456 7890 1000 10 0 5000 0\n')).toBe(7890);
  });

  it('reads the run delay, the second field, from /proc/<pid>/schedstat', () => {
    expect(parseSchedstatRunDelayNs('865504025 111726181 1344\n')).toBe(111726181);
    expect(parseSchedstatRunDelayNs('0 0 1\n')).toBe(0);
    expect(parseSchedstatRunDelayNs('')).toBeUndefined();
    expect(parseSchedstatRunDelayNs('12 x 3')).toBeUndefined();
    // Scheduler statistics switched off: every process reads "0 0 0", the reader included.
    expect(schedstatWorks('865504025 111726181 1344\n')).toBe(true);
    expect(schedstatWorks('0 0 0\n')).toBe(false);
  });

  it('reads voluntary and involuntary context switches from /proc/<pid>/status', () => {
    const status = [
      'Name:\tnode',
      'State:\tS (sleeping)',
      'Threads:\t11',
      'voluntary_ctxt_switches:\t368',
      'nonvoluntary_ctxt_switches:\t975',
      '',
    ].join('\n');
    expect(parseContextSwitches(status)).toEqual({ voluntary: 368, involuntary: 975 });
    // Only voluntary_ctxt_switches at the start of a line, not inside nonvoluntary_ctxt_switches.
    expect(parseContextSwitches('nonvoluntary_ctxt_switches:\t5\n')).toBeUndefined();
    expect(parseContextSwitches('Name:\tkthreadd\n')).toBeUndefined();
  });

  it('joins /proc/<pid>/cmdline arguments and matches substrings or /regex/', () => {
    const cmd = parseCmdline(Buffer.from('/usr/bin/node\0/srv/app/server.js\0--port\x003000\0'));
    expect(cmd).toBe('/usr/bin/node /srv/app/server.js --port 3000');
    expect(parseCmdline(Buffer.alloc(0))).toBe('');
    expect(commandMatcher('server.js')(cmd)).toBe(true);
    expect(commandMatcher('postgres')(cmd)).toBe(false);
    expect(commandMatcher('/^\\/usr\\/bin\\/(node|deno) /')(cmd)).toBe(true);
    expect(commandMatcher('/SERVER/i')(cmd)).toBe(true);
    // A global flag would make test() remember its position between processes.
    const global = commandMatcher('/node/g');
    expect([global(cmd), global(cmd)]).toEqual([true, true]);
    expect(() => commandMatcher('/(unclosed/')).toThrow(SyntaxError);
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
