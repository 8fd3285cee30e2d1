// The small supervisor that stands between the agent and one run of a service in the process
// runtime (like containerd's shim): it starts the program in its own process group, writes its
// output with timestamps to the run's log, and records its pid and exit status in files. Because
// it runs in its own session, the agent can restart without the service losing its output or
// its exit status going unobserved.
//
// Usage: node process-shim.ts <run directory containing run.json>
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processStartTime } from './host.ts';
import { formatCriLine, LineSplitter, type OutputStream } from './log-lines.ts';
import type { ServiceLabels, TerminationReason } from './runtime.ts';

/** What the driver asks the shim to run (run.json). */
export interface ShimRun {
  name: string;
  labels: ServiceLabels;
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
}

export interface ShimExit { exitCode: number; signal?: string; reason: TerminationReason; message?: string; finishedAt: string }

/** What the shim reports (status.json), rewritten atomically at each change. */
export interface ShimStatus {
  shimPid: number;
  shimStartTime?: number;
  pid?: number;
  /** The program's start time in clock ticks since boot: with the pid, its identity. */
  startTime?: number;
  startedAt?: string;
  exit?: ShimExit;
}

export const RUN_FILE = 'run.json';
export const STATUS_FILE = 'status.json';
export const OUTPUT_FILE = 'output.log';

function startErrorMessage(err: NodeJS.ErrnoException, run: ShimRun): string {
  if (err.code === 'ENOENT') return `executable file not found: ${run.argv[0]}`;
  if (err.code === 'EACCES') return `permission denied executing ${run.argv[0]}`;
  if (err.code === 'EPERM') return `not permitted to run as uid ${run.uid ?? '(agent)'}: ${err.message}`;
  return err.message;
}

function main(runDir: string): void {
  const run = JSON.parse(readFileSync(join(runDir, RUN_FILE), 'utf8')) as ShimRun;
  const status: ShimStatus = { shimPid: process.pid, shimStartTime: processStartTime(process.pid) };
  const writeStatus = () => {
    const file = join(runDir, STATUS_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(status), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  };
  const finish = (exit: ShimExit) => {
    status.exit = exit;
    writeStatus();
    process.exit(0);
  };
  // Signals are for the program's process group; the shim outlives it to record how it ended.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);

  if (run.cwd) {
    let isDirectory = false;
    try { isDirectory = statSync(run.cwd).isDirectory(); } catch { /* reported below */ }
    if (!isDirectory) {
      finish({ exitCode: 128, reason: 'StartError', message: `working directory ${run.cwd} does not exist`, finishedAt: new Date().toISOString() });
      return;
    }
  }

  const output = openSync(join(runDir, OUTPUT_FILE), 'a', 0o600);
  const child = spawn(run.argv[0], run.argv.slice(1), {
    cwd: run.cwd, env: run.env, uid: run.uid, gid: run.gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (status.pid !== undefined) return;
    finish({ exitCode: 128, reason: 'StartError', message: startErrorMessage(err, run), finishedAt: new Date().toISOString() });
  });
  child.on('spawn', () => {
    status.pid = child.pid;
    status.startTime = child.pid === undefined ? undefined : processStartTime(child.pid);
    status.startedAt = new Date().toISOString();
    writeStatus();
  });

  let openPipes = 2;
  let exited: ShimExit | undefined;
  const done = () => {
    if (!exited || openPipes > 0) return;
    closeSync(output);
    finish(exited);
  };
  const pipe = (stream: NodeJS.ReadableStream, name: OutputStream) => {
    const splitter = new LineSplitter();
    const write = (parts: { text: string; partial: boolean }[]) => {
      for (const part of parts) writeSync(output, formatCriLine(new Date(), name, part.text, part.partial));
    };
    stream.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
    stream.on('close', () => {
      write(splitter.end());
      openPipes -= 1;
      done();
    });
  };
  pipe(child.stdout!, 'stdout');
  pipe(child.stderr!, 'stderr');

  child.on('exit', (code, signal) => {
    const finishedAt = new Date().toISOString();
    exited = signal
      ? { exitCode: 128 + (constants.signals[signal] ?? 0), signal, reason: 'Error', finishedAt }
      : { exitCode: code ?? 0, reason: code === 0 ? 'Completed' : 'Error', finishedAt };
    // As in a container, the rest of the program's process group ends with its main process.
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is already empty */ }
    // A descendant that left the group may hold the pipes open; do not wait for it forever.
    setTimeout(() => { openPipes = 0; done(); }, 2000).unref();
    done();
  });
}

// Imported for its types and file names by the driver; runs only as the shim's entry point.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv[2]);
