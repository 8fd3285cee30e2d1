// Shared pieces of long-running CLI commands: usage errors and running until a signal.

/** A mistake in how the command was called: printed with exit code 2. */
export class UsageError extends Error {}

/** Resolves on the first SIGINT or SIGTERM, after `stop` has finished. */
export function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      stop().then(done, (err) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exitCode = 1;
        done();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
