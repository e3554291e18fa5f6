/** What `ChannelHub.stats` reports; queue figures are bytes of queued JSON. */
export interface ChannelHubStats {
  connections: number;
  sseConnections: number;
  queuedBytes: number;
  /** High-water mark of any single connection's queue since the hub started. */
  maxQueuedBytes: number;
  ringFrames: number;
  conflatedSamples: number;
  slowConsumerCloses: number;
  /** Relays this hub feeds as a publish shard (sharded layout). */
  relays: number;
  seq: number;
  epoch: string;
}

/** Test-only knobs (the hub is reachable only through its binding, never from clients). */
export interface ChannelHubTuning {
  flushMs?: number;
  ringMaxFrames?: number;
  ringMaxAgeMs?: number;
  ringMaxBytes?: number;
  sseHeartbeatMs?: number;
}
