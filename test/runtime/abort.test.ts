// Stopping a watcher or a controller while it is still listing: its signal fires before the watch
// or the workers exist, and they must still end (a process stopped right after it started, such as
// `granary operator` on SIGTERM just after it became leader, would otherwise never exit).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { KubeClient } from '../../src/client/client.ts';
import { createLogger } from '../../src/common/log.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { watcher } from '../../src/runtime/watcher.ts';
import type { KubeObject } from '../../src/api/meta.ts';

describe('aborted while listing', () => {
  let server: RunningApiServer;
  let client: KubeClient;
  before(async () => {
    server = await startApiServer();
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    // Something to list, so that the abort lands while the list's events are consumed.
    for (let i = 0; i < 5; i++) await client.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' } });
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  test('a watcher aborted during its initial list ends instead of watching on', { timeout: 60_000 }, async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const event of watcher(client.resource('v1', 'ConfigMap'), { namespace: 'default' }, stop.signal)) {
      seen.push(event.type);
      if (event.type === 'InitApply') stop.abort();
    }
    assert.deepEqual(seen.slice(0, 2), ['Init', 'InitApply']);
  });

  test('a controller aborted before its stores are filled returns from run()', { timeout: 60_000 }, async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stop = new AbortController();
      const reconciled: string[] = [];
      const controller = new Controller<KubeObject>({
        name: 'abort-test', client, apiVersion: 'v1', kind: 'ConfigMap', log: createLogger('test', 'warn'),
        reconcile: async (cm) => void reconciled.push(cm.metadata.name!),
      }).watches('v1', 'Secret', () => []);
      const running = controller.run(stop.signal);
      stop.abort();
      await running;
    }
  });
});
