// An operator process running every operator holds one watch per kind, however many of its
// controllers use the kind: counted by the API server itself (apiserver_longrunning_requests).
// The same operators with a cache per controller, as before the shared cache, show what it saves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { KubeClient } from '../../src/client/client.ts';
import { createLogger } from '../../src/common/log.ts';
import { installCrds } from '../../src/cli/crds.ts';
import { runOperators } from '../../src/cli/operator.ts';
import { OPERATORS } from '../../src/operators/index.ts';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';

const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
let server: RunningApiServer;
let client: KubeClient;

/** Watches the server has open now, by group/resource. */
async function openWatches(): Promise<Map<string, number>> {
  const body = await client.stream('GET', '/metrics');
  let text = '';
  for await (const chunk of body as Readable) text += chunk.toString();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_longrunning_requests\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.verb !== 'WATCH' || Number(m[2]) === 0) continue;
    const key = labels.group ? `${labels.resource}.${labels.group}` : labels.resource;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[2]));
  }
  return counts;
}

/** The watches once they stop changing (every controller has started). */
async function settledWatches(expected: string[]): Promise<Map<string, number>> {
  let last = '';
  return eventually('the operators\' watches to settle', async () => {
    const counts = await openWatches();
    const now = JSON.stringify([...counts].sort());
    const stable = now === last && expected.every((r) => counts.has(r));
    last = now;
    return stable ? counts : undefined;
  }, 60_000, 500);
}

// What the operators watch (at least): pods and configmaps are used by several controllers.
const EXPECTED = [
  'pods', 'nodes', 'configmaps', 'zookeeperclusters.zookeeper.granary.dev', 'zookeeperznodes.zookeeper.granary.dev',
  'restarts.command.zookeeper.granary.dev', 'secretclasses.secrets.granary.dev', 'certificatesigningrequests.certificates.k8s.io',
  'monitoringstacks.monitoring.granary.dev',
];

before(async () => {
  server = await startApiServer({ listen: '127.0.11.1:0' });
  client = KubeClient.fromKubeconfig(server.kubeconfig);
  await installCrds(client);
});

after(async () => {
  await client?.close();
  await server?.stop();
});

test('every operator in one process: one watch per kind', async (t) => {
  const stop = new AbortController();
  const running = runOperators(client, OPERATORS, log, stop.signal, { identity: 'one-watch-per-kind' });
  try {
    const watches = await settledWatches(EXPECTED);
    t.diagnostic(`watches: ${JSON.stringify(Object.fromEntries([...watches].sort()))}`);
    const doubled = [...watches].filter(([, n]) => n !== 1);
    assert.deepEqual(doubled, [], `watches per kind: ${JSON.stringify(Object.fromEntries(watches))}`);
    assert.ok(watches.size >= EXPECTED.length, `${watches.size} kinds watched`);
  } finally {
    stop.abort();
    await running;
  }
  await eventually('every watch closed', async () => ((await openWatches()).size === 0 ? true : undefined), 10_000, 100);
});

test('the same operators with a cache per controller (no shared cache) watch shared kinds several times', async (t) => {
  const stop = new AbortController();
  const running = Promise.all(OPERATORS.map((o) => o.run(client, log.child({ operator: o.name }), stop.signal)));
  try {
    const watches = await settledWatches(EXPECTED);
    t.diagnostic(`watches: ${JSON.stringify(Object.fromEntries([...watches].sort()))}`);
    // The ZooKeeper operator alone watches ZookeeperClusters in three controllers, Pods and ConfigMaps in two.
    assert.ok((watches.get('zookeeperclusters.zookeeper.granary.dev') ?? 0) >= 3, JSON.stringify(Object.fromEntries(watches)));
    assert.ok((watches.get('pods') ?? 0) >= 2, JSON.stringify(Object.fromEntries(watches)));
  } finally {
    stop.abort();
    await running;
  }
});
