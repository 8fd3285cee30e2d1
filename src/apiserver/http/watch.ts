// A WATCH response: a chunked stream of JSON watch events, one per line, with optional bookmarks,
// initial events, a timeout, Table rows, and a bound on how far a slow reader may fall behind.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/meta.ts';
import { ApiError } from '../errors.ts';
import type { CacheEntry } from '../storage/cache.ts';
import type { ResourceStore, WatchEventType } from '../registry/store.ts';

/** A watcher further behind than this is cut off; its client relists and watches again. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface WatchRequest {
  namespace?: string;
  name?: string;
  filter?: (obj: KubeObject) => boolean;
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  bookmarkIntervalMs: number;
  /** Renders an event's object; returns the JSON of the object to send (a Table row when asked). */
  render: (entry: CacheEntry, first: boolean) => string;
  bookmarkKind: { apiVersion: string; kind: string };
}

/**
 * The watches being served, so that a server shutting down can end each one properly: with the
 * terminating chunk of its stream, which clients read as a clean end (they resume elsewhere),
 * rather than as a broken connection.
 */
export class OpenWatches {
  private readonly ends = new Set<(flushed: () => void) => void>();

  add(end: (flushed: () => void) => void): () => void {
    this.ends.add(end);
    return () => this.ends.delete(end);
  }

  /** Ends every open watch; resolves once their responses are flushed (or after `waitMs`). */
  async endAll(waitMs = 1000): Promise<void> {
    const flushed: Promise<void>[] = [];
    for (const end of [...this.ends]) flushed.push(new Promise((resolve) => end(resolve)));
    this.ends.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(flushed), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }
}

/** setTimeout takes at most 2^31-1 ms; longer watch timeouts are waited out in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function setLongTimeout(ms: number, fn: () => void, timers: NodeJS.Timeout[]): void {
  if (ms <= MAX_TIMER_MS) {
    timers.push(setTimeout(fn, ms));
    return;
  }
  timers.push(setTimeout(() => setLongTimeout(ms - MAX_TIMER_MS, fn, timers), MAX_TIMER_MS));
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ResourceStore, w: WatchRequest, open?: OpenWatches): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let closed = false;
  let first = true;
  let lastRevision = 0;
  const timers: NodeJS.Timeout[] = [];
  let stop: (() => void) | undefined;
  let forget: (() => void) | undefined;

  /** Ends the stream with its terminating chunk; `flushed` is called once that is written. */
  const end = (flushed?: () => void) => {
    if (closed) return flushed?.();
    closed = true;
    stop?.();
    forget?.();
    for (const t of timers) clearTimeout(t), clearInterval(t);
    if (res.destroyed || res.writableEnded) return flushed?.();
    res.end(flushed);
  };
  forget = open?.add(end);
  const write = (line: string | Buffer) => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > MAX_BUFFERED_BYTES) end();
  };
  const sendEvent = (type: WatchEventType, entry: CacheEntry, revision: number) => {
    if (closed) return;
    lastRevision = revision;
    let object: string;
    try {
      object = w.render(entry, first);
    } catch (err) {
      // This watcher cannot show the object (e.g. as a Table row): it ends with an ERROR, others carry on.
      write(errorEvent(err));
      return end();
    }
    first = false;
    write(object === entry.json ? sharedEventLine(type, entry) : `{"type":"${type}","object":${object}}\n`);
  };
  const bookmark = (revision: number, initialEventsEnd = false) => {
    const metadata = initialEventsEnd
      ? { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'true' } }
      : { resourceVersion: String(revision) };
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ ...w.bookmarkKind, metadata })}}\n`);
  };

  req.on('close', () => end());
  res.on('error', () => end());
  // A negative timeoutSeconds ends the watch at once, as Kubernetes' timer does.
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds < 0) return end();

  const rv = w.resourceVersion;
  // With no resourceVersion (or "0"), or when asked for initial events, the watch starts with the current state.
  const initial = w.sendInitialEvents ?? (rv === undefined || rv === '' || rv === '0');
  let from: number | undefined;
  if (!initial) {
    from = Number(rv);
    if (!Number.isSafeInteger(from) || from < 0) {
      write(errorEvent(new ApiError(400, 'BadRequest', `invalid resource version: ${JSON.stringify(rv)}`)));
      return end();
    }
  }
  try {
    if (initial) {
      const revision = store.currentRevision();
      const prefixEntries = store.listForWatch(w.namespace, w.name);
      for (const entry of prefixEntries) if (!w.filter || w.filter(entry.object)) sendEvent('ADDED', entry, revision);
      lastRevision = revision;
      if (w.sendInitialEvents && w.allowBookmarks) bookmark(revision, true);
      from = revision;
    }
    stop = store.watch(w.namespace, { filter: w.filter, fromRevision: from, name: w.name }, sendEvent);
    lastRevision = Math.max(lastRevision, from ?? 0);
  } catch (err) {
    write(errorEvent(err));
    return end();
  }
  if (w.allowBookmarks) {
    timers.push(setInterval(() => {
      const current = store.currentRevision();
      if (current >= lastRevision) bookmark((lastRevision = current));
    }, w.bookmarkIntervalMs));
  }
  // No timeoutSeconds (or 0): between 30 and 60 minutes, as Kubernetes' --min-request-timeout spreads them.
  const timeout = w.timeoutSeconds !== undefined && w.timeoutSeconds > 0 ? w.timeoutSeconds : 1800 + Math.floor(Math.random() * 1800);
  setLongTimeout(timeout * 1000, () => end(), timers);
}

/**
 * The encoded line of the event being delivered. An event reaches every matching watcher in one
 * synchronous pass, so one slot is enough for all of them to write the same Buffer (JSON watchers
 * of the stored version; Table rows and converted versions are rendered per watcher).
 */
let lastLine: { entry: CacheEntry; type: WatchEventType; line: Buffer } | undefined;

function sharedEventLine(type: WatchEventType, entry: CacheEntry): Buffer {
  if (lastLine?.entry !== entry || lastLine.type !== type) {
    lastLine = { entry, type, line: Buffer.from(`{"type":"${type}","object":${entry.json}}\n`) };
  }
  return lastLine.line;
}

function errorEvent(err: unknown): string {
  const status = err instanceof ApiError ? err.toStatus() : new ApiError(500, 'InternalError', String((err as Error)?.message ?? err)).toStatus();
  return `{"type":"ERROR","object":${JSON.stringify(status)}}\n`;
}
