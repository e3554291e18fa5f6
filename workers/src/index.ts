import { app } from './app.ts';

export { DeviceHub } from './objects/device-hub.ts';
export { ChannelHub } from './objects/channel-hub.ts';
export { MqttSession } from './objects/mqtt-session.ts';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
