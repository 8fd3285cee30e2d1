import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Status } from '../api/meta.ts';
import type { Pod, PodStatus } from '../api/kinds/core.ts';
import type { DeleteParams } from '../client/resource.ts';
import { LABEL_POD_ID } from './pod-identity.ts';
import { isPodReady } from './pods.ts';
import { restartPods } from './restart.ts';

const OLD = '2020-01-01T00:00:00Z';
const READY: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
const CRASHING: PodStatus = {
  phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
  containerStatuses: [{ name: 'main', ready: false, restartCount: 5, image: 'demo', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
};

/**
 * Pods of one resource with the node agent and the product's controller played by the fake: each
 * look at the pods moves the world one step (terminating pods go, missing pods are created
 * Pending, pending pods become ready).
 */
class World {
  readonly pods = new Map<string, Pod>();
  readonly log: string[] = [];
  /** Status a recreated pod reaches instead of ready. */
  comesBackAs = new Map<string, PodStatus>();
  private generation = 0;

  constructor(ids: number[]) {
    for (const id of ids) this.pods.set(`p${id}`, this.make(`p${id}`, OLD, READY));
  }

  readonly podApi = {
    delete: async (name: string, _namespace?: string, params: DeleteParams = {}): Promise<Pod | Status> => {
      const pod = this.pods.get(name);
      assert.ok(pod, `${name} exists`);
      assert.equal(params.preconditions?.uid, pod.metadata.uid);
      const unready = [...this.pods.values()].filter((p) => !isPodReady(p) || p.metadata.deletionTimestamp).map((p) => p.metadata.name);
      this.log.push(`delete ${name}${unready.length ? ` while ${unready.join(',')} not ready` : ''}`);
      pod.metadata.deletionTimestamp = new Date().toISOString();
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 200 };
    },
  };

  readonly list = (): Pod[] => {
    // The wanted pods are the ones there at the start: these tests never scale.
    for (const name of [...this.pods.keys()]) {
      const pod = this.pods.get(name);
      if (pod?.metadata.deletionTimestamp) {
        this.pods.set(name, this.make(name, new Date().toISOString(), { phase: 'Pending' }));
        this.log.push(`recreate ${name}`);
      } else if (pod?.status?.phase === 'Pending') {
        pod.status = this.comesBackAs.get(name) ?? READY;
      }
    }
    return [...this.pods.values()].map((p) => structuredClone(p));
  };

  private make(name: string, created: string, status: PodStatus): Pod {
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: 'ns', uid: `${name}-${this.generation++}`, creationTimestamp: created, labels: { [LABEL_POD_ID]: name.slice(1) } },
      spec: { containers: [{ name: 'main', image: 'demo' }] },
      status: structuredClone(status),
    };
  }
}

test('a rolling restart restarts one pod at a time, highest id first, each once all pods are ready and healthy', async () => {
  const world = new World([1, 2, 3]);
  const restarted = await restartPods({
    pods: world.list, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 1,
    healthy: () => {
      world.log.push('healthy?');
      return true;
    },
  });
  assert.deepEqual(restarted, ['p3', 'p2', 'p1']);
  assert.deepEqual(world.log, [
    'healthy?', 'delete p3', 'recreate p3', 'healthy?', 'delete p2', 'recreate p2', 'healthy?', 'delete p1', 'recreate p1', 'healthy?',
  ]);
  assert.ok([...world.pods.values()].every((p) => p.metadata.creationTimestamp !== OLD));
});

test('broken pods are restarted first and do not hold the rolling restart back', async () => {
  const world = new World([1, 2, 3]);
  world.pods.get('p1')!.status = structuredClone(CRASHING);
  const restarted = await restartPods({ pods: world.list, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 1 });
  assert.deepEqual(restarted, ['p1', 'p3', 'p2']);
  assert.equal(world.log[0], 'delete p1 while p1 not ready');
  assert.ok(world.log.slice(1).every((l) => !l.includes('not ready')), world.log.join('\n'));
});

test('a restart called again with the same start time carries on where it stopped', async () => {
  const world = new World([1, 2, 3]);
  const since = new Date(Date.now() - 5000);
  const p3 = world.pods.get('p3')!;
  p3.metadata.creationTimestamp = new Date(since.getTime() + 1000).toISOString();
  const restarted = await restartPods({ pods: world.list, podApi: world.podApi, since, rolling: true, pollMs: 1 });
  assert.deepEqual(restarted, ['p2', 'p1']);
});

test('a restart that is not rolling deletes every pod at once, then waits for all of them', async () => {
  const world = new World([1, 2, 3]);
  let healthyCalls = 0;
  const restarted = await restartPods({ pods: world.list, podApi: world.podApi, since: new Date(), rolling: false, pollMs: 1, healthy: () => ++healthyCalls > 0 });
  assert.deepEqual(restarted, ['p3', 'p2', 'p1']);
  assert.deepEqual(world.log.slice(0, 3), ['delete p3', 'delete p2 while p3 not ready', 'delete p1 while p2,p3 not ready']);
  assert.ok(healthyCalls >= 1);
  assert.ok([...world.pods.values()].every((p) => isPodReady(p) && p.metadata.creationTimestamp !== OLD));
});

test('a pod that comes back broken stops the rolling restart before it touches another pod', async () => {
  const world = new World([1, 2, 3]);
  world.comesBackAs.set('p3', CRASHING);
  await assert.rejects(
    restartPods({ pods: world.list, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 1 }),
    /restart stopped: container main of pod p3 keeps crashing/,
  );
  assert.deepEqual(world.log.filter((l) => l.startsWith('delete')), ['delete p3']);
});

test('a health check that never passes ends the restart with a timeout that says so', async () => {
  const world = new World([1, 2]);
  await assert.rejects(
    restartPods({ pods: world.list, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 1, timeoutMs: 20, healthy: () => false }),
    /restart stopped: waited 20 ms for the product's health check to pass/,
  );
  assert.deepEqual(world.log, []);
});

test('a pod that never becomes ready is named in the timeout', async () => {
  const world = new World([1, 2]);
  world.pods.get('p1')!.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };
  const stuck = () => world.list().map((p) => (p.metadata.name === 'p1' ? { ...p, status: { phase: 'Running' as const } } : p));
  await assert.rejects(
    restartPods({ pods: stuck, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 1, timeoutMs: 20 }),
    /pods to be Running and Ready: p1 \(Running, not ready\)/,
  );
});

test('aborting stops the wait with the abort reason', async () => {
  const world = new World([1]);
  const stop = new AbortController();
  const running = restartPods({ pods: world.list, podApi: world.podApi, since: new Date(), rolling: true, pollMs: 5, signal: stop.signal, healthy: () => false });
  setTimeout(() => stop.abort(new Error('operator stopping')), 20);
  await assert.rejects(running, /operator stopping/);
});
