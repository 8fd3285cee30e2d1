// `granary operator all` as a process of its own, for tests and benchmarks that run the operators
// as an administrator would: its output kept for error messages, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './apiserver.ts';

/** How much of the operators' output is kept (the end of it). */
const KEPT_OUTPUT = 64 * 1024;

export interface OperatorProcess {
  child: ChildProcess;
  /** The end of its standard output and error. */
  output(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for it to exit; nothing when it already has. */
  stop(): Promise<void>;
}

/**
 * Starts the operators against `kubeconfig`; `command` is how granary is run (default: node on
 * src/cli/main.ts), `args` more of its options.
 */
export function startOperatorProcess(kubeconfig: string, metricsAddress: string, opts: { command?: string[]; args?: string[]; env?: NodeJS.ProcessEnv } = {}): OperatorProcess {
  const [file, ...prefix] = opts.command ?? [process.execPath, join(REPO_ROOT, 'src/cli/main.ts')];
  const child = spawn(file, [...prefix, 'operator', 'all', '--kubeconfig', kubeconfig, '--metrics-bind-address', metricsAddress, ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-KEPT_OUTPUT));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child, exited, output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
