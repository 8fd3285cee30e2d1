// The watcher: lists, then watches from the list's resourceVersion, forever. It asks for
// bookmarks and resumes from the last resourceVersion seen; relists on 410 Gone; backs off with
// jitter on errors; and restarts a stream that has gone silent (no event nor bookmark within a
// bound), which is how a half-open connection shows itself.
// Events follow kube-rs' shape: a (re)list is Init, InitApply per object, InitDone; then Apply/Delete.
import type { KubeObject } from '../api/meta.ts';
import type { ResourceApi } from '../client/resource.ts';
import { isGone, KubeApiError } from '../client/errors.ts';
import { backoffMs, sleep } from '../client/client.ts';

export type WatcherEvent<T> =
  | { type: 'Init' }
  | { type: 'InitApply'; object: T }
  | { type: 'InitDone' }
  | { type: 'Apply'; object: T }
  | { type: 'Delete'; object: T };

export interface WatcherOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the initial list. */
  pageSize?: number;
  /** A stream with no event or bookmark for this long is restarted. */
  silenceTimeoutMs?: number;
  /** Asked of the server per watch request; the stream then ends and is resumed. */
  serverTimeoutSeconds?: number;
  /** Told about every restart and its cause (for logs and tests). */
  onRestart?: (reason: 'silent' | 'gone' | 'error' | 'closed', err?: unknown) => void;
}

/** What a watcher needs of a resource API: list and watch (a ResourceApi, or an in-memory one in tests). */
export type ListWatch<T extends KubeObject> = Pick<ResourceApi<T>, 'apiVersion' | 'kind' | 'list' | 'watch'>;

export async function* watcher<T extends KubeObject>(api: ListWatch<T>, opts: WatcherOptions, signal: AbortSignal): AsyncGenerator<WatcherEvent<T>> {
  const silenceMs = opts.silenceTimeoutMs ?? 180_000;
  let resourceVersion: string | undefined;
  let failures = 0;
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        yield { type: 'Init' };
        let cont: string | undefined;
        do {
          const page = await api.list(opts.namespace, { ...selectors, limit: opts.pageSize ?? 500, continue: cont });
          for (const item of page.items) yield { type: 'InitApply', object: withTypeMeta(item, api) };
          cont = page.metadata?.continue;
          resourceVersion = page.metadata?.resourceVersion;
        } while (cont);
        yield { type: 'InitDone' };
      }
      const streamAbort = new AbortController();
      const onAbort = () => streamAbort.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      // An abort during the list above has fired already: the listener alone would miss it.
      if (signal.aborted) streamAbort.abort();
      let silent = false;
      let timer = setTimeout(() => ((silent = true), streamAbort.abort()), silenceMs);
      const heard = () => {
        clearTimeout(timer);
        timer = setTimeout(() => ((silent = true), streamAbort.abort()), silenceMs);
      };
      try {
        const events = await api.watch(opts.namespace, {
          ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: opts.serverTimeoutSeconds ?? 290, signal: streamAbort.signal,
        });
        failures = 0;
        for await (const event of events) {
          heard();
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; reason?: string; message?: string };
            throw new KubeApiError(status.code ?? 500, status.reason ?? 'InternalError', status.message ?? 'watch error');
          }
          const obj = event.object as T;
          resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
          if (event.type === 'ADDED' || event.type === 'MODIFIED') yield { type: 'Apply', object: withTypeMeta(obj, api) };
          else if (event.type === 'DELETED') yield { type: 'Delete', object: withTypeMeta(obj, api) };
        }
        // A stream may also end quietly when the silence timer aborts it.
        if (!signal.aborted) opts.onRestart?.(silent ? 'silent' : 'closed');
      } catch (err) {
        if (signal.aborted) return;
        if (silent) opts.onRestart?.('silent');
        else throw err;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (isGone(err)) {
        opts.onRestart?.('gone', err);
        resourceVersion = undefined;
        continue;
      }
      failures++;
      opts.onRestart?.('error', err);
      await sleep(backoffMs(failures), signal);
    }
  }
}

/** Watch and list items may lack apiVersion/kind (list items do); fill them in for consumers. */
function withTypeMeta<T extends KubeObject>(obj: T, api: ListWatch<T>): T {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: api.apiVersion, kind: api.kind };
}
