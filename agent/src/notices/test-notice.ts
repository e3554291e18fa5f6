import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import {
  DEFAULT_NOTICE_OUTPUTS,
  noticeOutputs,
  type HostNotice,
  type NoticeOutputs,
} from '../../../schema/wire/notices.ts';
import { configCachePath } from '../paths.ts';
import { OUTPUT_TIMEOUT_MS, runOutputs } from './outputs.ts';

/**
 * `edgewatch-agent notices --test`: shows a made-up notice through the outputs this host's
 * agent config enables (wall, the journal), so an operator setting up host notices can see
 * them arrive without waiting for an incident. The platform's side (a channel of kind `host`,
 * delivery with the config) is not involved, and nothing is added to the notice log.
 */
export async function sendTestNotice(options: {
  dir: string;
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
  warn: (text: string) => void;
  timeoutMs?: number;
}): Promise<number> {
  const { write, warn } = options;
  const outputs = await outputsInForce(options.dir);
  const notice = testNotice(Date.now());
  if (!outputs.wall && !outputs.journal) {
    write(
      `edgewatch-agent: wall and the journal are both off in this agent's config (its "notices" section), so notices only go to its log.\n` +
        `  Turn them on for the org: PUT /v1/agent-config {"notices":{"wall":true,"journal":true}} (or on the device page of the dashboard)\n`,
    );
    return 0;
  }
  const run = { env: options.env, timeoutMs: options.timeoutMs ?? OUTPUT_TIMEOUT_MS };
  const outcomes = await runOutputs([notice], outputs, run);
  let failed = false;
  for (const [output, outcome] of outcomes) {
    const where = output === 'wall' ? 'logged-in terminals (wall)' : 'the journal (journalctl -t edgewatch-agent)';
    if (outcome.kind === 'ok') write(`sent a test notice to ${where}\n`);
    else {
      failed = true;
      const why = outcome.kind === 'missing' ? `${output} is not on PATH` : `${output} failed: ${outcome.reason}`;
      warn(`edgewatch-agent: no test notice to ${where}: ${why}; notices reach only the log there\n`);
    }
  }
  return failed ? 1 : 0;
}

/** The outputs of the config the agent last received (its cache), else the default (both off). */
async function outputsInForce(dir: string): Promise<NoticeOutputs> {
  try {
    const cached = JSON.parse(await readFile(configCachePath(dir), 'utf8')) as { config?: { notices?: unknown } };
    const parsed = noticeOutputs.safeParse(cached.config?.notices);
    return parsed.success ? parsed.data : DEFAULT_NOTICE_OUTPUTS;
  } catch {
    return DEFAULT_NOTICE_OUTPUTS;
  }
}

function testNotice(at: number): HostNotice {
  const host = hostname();
  return {
    id: 1,
    at,
    transition: 'resolved',
    severity: 'warning',
    incidentId: '',
    ruleName: 'Test notice',
    device: { id: '', name: host },
    title: `Test notice for ${host}`,
    summary: 'sent by edgewatch-agent notices --test: host notices reach this host; nothing is wrong',
    url: null,
  };
}
