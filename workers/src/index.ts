import { app } from './app.ts';
import { runCron } from './services/storage/cron.ts';
import { consumeQueue } from './services/queue-consumer.ts';
import { metered } from './services/meter/metered-env.ts';

export { DeviceHub } from './objects/device-hub/index.ts';
export { ChannelHub } from './objects/channel-hub/index.ts';
export { MqttSession } from './objects/mqtt-session/index.ts';

export default {
  fetch: (request, env, ctx) => app.fetch(request, metered(env, 'worker'), ctx),
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runCron(metered(env, 'cron'), controller.scheduledTime));
  },
  async queue(batch, env) {
    await consumeQueue(batch, metered(env, 'queue'));
  },
} satisfies ExportedHandler<Env>;
