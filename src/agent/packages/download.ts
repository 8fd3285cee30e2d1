// Fetching repository files over HTTP: retried with back-off when the network or the server
// fails, resumed with a Range request where the last attempt stopped (also across agent
// restarts: the partial file stays on disk), and verified against the sha256 the index gives
// before the file is moved into place.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Backoff } from '../../runtime/backoff.ts';
import { PackageError } from './errors.ts';

export interface RetryOptions {
  /** Tries per download (the first one included). */
  attempts?: number;
  /** First delay between tries; it doubles up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A response that sends nothing for this long is abandoned and retried. */
  stallTimeoutMs?: number;
}

const DEFAULTS = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000, stallTimeoutMs: 30_000 };

/** Failures worth another try: the network, timeouts, overload and server errors. */
class TransientError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` until it succeeds, retrying TransientErrors with back-off; the last one becomes RepositoryUnavailable. */
async function withRetries<T>(what: string, options: RetryOptions, work: (attempt: number) => Promise<T>): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  const backoff = new Backoff({ baseMs: baseDelayMs, maxMs: maxDelayMs, jitter: 0.2 });
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      if (attempt >= attempts) throw new PackageError('RepositoryUnavailable', `${what} failed ${attempts} times, last: ${err.message}`);
      await sleep(backoff.next(what));
    }
  }
}

function classify(url: string, status: number): Error {
  const message = `GET ${url}: HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) return new TransientError(message);
  return new PackageError('RepositoryUnavailable', `${message}; check the repository's URL and index`);
}

interface Response { status: number; headers: IncomingHttpHeaders; body: IncomingMessage }

/**
 * A GET whose body must keep flowing: abandoned when nothing arrives for stallTimeoutMs. Plain
 * node:http rather than fetch, because a stream that breaks must still hand over every byte that
 * arrived before, for the next try to resume after them.
 */
async function request(url: string, headers: Record<string, string>, stallTimeoutMs: number, redirects = 5): Promise<Response> {
  const target = new URL(url);
  const get = target.protocol === 'https:' ? httpsGet : httpGet;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = get(target, { headers });
    req.setTimeout(stallTimeoutMs, () => req.destroy(new Error('no data received in time')));
    req.once('response', resolve);
    req.once('error', (err) => reject(new TransientError(`GET ${url}: ${describe(err)}`)));
  });
  const status = response.statusCode ?? 0;
  const location = response.headers.location;
  if (status >= 300 && status < 400 && location) {
    response.resume();
    if (redirects === 0) throw new PackageError('RepositoryUnavailable', `GET ${url}: too many redirects`);
    return request(new URL(location, target).href, headers, stallTimeoutMs, redirects - 1);
  }
  return { status, headers: response.headers, body: response };
}

function describe(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** A small file (an index) as text, retried like downloads. */
export async function fetchText(url: string, options: RetryOptions = {}): Promise<string> {
  const { stallTimeoutMs } = { ...DEFAULTS, ...options };
  return withRetries(`fetching ${url}`, options, async () => {
    const response = await request(url, {}, stallTimeoutMs);
    if (response.status !== 200) {
      response.body.resume();
      throw classify(url, response.status);
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
    } catch (err) {
      throw new TransientError(`GET ${url}: ${describe(err)}`);
    }
    return Buffer.concat(chunks).toString('utf8');
  });
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sizeOf = (file: string) => stat(file).then((s) => s.size, () => 0);

/**
 * Downloads `url` to `destination` unless it is already there, resuming `<destination>.partial`
 * and verifying the result. A digest mismatch after a resumed download is retried once from
 * scratch (the file may have changed on the server); a mismatch of a whole download is refused
 * with PackageError DigestMismatch and nothing is kept.
 */
export async function downloadVerified(url: string, destination: string, sha256: string, options: RetryOptions = {}): Promise<void> {
  const expected = sha256.toLowerCase();
  const partial = `${destination}.partial`;
  const { stallTimeoutMs } = { ...DEFAULTS, ...options };
  let resumed = false;
  let restartedAfterMismatch = false;
  await withRetries(`downloading ${url}`, options, async () => {
    for (;;) {
      const offset = await sizeOf(partial);
      resumed ||= offset > 0;
      await fetchInto(url, partial, offset, stallTimeoutMs);
      const actual = await sha256File(partial);
      if (actual === expected) break;
      await rm(partial, { force: true });
      if (resumed && !restartedAfterMismatch) {
        restartedAfterMismatch = true;
        resumed = false;
        continue;
      }
      throw new PackageError('DigestMismatch', `${url} has sha256 ${actual} but the repository index says ${expected}; the download was discarded (a tampered or corrupted archive, or an outdated index)`);
    }
  });
  await rename(partial, destination);
}

/** One attempt: appends to `file` from `offset` (Range) or rewrites it when the server sends it whole. */
async function fetchInto(url: string, file: string, offset: number, stallTimeoutMs: number): Promise<void> {
  const response = await request(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, stallTimeoutMs);
  const contentRange = String(response.headers['content-range'] ?? '');
  if (response.status !== 200 && response.status !== 206) {
    response.body.resume();
    if (response.status === 416 && offset > 0) {
      // Nothing after offset: the partial file is already whole, or longer than the file now is.
      if (/\/(\d+)$/.exec(contentRange)?.[1] === String(offset)) return;
      await rm(file, { force: true });
      throw new TransientError(`GET ${url}: the partial download does not fit the file any more; starting over`);
    }
    throw classify(url, response.status);
  }
  const append = response.status === 206 && contentRange.startsWith(`bytes ${offset}-`);
  if (response.status === 206 && !append) {
    response.body.resume();
    await rm(file, { force: true });
    throw new TransientError(`GET ${url}: the server answered a different range than asked for`);
  }
  const expectedLength = Number(response.headers['content-length'] ?? NaN);
  const handle = await open(file, append ? 'a' : 'w');
  let received = 0;
  try {
    for await (const chunk of response.body) {
      await handle.write(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
  } catch (err) {
    throw new TransientError(`GET ${url}: interrupted after ${received} bytes: ${describe(err)}`);
  } finally {
    await handle.close();
  }
  if (Number.isFinite(expectedLength) && received !== expectedLength) {
    throw new TransientError(`GET ${url}: connection closed after ${received} of ${expectedLength} bytes`);
  }
}
