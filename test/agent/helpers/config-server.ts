import { createHash } from 'node:crypto';
import { DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../../schema/wire/agent-config.ts';
import { ack, samplesOf, startServer, type RecordedRequest, type Reply, type TestServer } from './http-server.ts';

/**
 * A stand-in for the Worker's agent endpoints: enrollment (device `dev_test`, token
 * `ewd.test`), config with ETag/304, ingest acks, /health.
 */
export interface ConfigServer extends TestServer {
  /** What `GET /v1/agents/config` serves; replace it to change the config. */
  config: unknown;
  /** Answer config requests with this status instead (e.g. 500, 401). */
  failWith?: number;
  /** Every sample ingested so far. */
  samples(): { metric: string; ts: number; value: number; labels?: Record<string, string> }[];
  configRequests(): RecordedRequest[];
}

/** The ETag the Worker would send for `config`: a hash of its JSON. */
export const etagOf = (config: unknown) =>
  `"${createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16)}"`;

/** Starts a config server, serving `initial` (default: the Worker's default config). */
export async function startConfigServer(initial: RemoteAgentConfig = DEFAULT_AGENT_CONFIG): Promise<ConfigServer> {
  const state: { self?: ConfigServer } = {};
  const reply = (req: RecordedRequest): Reply => {
    if (req.path === '/health') return { body: { status: 'ok', time: Date.now() } };
    if (req.path === '/v1/ingest') return ack(req);
    if (req.path === '/v1/agents/enroll') {
      return {
        status: 201,
        body: { deviceId: 'dev_test', deviceToken: 'ewd.test', orgId: 'org_test', siteId: null, kind: 'host' },
      };
    }
    if (req.path === '/v1/agents/config') {
      const self = state.self!;
      if (req.headers.authorization !== 'Bearer ewd.test') {
        return { status: 401, body: { error: { code: 'unauthorized', message: 'device token not recognised' } } };
      }
      if (self.failWith) return { status: self.failWith, body: { error: { code: 'internal', message: 'boom' } } };
      const etag = etagOf(self.config);
      if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, body: '' };
      return { headers: { etag }, body: { config: self.config } };
    }
    return { status: 404, body: { error: { code: 'not_found', message: req.path } } };
  };
  const server = await startServer(reply);
  state.self = Object.assign(server, {
    config: initial as unknown,
    samples: () => server.requests.filter((r) => r.path === '/v1/ingest').flatMap((r) => samplesOf(r.json)),
    configRequests: () => server.requests.filter((r) => r.path === '/v1/agents/config'),
  });
  return state.self;
}
