import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.ts';
import { KubeApiError } from '../client/errors.ts';
import { InMemoryApi, object } from '../../test/support/in-memory-api.ts';
import { watcher, type WatcherEvent, type WatcherOptions } from './watcher.ts';

const cm = (name: string, data: Record<string, string> = {}) => object('v1', 'ConfigMap', name, { data });

/** Reads events from a watcher until `until` says stop (or `limit` events), then aborts it. */
async function collect(api: InMemoryApi, opts: WatcherOptions, until: (events: WatcherEvent<KubeObject>[]) => boolean, act: (events: WatcherEvent<KubeObject>[]) => void = () => {}): Promise<WatcherEvent<KubeObject>[]> {
  const stop = new AbortController();
  const events: WatcherEvent<KubeObject>[] = [];
  const timer = setTimeout(() => stop.abort(), 10_000);
  for await (const event of watcher(api, opts, stop.signal)) {
    events.push(event);
    act(events);
    if (until(events)) break;
  }
  clearTimeout(timer);
  stop.abort();
  return events;
}

const describe = (e: WatcherEvent<KubeObject>) => ('object' in e ? `${e.type} ${e.object.metadata.name}` : e.type);

test('a watcher lists, then watches from the list\'s resourceVersion, with type meta filled in', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  api.put(cm('a'));
  api.put(cm('b'));
  const events = await collect(api, {}, (e) => e.length === 6, (e) => {
    if (e.length === 4) {
      api.put(cm('c'));
      api.remove('a', 'default');
    }
  });
  assert.deepEqual(events.map(describe), ['Init', 'InitApply a', 'InitApply b', 'InitDone', 'Apply c', 'Delete a']);
  assert.equal((events[1] as { object: KubeObject }).object.kind, 'ConfigMap', 'list items get apiVersion and kind');
  const watch = api.calls.find((c) => c.verb === 'watch')!;
  assert.equal(watch.params.resourceVersion, '2', 'the watch starts where the list was read');
  assert.equal((watch.params as { allowWatchBookmarks?: boolean }).allowWatchBookmarks, true);
});

test('a stream that ends is resumed from the last resourceVersion seen, bookmarks included, without a relist', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  api.put(cm('a'));
  const restarts: string[] = [];
  const events = await collect(api, { onRestart: (reason) => restarts.push(reason) }, (e) => e.some((x) => describe(x) === 'Apply c'), (e) => {
    if (e.length === 3) {
      api.put(cm('b'));
      api.bookmark();
      // Changes while no stream is open are delivered by the resumed watch.
      setTimeout(() => {
        api.closeStreams();
        api.put(cm('c'));
      }, 20);
    }
  });
  assert.deepEqual(events.map(describe), ['Init', 'InitApply a', 'InitDone', 'Apply b', 'Apply c']);
  assert.deepEqual(restarts, ['closed']);
  const watches = api.calls.filter((c) => c.verb === 'watch').map((c) => c.params.resourceVersion);
  assert.deepEqual(watches, ['1', '2'], 'resumed from the bookmark\'s version');
  assert.equal(api.calls.filter((c) => c.verb === 'list').length, 1);
});

test('410 Gone, on the request or as an ERROR event, relists; a relist reports every object again', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  api.put(cm('a'));
  const restarts: string[] = [];
  const events = await collect(api, { onRestart: (reason) => restarts.push(reason) }, (e) => e.filter((x) => x.type === 'InitDone').length === 3, (e) => {
    if (e.length === 3) {
      // The history is compacted while the stream is down: resuming is refused.
      api.closeStreams();
      api.compactedBefore = Number(api.resourceVersion) + 10;
      api.put(cm('b'));
    }
    if (e.filter((x) => x.type === 'InitDone').length === 2 && describe(e.at(-1)!) === 'InitDone') {
      api.compactedBefore = 0;
      setTimeout(() => api.error(410, 'Expired', 'too old resource version'), 20);
    }
  });
  assert.deepEqual(events.map(describe), [
    'Init', 'InitApply a', 'InitDone',
    'Init', 'InitApply a', 'InitApply b', 'InitDone',
    'Init', 'InitApply a', 'InitApply b', 'InitDone',
  ]);
  // The watch from the list's version is refused already: the history went while the list was read.
  assert.deepEqual(restarts, ['gone', 'gone']);
});

test('failed calls are retried with backoff; the list is paged', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  api.put(cm('a'));
  api.failNext.list.push(new KubeApiError(503, 'ServiceUnavailable', 'overloaded'));
  api.failNext.watch.push(new Error('connection refused'));
  const restarts: string[] = [];
  const events = await collect(api, { pageSize: 7, onRestart: (reason) => restarts.push(reason) }, (e) => describe(e.at(-1)!) === 'Apply b', (e) => {
    if (e.length === 3) setTimeout(() => api.put(cm('b')), 300);
  });
  assert.deepEqual(events.map(describe), ['Init', 'Init', 'InitApply a', 'InitDone', 'Apply b']);
  assert.deepEqual(restarts, ['error', 'error']);
  assert.equal(api.calls.filter((c) => c.verb === 'list').at(-1)!.params.limit, 7);
});

test('a stream that stays silent past the bound is restarted', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  const restarts: { reason: string; at: number }[] = [];
  const stop = new AbortController();
  const started = Date.now();
  const consumed = (async () => {
    for await (const _ of watcher(api, { silenceTimeoutMs: 150, onRestart: (reason) => restarts.push({ reason, at: Date.now() }) }, stop.signal)) { /* only restarts matter */ }
  })();
  while (restarts.length < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await consumed;
  assert.deepEqual(restarts.slice(0, 2).map((r) => r.reason), ['silent', 'silent']);
  assert.ok(restarts[0].at - started >= 150, 'not before the bound');
  assert.equal(api.calls.filter((c) => c.verb === 'list').length, 1, 'a silent stream is resumed, not relisted');
  assert.equal(api.openWatches, 0, 'the abort closed the stream');
});
