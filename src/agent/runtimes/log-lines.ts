// Line formats of container output. Supervised processes write the CRI log format that kubelets
// use ("<RFC 3339 time> <stdout|stderr> <F|P> <text>", P marking a line split because it was too
// long), so every line keeps the time it was written and which stream it came from.

/** RFC 3339 in UTC with microseconds, as `kubectl logs --timestamps` prints them. */
export function formatLogTimestamp(time: Date, micros?: number): string {
  const fraction = micros === undefined ? `${String(time.getUTCMilliseconds()).padStart(3, '0')}000` : String(micros).padStart(6, '0');
  return `${time.toISOString().slice(0, 19)}.${fraction}Z`;
}

export type OutputStream = 'stdout' | 'stderr';

export function formatCriLine(time: Date, stream: OutputStream, text: string, partial: boolean): string {
  return `${formatLogTimestamp(time)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

export interface CriLine { timestamp: string; time: Date; stream: OutputStream; partial: boolean; text: string }

export function parseCriLine(line: string): CriLine | undefined {
  const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!match) return undefined;
  const time = new Date(match[1]);
  if (Number.isNaN(time.getTime())) return undefined;
  return { timestamp: match[1], time, stream: match[2] as OutputStream, partial: match[3] === 'P', text: match[4] };
}

/**
 * Joins CRI records back into whole lines: partial records of a stream wait for the record that
 * completes them. The whole line carries the time of its first part.
 */
export class CriLineJoiner {
  private readonly pending = new Map<OutputStream, CriLine>();

  push(record: CriLine): CriLine | undefined {
    const head = this.pending.get(record.stream);
    const joined = head ? { ...head, text: head.text + record.text, partial: record.partial } : record;
    if (joined.partial) {
      this.pending.set(record.stream, joined);
      return undefined;
    }
    this.pending.delete(record.stream);
    return joined;
  }

  /** Lines still waiting for their end, once no more output will come. */
  flush(): CriLine[] {
    const rest = [...this.pending.values()];
    this.pending.clear();
    return rest;
  }
}

/**
 * Splits a byte stream into CRI records: whole lines, and parts of `maxLine` bytes for lines
 * longer than that, so one endless line cannot grow memory without bound.
 */
export class LineSplitter {
  private buffer = Buffer.alloc(0);
  private readonly maxLine: number;

  constructor(maxLine = 16 * 1024) {
    this.maxLine = maxLine;
  }

  /** Complete lines (without their newline) and forced parts of over-long ones. */
  push(chunk: Buffer): { text: string; partial: boolean }[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: { text: string; partial: boolean }[] = [];
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline >= 0 && newline <= this.maxLine) {
        out.push({ text: this.buffer.subarray(0, newline).toString('utf8'), partial: false });
        this.buffer = this.buffer.subarray(newline + 1);
      } else if (this.buffer.length >= this.maxLine) {
        // Cut before a UTF-8 continuation byte so no character is split between parts.
        let cut = this.maxLine;
        while (cut > 1 && (this.buffer[cut] & 0xc0) === 0x80) cut--;
        out.push({ text: this.buffer.subarray(0, cut).toString('utf8'), partial: true });
        this.buffer = this.buffer.subarray(cut);
      } else {
        return out;
      }
    }
  }

  /** What is left when the stream ends: a last line without a newline. */
  end(): { text: string; partial: boolean }[] {
    const rest = this.buffer.length ? [{ text: this.buffer.toString('utf8'), partial: false }] : [];
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}
