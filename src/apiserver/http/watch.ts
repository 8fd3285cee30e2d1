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

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ResourceStore, w: WatchRequest): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let closed = false;
  let first = true;
  let lastRevision = 0;
  const timers: NodeJS.Timeout[] = [];
  let stop: (() => void) | undefined;

  const end = () => {
    if (closed) return;
    closed = true;
    stop?.();
    for (const t of timers) clearTimeout(t), clearInterval(t);
    res.end();
  };
  const write = (line: string | Buffer) => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > MAX_BUFFERED_BYTES) end();
  };
  const sendEvent = (type: WatchEventType, entry: CacheEntry, revision: number) => {
    lastRevision = revision;
    const object = w.render(entry, first);
    first = false;
    write(object === entry.json ? sharedEventLine(type, entry) : `{"type":"${type}","object":${object}}\n`);
  };
  const bookmark = (revision: number, initialEventsEnd = false) => {
    const metadata = initialEventsEnd
      ? { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'true' } }
      : { resourceVersion: String(revision) };
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ ...w.bookmarkKind, metadata })}}\n`);
  };

  req.on('close', end);
  res.on('error', end);

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
  const timeout = w.timeoutSeconds !== undefined && w.timeoutSeconds > 0 ? w.timeoutSeconds : 1800 + Math.floor(Math.random() * 1800);
  timers.push(setTimeout(end, timeout * 1000));
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
