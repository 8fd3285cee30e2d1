// Decodes a watch response: newline-delimited JSON watch events from a byte stream.
import type { Readable } from 'node:stream';
import type { KubeObject, WatchEvent } from '../api/meta.ts';

export async function* decodeWatchEvents<T = KubeObject>(body: Readable): AsyncGenerator<WatchEvent<T>> {
  let buffered = '';
  for await (const chunk of body as AsyncIterable<Buffer>) {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as WatchEvent<T>;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered) as WatchEvent<T>;
}
