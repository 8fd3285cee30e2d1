// Tests that bind the local node addresses `granary up` uses (127.0.0.2-4, agent port 10250 and
// the demo's service ports) must not run at the same time, even from different test files or
// checkouts on one machine: they take this machine-wide lock first. A lock whose holder died is
// taken over.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'granary-local-nodes.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to `timeoutMs`) for the lock; resolves with the function that releases it. */
export async function lockLocalNodes(timeoutMs = 30 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), `${process.pid}\n`);
      return () => {
        if (readFileSync(join(LOCK, 'pid'), 'utf8').trim() === String(process.pid)) rmSync(LOCK, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8').trim());
    } catch {
      // Just created and its pid not written yet, or its creator died right then.
    }
    const stale = Number.isInteger(holder) && holder > 0 ? !alive(holder) : Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
    if (stale) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the local node addresses are still locked by pid ${holder} (${LOCK}) after ${timeoutMs / 1000} s`);
    if (!told && Number.isInteger(holder)) {
      told = true;
      process.stderr.write(`waiting for pid ${holder} to finish with the local node addresses (${LOCK})\n`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
