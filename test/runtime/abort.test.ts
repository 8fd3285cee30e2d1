// Stopping a watcher or a controller while it is still listing: its signal fires before the watch
// or the workers exist, and they must still end (a process stopped right after it started, such as
// `granary operator` on SIGTERM just after it became leader, would otherwise never exit) — promptly,
// and leaving no watch open on the server. Every wait here is bounded: a stop that does not work
// fails the test within seconds instead of hanging it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { eventually, within } from '../support/eventually.ts';
import { KubeClient } from '../../src/client/client.ts';
import { createLogger } from '../../src/common/log.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { watcher } from '../../src/runtime/watcher.ts';
import type { KubeObject } from '../../src/api/meta.ts';

const STOP_WITHIN_MS = 5000;

describe('aborted while listing', () => {
  let server: RunningApiServer;
  let client: KubeClient;

  /** Watches the server has open, from its apiserver_longrunning_requests gauge. */
  const openWatches = async (): Promise<number> => {
    const metrics = await text(await client.stream('GET', '/metrics'));
    return [...metrics.matchAll(/^apiserver_longrunning_requests\{[^}]*verb="WATCH"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const noWatchesLeft = () => eventually('the server has no watch open', async () => ((await openWatches()) === 0 ? true : undefined), STOP_WITHIN_MS, 50);

  before(async () => {
    server = await startApiServer({ listen: '127.0.20.1:0' });
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    // Something to list, so that the abort lands while the list's events are consumed.
    for (let i = 0; i < 5; i++) await client.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' } });
  });
  after(async () => {
    await client.close();
    assert.equal(await server.stop(), 0);
  });

  test('the open-watch gauge the checks below rely on counts a watch while it is open', async () => {
    const stop = new AbortController();
    const events = watcher(client.resource('v1', 'ConfigMap'), { namespace: 'default' }, stop.signal)[Symbol.asyncIterator]();
    const initial: string[] = [];
    for (let i = 0; i < 7; i++) initial.push((await within('the initial events', events.next(), STOP_WITHIN_MS)).value!.type);
    assert.deepEqual(initial, ['Init', 'InitApply', 'InitApply', 'InitApply', 'InitApply', 'InitApply', 'InitDone']);
    // Asking for the next event opens the watch, which waits for a change.
    const next = events.next();
    await eventually('the watch counted as open', async () => ((await openWatches()) === 1 ? true : undefined), STOP_WITHIN_MS, 50);
    stop.abort();
    assert.deepEqual(await within('the watcher ending', next, STOP_WITHIN_MS), { done: true, value: undefined });
    await noWatchesLeft();
  });

  test('a watcher aborted during its initial list ends promptly and leaves no watch open', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    await within('the aborted watcher ending', (async () => {
      for await (const event of watcher(client.resource('v1', 'ConfigMap'), { namespace: 'default' }, stop.signal)) {
        seen.push(event.type);
        if (event.type === 'InitApply') stop.abort();
      }
    })(), STOP_WITHIN_MS);
    // The page already read is still handed out; then it ends instead of watching.
    assert.deepEqual(seen.slice(0, 2), ['Init', 'InitApply']);
    assert.ok(!seen.includes('Apply') && !seen.includes('Delete'), seen.join(', '));
    await noWatchesLeft();
  });

  test('a controller aborted before its stores are filled returns from run() promptly, reconciling nothing', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stop = new AbortController();
      const reconciled: string[] = [];
      const controller = new Controller<KubeObject>({
        name: 'abort-test', client, apiVersion: 'v1', kind: 'ConfigMap', log: createLogger('test', 'warn'),
        reconcile: async (cm) => void reconciled.push(cm.metadata.name!),
      }).watches('v1', 'Secret', () => []);
      const running = controller.run(stop.signal);
      stop.abort();
      assert.equal(await within(`run() returning after the abort (attempt ${attempt + 1})`, running, STOP_WITHIN_MS), undefined);
      assert.deepEqual(reconciled, [], 'nothing is reconciled once stopped');
    }
    await noWatchesLeft();
  });
});
