import { app } from './app.ts';
import { runCron } from './services/cron.ts';
import { consumeQueue } from './services/queue-consumer.ts';

export { DeviceHub } from './objects/device-hub.ts';
export { ChannelHub } from './objects/channel-hub.ts';
export { MqttSession } from './objects/mqtt-session.ts';

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runCron(env, controller.scheduledTime));
  },
  async queue(batch, env) {
    await consumeQueue(batch, env);
  },
} satisfies ExportedHandler<Env>;
