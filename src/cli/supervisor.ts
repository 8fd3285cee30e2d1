// A supervised `granary` child process, as `granary up` runs its node agents and operators.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * One `granary` child process, restarted with back-off (1 s doubling to 30 s) when it exits on
 * its own. Its output goes to a log file. It gets an IPC channel so that it stops by itself if
 * this process dies without stopping it; it runs in its own process group, so a Ctrl-C in the
 * terminal reaches only `granary up`, which stops the children in order.
 */
export class Supervised {
  readonly name: string;
  readonly logFile: string;
  private readonly args: string[];
  private readonly report: (line: string) => void;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;
  private startedAt = 0;

  constructor(name: string, args: string[], logFile: string, report: (line: string) => void) {
    this.name = name;
    this.args = args;
    this.logFile = logFile;
    this.report = report;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...process.execArgv, MAIN, ...this.args], {
      stdio: ['ignore', out, out, 'ipc'], detached: true, env: { ...process.env, GRANARY_LOG_LEVEL: process.env.GRANARY_LOG_LEVEL ?? 'info' },
    });
    closeSync(out);
    this.child = child;
    this.startedAt = Date.now();
    child.on('error', () => {});
    this.exited = new Promise((done) => child.once('exit', (code, signal) => {
      done();
      if (this.stopping) return;
      // A run that lasted a while resets the back-off, as a crash loop's does.
      this.failures = Date.now() - this.startedAt > 60_000 ? 1 : this.failures + 1;
      const delay = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
      this.report(`${this.name} exited (${signal ?? `code ${code}`}): ${this.lastLogLine() || 'no output'}; restarting in ${delay / 1000} s (log: ${this.logFile})`);
      this.restartTimer = setTimeout(() => this.start(), delay);
    }));
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.report(`${this.name} did not stop within ${graceMs / 1000} s; killing it`);
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last line of the log that says something (a JSON log line's msg and err). */
  lastLogLine(): string {
    try {
      const lines = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      const last = lines.at(-1) ?? '';
      try {
        const parsed = JSON.parse(last) as { msg?: string; err?: string };
        return [parsed.msg, parsed.err].filter(Boolean).join(': ');
      } catch {
        return last;
      }
    } catch {
      return '';
    }
  }
}
