/**
 * The cron sweep: rolls 1-minute rollups into hours and days, and deletes rollups past
 * their org's retention, in bounded chunks.
 * OWNER: storage-lifecycle helper (issue 5). Replace the body; keep the signature.
 */
export async function runCron(_env: Env, _scheduledTime: number): Promise<void> {
  // Filled in by the storage-lifecycle work.
}
