// Starts a real `granary apiserver` process for end-to-end tests and stops it by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(REPO_ROOT, 'src/cli/main.ts');

export interface RunningApiServer {
  url: string;
  dataDir: string;
  kubeconfig: string;
  process: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (no chance to flush anything) and wait for exit. */
  kill(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `granary-${prefix}-`));
}

export async function startApiServer(opts: { dataDir?: string; listen?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<RunningApiServer> {
  const dataDir = opts.dataDir ?? tempDir('apiserver');
  const child = spawn(process.execPath, [CLI, 'apiserver', '--data-dir', dataDir, '--listen', opts.listen ?? '127.0.0.1:0', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRANARY_LOG_LEVEL: 'warn', ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`apiserver did not start within 30s:\n${out}`)), 30_000);
    const onData = () => {
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => fail(new Error(`apiserver exited with ${code} before it was ready:\n${out}`)));
  });
  return {
    url, dataDir, kubeconfig: join(dataDir, 'admin.kubeconfig'), process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
