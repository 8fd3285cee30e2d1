// Runs the real kubectl binaries installed on this machine against a test server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
/** The oldest and the newest kubectl these machines have; tests run against both. */
export const KUBECTL_VERSIONS = ['1.27', '1.33'] as const;

export function kubectlPath(version: string): string {
  const path = join(KUBECTL_DIR, `kubectl.${version}`);
  if (!existsSync(path)) throw new Error(`kubectl ${version} is not installed at ${path}`);
  return path;
}

export interface KubectlResult { code: number | null; stdout: string; stderr: string }

export class Kubectl {
  readonly version: string;
  private readonly kubeconfig: string;
  private readonly home: string;

  constructor(version: string, kubeconfig: string) {
    this.version = version;
    this.kubeconfig = kubeconfig;
    // Each client gets its own HOME so discovery caches never leak between tests.
    this.home = mkdtempSync(join(tmpdir(), `granary-kubectl-${version}-`));
  }

  run(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(kubectlPath(this.version), ['--kubeconfig', this.kubeconfig, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      // kubectl may exit without reading its input (a command that takes none); its exit code and
      // output tell the result, so a pipe it closed first is not an error of the run.
      child.stdin.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') reject(err);
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Runs and insists on success, returning stdout. */
  async ok(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${this.version} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Starts a long-running kubectl (e.g. get -w) and returns a handle to read and stop it. */
  start(args: string[]) {
    const child = spawn(kubectlPath(this.version), ['--kubeconfig', this.kubeconfig, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<void>((done) => child.on('close', () => done()));
    return {
      output: () => stdout,
      errors: () => stderr,
      async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!pattern.test(stdout)) {
          if (Date.now() > deadline) throw new Error(`kubectl ${args.join(' ')} never printed ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await closed;
      },
    };
  }
}
