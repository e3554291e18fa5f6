import { noticeSummary, type NoticeSummary } from './notices/summary.ts';
import { statusPath } from './paths.ts';
import { stateFolders } from './state-folder.ts';
import { assessStatus, readStatusFile, type AgentStatus, type StatusRead } from './status-file.ts';

export interface StatusCommandOptions {
  configPath?: string;
  spoolDir?: string;
  json?: boolean;
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
}

/** `edgewatch-agent status`: 0 when the agent runs, 1 when it does not (or no status is found). */
export async function statusCommand(options: StatusCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const { dirs: candidates, deviceId } = await stateFolders({ ...options, env });
  let found: { dir: string; read: StatusRead } | undefined;
  for (const dir of candidates) {
    const read = await readStatusFile(statusPath(dir));
    // A file that exists but cannot be read (another user's 0700 directory) is still the answer.
    if (read.ok || read.reason !== 'missing') {
      found = { dir, read };
      break;
    }
  }

  if (!found || !found.read.ok) {
    const where = found?.dir ?? candidates[0]!;
    const reason = found && !found.read.ok ? found.read.message : `no status file at ${statusPath(where)}`;
    const hint =
      found && !found.read.ok && found.read.reason === 'unreadable'
        ? "run it as the agent's user or with sudo"
        : 'is the agent running? Start it with `systemctl start edgewatch-agent` or `edgewatch-agent run`' +
          (options.spoolDir ? '' : `; looked in ${candidates.join(', ')}`);
    if (options.json) write(JSON.stringify({ running: false, reason, hint }, null, 2) + '\n');
    else write(`edgewatch-agent: not running (${reason})\n  hint: ${hint}\n`);
    return 1;
  }

  const status = found.read.status;
  if (deviceId && status.deviceId && status.deviceId !== deviceId) {
    // Another agent's state folder: its liveness says nothing about this config's agent.
    const reason = `the status file in ${found.dir} is device ${status.deviceId}'s, not ${deviceId}'s`;
    const hint = 'set "spoolDir" in the config file to this agent\'s own state folder (enroll writes it)';
    if (options.json) write(JSON.stringify({ running: false, reason, hint }, null, 2) + '\n');
    else write(`edgewatch-agent: not running (${reason})\n  hint: ${hint}\n`);
    return 1;
  }
  const verdict = assessStatus(status);
  const notices = await noticeSummary(found.dir);
  if (options.json) {
    write(JSON.stringify({ running: verdict.running, reason: verdict.reason, ...status, notices }, null, 2) + '\n');
  } else {
    write(describe(status, verdict, notices));
  }
  return verdict.running ? 0 : 1;
}

function describe(s: AgentStatus, v: ReturnType<typeof assessStatus>, notices: NoticeSummary): string {
  const now = Date.now();
  const ago = (iso: string | undefined) => (iso ? `${duration(now - Date.parse(iso))} ago (${iso})` : 'never');
  const lines = [
    v.running
      ? `edgewatch-agent: running (pid ${s.pid}, version ${s.version}, up ${duration(now - Date.parse(s.startedAt))})`
      : `edgewatch-agent: not running (${v.reason}); last status from pid ${s.pid}, ${ago(s.updatedAt)}`,
    `  server:      ${s.url} via ${s.transport}${s.deviceId ? `, device ${s.deviceId}` : ''}`,
    `  last ship:   ${ago(s.shipping.lastShipAt)}${s.shipping.lastLatencyMs !== undefined ? `, took ${Math.round(s.shipping.lastLatencyMs)} ms` : ''}`,
    `  shipped:     ${s.shipping.batchesShipped} batches, ${s.shipping.samplesShipped} samples since start`,
    `  spool:       ${s.spool.pendingSamples} samples pending${s.spool.bytes !== undefined ? `, ${bytes(s.spool.bytes)} on disk` : ''} (${s.spool.kind}, ${s.spool.dir})`,
    `  dropped:     ${s.spool.dropped} samples (spool full), ${s.spool.rejected} refused by the server`,
    `  errors:      ${s.shipping.shipErrors} failed sends${s.shipping.lastError ? `; last ${ago(s.shipping.lastError.at)}: ${s.shipping.lastError.message}` : ''}`,
    `  config:      ${s.config.source}${s.config.etag ? ` ${s.config.etag}` : ''}${s.config.appliedAt ? `, applied ${ago(s.config.appliedAt)}` : ''}`,
    `  collectors:  ${s.collectors.map((c) => `${c.name} ${c.intervalSeconds}s`).join(', ')}`,
    `  notices:     ${notices.unreadFiring} unread firing${notices.unreadFiring > 0 ? ' (edgewatch-agent notices to read them)' : ''}`,
  ];
  if (s.gateway) {
    lines.push(`  gateway:     ${s.gateway.controllers.length} controller(s) polled`);
    for (const c of s.gateway.controllers) {
      const state = c.up === undefined ? 'not polled yet' : c.up ? 'answering' : 'NOT ANSWERING';
      const latency = c.readLatencyMs !== undefined ? `, ${c.readLatencyMs} ms a read` : '';
      const cycle = c.lastCycleMs !== undefined ? `, poll ${(c.lastCycleMs / 1000).toFixed(1)} s` : '';
      lines.push(
        `    ${c.controller} (${c.address}): ${state}${latency}${cycle}; last answer ${ago(c.lastSuccessAt)}; ${c.errorsTotal} of ${c.requestsTotal} requests failed${c.lastError ? `; last error: ${c.lastError}` : ''}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86_400)} days`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
