// Reading a CRI-format log file (log-lines.ts) as `kubectl logs` shows it: the process runtime's
// shims and the container runtime (containerd) both write one per run.
import { open } from 'node:fs/promises';
import type { PassThrough } from 'node:stream';
import { CriLineJoiner, parseCriLine, type CriLine } from './log-lines.ts';
import type { LogOptions } from './runtime.ts';

/**
 * Writes a run's log lines to `out` as `kubectl logs` shows them: since-filtered, the last
 * tailLines, optionally timestamped; when following, keeps reading new lines until the run has
 * ended and its log is drained.
 */
export async function followLogFile(path: string, options: LogOptions, runEnded: Promise<void>, out: PassThrough): Promise<void> {
  let ended = !options.follow;
  void runEnded.then(() => { ended = true; });
  const joiner = new CriLineJoiner();
  const emit = (line: CriLine) => {
    if (options.sinceTime && line.time.getTime() < options.sinceTime.getTime()) return;
    out.write(`${options.timestamps ? `${microsecondTimestamp(line.timestamp)} ` : ''}${line.text}\n`);
  };
  const file = await open(path, 'r').catch(() => undefined);
  let offset = 0;
  let carry = '';
  const readNew = async (): Promise<CriLine[]> => {
    if (!file) return [];
    const lines: CriLine[] = [];
    for (;;) {
      const { bytesRead, buffer } = await file.read({ buffer: Buffer.alloc(64 * 1024), position: offset });
      if (bytesRead === 0) break;
      offset += bytesRead;
      const text = carry + buffer.subarray(0, bytesRead).toString('utf8');
      const parts = text.split('\n');
      carry = parts.pop() ?? '';
      for (const part of parts) {
        const record = parseCriLine(part);
        const whole = record && joiner.push(record);
        if (whole) lines.push(whole);
      }
    }
    return lines;
  };
  try {
    let first = (await readNew()).filter((l) => !options.sinceTime || l.time.getTime() >= options.sinceTime.getTime());
    if (options.tailLines !== undefined) first = options.tailLines > 0 ? first.slice(-options.tailLines) : [];
    first.forEach(emit);
    while (!out.destroyed) {
      // The shim writes the last output before it records the exit the run's end is seen by,
      // so one more read after the end drains the log.
      const wasEnded = ended;
      (await readNew()).forEach(emit);
      if (wasEnded) break;
      await sleep(200);
    }
    for (const line of joiner.flush()) emit(line);
  } finally {
    await file?.close();
    out.end();
  }
}

/** RFC 3339 with exactly six fractional digits, as the other runtimes print it (containerd writes nanoseconds). */
export function microsecondTimestamp(timestamp: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(timestamp);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z` : timestamp;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
