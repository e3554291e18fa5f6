/**
 * Stops everything a benchmark started, whichever way the run ends. Child processes such as
 * `wrangler dev` run in their own process group, so Ctrl-C does not reach them by itself.
 */
export class Cleanup {
  private fns: Array<() => Promise<void> | void> = [];
  private running: Promise<void> | undefined;
  /** Set on Ctrl-C, so the errors of requests cut short are not reported as failures. */
  interrupted = false;

  defer(fn: () => Promise<void> | void): void {
    this.fns.push(fn);
  }

  /** Runs and forgets every registered cleanup, newest first; a failing one does not stop the others. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (let fn = this.fns.pop(); fn; fn = this.fns.pop()) {
        try {
          await fn();
        } catch (err) {
          console.error(`cleanup failed: ${(err as Error).message}`);
        }
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** On SIGINT/SIGTERM: clean up, then exit with the conventional 128 + signal code. */
  onSignals(): void {
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      process.once(sig, () => {
        this.interrupted = true;
        console.error(`\n${sig}: stopping everything the benchmark started…`);
        void this.run().finally(() => process.exit(code));
      });
    }
  }
}
