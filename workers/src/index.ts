import { app } from './app.ts';
import { runCron } from './services/storage/cron.ts';
import { consumeQueue } from './services/queue-consumer.ts';

export { DeviceHub } from './objects/device-hub/index.ts';
export { ChannelHub } from './objects/channel-hub/index.ts';
export { MqttSession } from './objects/mqtt-session/index.ts';

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runCron(env, controller.scheduledTime));
  },
  async queue(batch, env) {
    await consumeQueue(batch, env);
  },
} satisfies ExportedHandler<Env>;
