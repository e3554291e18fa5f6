/**
 * Consumer of ALERTS_QUEUE. Today it only acknowledges the health checks `/health/deep`
 * sends; webhook delivery arrives with the alerts issue.
 * OWNER: OpenAPI/limits helper (issue 5). Replace the body; keep the signature.
 */
export async function consumeQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  batch.ackAll();
}
