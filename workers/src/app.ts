import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './app-env.ts';
import { ApiError, errorBody } from './errors.ts';
import { csrfProtection } from './middleware/csrf/index.ts';
import { etag } from './middleware/etag/index.ts';
import { requestId } from './middleware/request-id/index.ts';
import { generateOpenApi } from './openapi/generate.ts';
import { agentConfigPollRoutes, deviceAgentConfigRoutes, orgAgentConfigRoutes } from './routes/agent-config.ts';
import { agentRoutes } from './routes/agents.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { accountRoutes } from './routes/account.ts';
import { auditRoutes } from './routes/audit.ts';
import { alertRulesRoutes } from './routes/alert-rules.ts';
import { incidentsRoutes } from './routes/incidents.ts';
import { silencesRoutes } from './routes/silences.ts';
import { webhooksRoutes } from './routes/webhooks.ts';
import { deliveriesRoutes } from './routes/deliveries.ts';
import { siteRoutes } from './routes/sites.ts';
import { controllerRoutes, siteControllerRoutes } from './routes/controllers.ts';
import { pointRoutes } from './routes/points.ts';
import { trendLogRoutes } from './routes/trend-logs.ts';
import { gatewayDiscoveryRoutes } from './routes/gateway-discovery.ts';
import { authRoutes } from './routes/auth.ts';
import { deviceRoutes } from './routes/devices.ts';
import { eventRoutes } from './routes/events.ts';
import { enrollmentTokenRoutes } from './routes/enrollment-tokens.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { mqttRoutes } from './routes/mqtt.ts';
import { installRoutes } from './routes/install.ts';
import { seriesRoutes } from './routes/series.ts';
import { streamRoutes } from './routes/stream.ts';
import { historyRoutes } from './routes/history.ts';
import { statsRoutes } from './routes/stats.ts';
import { latestRoutes } from './routes/latest.ts';
import { summaryRoutes } from './routes/summary.ts';
import { exportRoutes } from './routes/export.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { seriesDeleteRoutes } from './routes/series-delete.ts';
import { orgSettingsRoutes } from './routes/org-settings.ts';
import { orgRoutes } from './routes/org.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { signupRoutes } from './routes/signup.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { memberRoutes } from './routes/members.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { log } from './services/log.ts';
import { settings } from './settings.ts';

/** The HTTP surface of the Worker: every route, behind one error path. */
export const app = new Hono<AppEnv>();

app.use('*', requestId());
// Settings are parsed before any route, so a bad [vars] value fails by name, not as a wrong default.
app.use('*', async (c, next) => {
  settings(c.env);
  await next();
});
app.use(
  '*',
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'"],
      scriptSrc: ["'self'"],
      frameAncestors: ["'none'"],
    },
  }),
);

// Before any route or auth lookup: a forged cookie write is refused without touching D1.
app.use('*', csrfProtection());
app.use('/v1/*', etag());

app.route('/health', healthRoutes);
app.route('/install.sh', installRoutes);
app.route('/v1/ingest', ingestRoutes);
app.route('/v1/agents/config', agentConfigPollRoutes);
app.route('/v1/agents/gateway', gatewayDiscoveryRoutes);
app.route('/v1/agents', agentRoutes);
app.route('/v1/agent-config', orgAgentConfigRoutes);
app.route('/v1/enrollment-tokens', enrollmentTokenRoutes);
app.route('/v1/api-keys', apiKeyRoutes);
app.route('/v1/auth', authRoutes);
app.route('/v1/auth', signupRoutes);
app.route('/v1/auth', accountRoutes);
app.route('/v1/auth', sessionRoutes);
app.route('/v1/devices', deviceRoutes);
app.route('/v1/devices', deviceAgentConfigRoutes);
app.route('/v1/events', eventRoutes);
app.route('/v1/series', seriesRoutes);
app.route('/v1/series', seriesDeleteRoutes);
app.route('/v1/history', historyRoutes);
app.route('/v1/stats', statsRoutes);
app.route('/v1/latest', latestRoutes);
app.route('/v1/summary', summaryRoutes);
app.route('/v1/export', exportRoutes);
app.route('/v1/metrics', metricsRoutes);
app.route('/v1/org', orgSettingsRoutes);
app.route('/v1/org', orgRoutes);
app.route('/v1/members', memberRoutes);
app.route('/v1/invitations', invitationRoutes);
app.route('/v1/audit', auditRoutes);
app.route('/v1/alert-rules', alertRulesRoutes);
app.route('/v1/incidents', incidentsRoutes);
app.route('/v1/silences', silencesRoutes);
app.route('/v1/webhooks', webhooksRoutes);
app.route('/v1/sites', siteRoutes);
app.route('/v1/sites', siteControllerRoutes);
app.route('/v1/controllers', controllerRoutes);
app.route('/v1/controllers', pointRoutes);
app.route('/v1/trend-logs', trendLogRoutes);
app.route('/v1/deliveries', deliveriesRoutes);
app.route('/v1/openapi.json', openApiRoutes(openApiDocument));
app.route('/v1/stream', streamRoutes);
app.route('/mqtt', mqttRoutes);

let openApi: Record<string, unknown> | undefined;
/** Generated on first use and kept for the isolate's life: the routes cannot change while it runs. */
function openApiDocument(): Record<string, unknown> {
  openApi ??= generateOpenApi(app.routes);
  return openApi;
}

app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

app.onError((err, c) => {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return c.json(err.body(), err.status);
  }
  if (err instanceof HTTPException) {
    // Hono's own (e.g. body limit) carry no code: give them one from the status.
    const code = err.status === 413 ? 'payload_too_large' : 'http_error';
    return c.json(errorBody(code, err.message || 'request refused'), err.status);
  }
  log.error('unhandled error', {
    requestId: c.get('requestId'),
    path: c.req.path,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  return c.json(errorBody('internal', `internal error (request id ${c.get('requestId') ?? 'unknown'})`), 500);
});
