// Things that are slow to build (a product image, a Debian package, a root filesystem) are built
// once per test run and shared by every test file that needs them. Test files run in separate
// processes, so the first one to ask builds while the others wait on a lock directory.
//
// `npm test` sets GRANARY_TEST_RUN_DIR to a fresh directory for the run and removes it at the end.
// A test file run on its own gets a directory of its own; set GRANARY_TEST_RUN_DIR to a fixed
// path to keep artifacts between runs while developing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let ownRunDir: string | undefined;

/** The directory of this test run's shared artifacts. */
export function runDir(): string {
  const shared = process.env.GRANARY_TEST_RUN_DIR;
  if (shared) {
    mkdirSync(shared, { recursive: true, mode: 0o700 });
    return shared;
  }
  ownRunDir ??= mkdtempSync(join(tmpdir(), 'granary-test-run-'));
  return ownRunDir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The directory of artifact `name`, built by `build(dir)` the first time any test of this run asks.
 * A build that fails is retried by the next caller (its partial directory is removed first).
 */
export async function runArtifact(name: string, build: (dir: string) => Promise<void>, timeoutMs = 15 * 60_000): Promise<string> {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`artifact name ${JSON.stringify(name)} must be lower-case letters, digits, dots and dashes`);
  const dir = join(runDir(), name);
  const done = join(runDir(), `${name}.done`);
  const lock = join(runDir(), `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(done)) return dir;
    try {
      mkdirSync(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Someone else builds it; take over only if that process is gone.
      const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || '0');
      if (owner > 0 && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for artifact ${name} built by pid ${owner}`);
      await sleep(500);
      continue;
    }
    writeFileSync(join(lock, 'pid'), String(process.pid));
    try {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await build(dir);
      writeFileSync(done, new Date().toISOString());
      return dir;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
