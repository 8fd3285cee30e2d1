// The pod helpers and the command controller against a real granary apiserver. No node agent
// runs: the test plays it by writing pods/status and confirming deletions, as a kubelet would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import type { KubeObject } from '../../src/api/meta.ts';
import type { Pod, PodStatus } from '../../src/api/kinds/core.ts';
import { kindSchema } from '../../src/api/kinds/meta.ts';
import { KubeClient } from '../../src/client/client.ts';
import { isConflict, isNotFound } from '../../src/client/errors.ts';
import type { DeleteParams } from '../../src/client/resource.ts';
import { createLogger } from '../../src/common/log.ts';
import { customResourceDefinition } from '../../src/runtime/crd.ts';
import { commandController, commandCrds, type Command } from '../../src/runtime/commands.ts';
import { LABEL_POD_ID } from '../../src/runtime/pod-identity.ts';
import type { NodeInfo } from '../../src/runtime/placement.ts';
import {
  createMissingPods, deleteExcessPods, deleteIllegalPods, isPodReady, isPodRunning, waitForRunningAndReadyPods, waitForTerminatingPods,
  type PodContext,
} from '../../src/runtime/pods.ts';
import { restartPods } from '../../src/runtime/restart.ts';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';

const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');
const NS = 'default';
const DEMO = 'demo.granary.dev/v1alpha1';
const COMMANDS = 'command.demo.granary.dev/v1alpha1';

const DemoSchema = kindSchema('A demo owner of pods.', { spec: Type.Optional(Type.Object({ note: Type.Optional(Type.String()) })) });
const DEMO_CRD = customResourceDefinition({ group: 'demo.granary.dev', kind: 'Demo', plural: 'demos', versions: [{ name: 'v1alpha1', schema: DemoSchema, storage: true }] });

const NODES: NodeInfo[] = ['node-a', 'node-b', 'node-c'].map((name) => ({ name, labels: {}, ready: true, unschedulable: false }));
const READY: PodStatus = {
  phase: 'Running',
  conditions: [{ type: 'ContainersReady', status: 'True' }, { type: 'Ready', status: 'True' }],
  containerStatuses: [{ name: 'main', ready: true, started: true, restartCount: 0, image: 'demo', imageID: '', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }],
};
const CRASHING: PodStatus = {
  phase: 'Running',
  conditions: [{ type: 'ContainersReady', status: 'False' }, { type: 'Ready', status: 'False' }],
  containerStatuses: [{
    name: 'main', ready: false, restartCount: 4, image: 'demo', imageID: '',
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error' } },
  }],
};


describe('pod helpers and commands against granary apiserver', () => {
  let server: RunningApiServer;
  let client: KubeClient;
  const pods = () => client.resource<Pod>('v1', 'Pod');
  const demos = () => client.resource(DEMO, 'Demo');

  before(async () => {
    server = await startApiServer();
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    const crds = client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    for (const crd of [DEMO_CRD, ...commandCrds('demo')]) await crds.create(crd);
    await eventually('the CRDs to be served', async () => {
      await demos().list(NS);
      for (const kind of ['Restart', 'Start', 'Stop']) await client.resource(COMMANDS, kind).list(NS);
      return true;
    });
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  const createDemo = (name: string) => demos().create({ apiVersion: DEMO, kind: 'Demo', metadata: { name, namespace: NS }, spec: {} });
  const podsOf = async (instance: string) => (await pods().list(NS, { labelSelector: `app.kubernetes.io/instance=${instance}` })).items;
  const setStatus = (pod: Pod, status: PodStatus) => pods().updateStatus({ ...pod, status });
  /** What the node agent does once a pod is deleted: stop it and confirm. */
  const confirmDeletion = async (pod: Pod) => {
    try {
      await pods().delete(pod.metadata.name!, NS, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  };

  const podContext = async (owner: KubeObject, replicas: Record<string, number>, extra: Partial<PodContext> = {}): Promise<PodContext> => ({
    owner, product: 'demo', manager: 'demo-operator', version: '1.0',
    roles: { server: { roleGroups: Object.fromEntries(Object.entries(replicas).map(([group, n]) => [group, { replicas: n }])) } },
    pods: await pods().list(NS).then((l) => l.items), nodes: NODES, podApi: pods(),
    buildPod: () => ({ spec: { containers: [{ name: 'main', image: 'demo' }], terminationGracePeriodSeconds: 5 } }),
    requeueAfterMs: 100, ...extra,
  });

  test('pods are created in one pass, waited for, reported when broken, scaled down highest id first and cleaned up', async () => {
    const owner = await createDemo('alpha');
    const ctx = await podContext(owner, { default: 3 });
    assert.equal((await createMissingPods(ctx)).result.kind, 'requeue');
    let current = await podsOf('alpha');
    assert.deepEqual(current.map((p) => p.metadata.name).sort(), ['alpha-server-default-1', 'alpha-server-default-2', 'alpha-server-default-3']);
    assert.deepEqual(new Set(current.map((p) => p.spec!.nodeName)), new Set(['node-a', 'node-b', 'node-c']));
    for (const pod of current) {
      assert.equal(pod.metadata.ownerReferences?.[0].uid, owner.metadata.uid);
      assert.equal(pod.metadata.labels?.['app.kubernetes.io/managed-by'], 'demo-operator');
      assert.equal(pod.metadata.labels?.[LABEL_POD_ID], pod.metadata.name!.slice(-1));
      assert.equal(pod.status?.phase, 'Pending');
    }
    assert.equal((await createMissingPods(await podContext(owner, { default: 3 }))).result.kind, 'continue', 'nothing more to create');

    assert.equal(waitForRunningAndReadyPods(await podContext(owner, { default: 3 })).result.kind, 'requeue');
    for (const pod of current) await setStatus(pod, READY);
    assert.equal(waitForRunningAndReadyPods(await podContext(owner, { default: 3 })).result.kind, 'continue');

    current = await podsOf('alpha');
    const second = current.find((p) => p.metadata.name === 'alpha-server-default-2')!;
    await setStatus(second, CRASHING);
    const crashing = await podContext(owner, { default: 3 });
    const waited = waitForRunningAndReadyPods(crashing);
    assert.equal(waited.result.kind, 'continue', 'a crash-looping pod is not waited for');
    assert.deepEqual(waited.problems.map((p) => [p.pod, p.reason]), [['alpha-server-default-2', 'CrashLoopBackOff']]);
    await setStatus(await pods().get(second.metadata.name!, NS), READY);

    // Scale down to 1 with quorum care: pod 3, then pod 2, each only after the previous one is gone.
    const removed: string[] = [];
    for (let pass = 0; pass < 20; pass++) {
      const scaled = await podContext(owner, { default: 1 }, { quorum: true });
      if ((await deleteExcessPods(scaled)).result.kind === 'continue') break;
      const terminating = (await podsOf('alpha')).filter((p) => p.metadata.deletionTimestamp);
      assert.ok(terminating.length <= 1, 'never more than one pod terminating');
      for (const pod of terminating) {
        if (!removed.includes(pod.metadata.name!)) removed.push(pod.metadata.name!);
        assert.equal(waitForTerminatingPods(await podContext(owner, { default: 1 })).result.kind, 'requeue');
        await confirmDeletion(pod);
      }
    }
    assert.deepEqual(removed, ['alpha-server-default-3', 'alpha-server-default-2']);
    assert.deepEqual((await podsOf('alpha')).map((p) => p.metadata.name), ['alpha-server-default-1']);
    assert.equal(waitForTerminatingPods(await podContext(owner, { default: 1 })).result.kind, 'continue');

    // A pod of a role group the spec no longer has is illegal.
    await pods().create({
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: 'alpha-leftover', namespace: NS,
        labels: { 'app.kubernetes.io/name': 'demo', 'app.kubernetes.io/instance': 'alpha', 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/role-group': 'removed', [LABEL_POD_ID]: '7' },
        ownerReferences: [{ apiVersion: DEMO, kind: 'Demo', name: 'alpha', uid: owner.metadata.uid!, controller: true }],
      },
      spec: { containers: [{ name: 'main', image: 'demo' }] },
    });
    assert.equal((await deleteIllegalPods(await podContext(owner, { default: 1 }))).kind, 'requeue');
    await eventually('the illegal pod to be gone', async () => ((await podsOf('alpha')).some((p) => p.metadata.name === 'alpha-leftover') ? undefined : true));
    assert.equal((await deleteIllegalPods(await podContext(owner, { default: 1 }))).kind, 'continue');
  });

  test('commands run in creation order per target; a rolling restart replaces pods one at a time; history expires', async () => {
    const owner = await createDemo('beta');
    await createMissingPods(await podContext(owner, { default: 3 }));
    for (const pod of await podsOf('beta')) await setStatus(pod, READY);
    const before = new Map((await podsOf('beta')).map((p) => [p.metadata.name!, p.metadata.uid!]));
    // Creation times have whole seconds: let the pods be older than the restart.
    const newest = Math.max(...(await podsOf('beta')).map((p) => Date.parse(p.metadata.creationTimestamp!)));
    await new Promise((r) => setTimeout(r, Math.max(0, newest + 1100 - Date.now())));

    // The world around the command controller: the node agent and the product's own controller.
    const world = new AbortController();
    const worldErrors: unknown[] = [];
    const worldLoop = (async () => {
      while (!world.signal.aborted) {
        try {
          for (const pod of await podsOf('beta')) {
            if (pod.metadata.deletionTimestamp) await confirmDeletion(pod);
            else if (!isPodReady(pod)) await setStatus(pod, READY).catch((err) => { if (!isConflict(err) && !isNotFound(err)) throw err; });
          }
          await createMissingPods(await podContext(owner, { default: 3 }));
        } catch (err) {
          worldErrors.push(err);
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    })();

    const deletions: string[] = [];
    const violations: string[] = [];
    const calls: string[] = [];
    const watchedPodApi = {
      delete: async (name: string, namespace?: string, params?: DeleteParams) => {
        const now = await podsOf('beta');
        const unready = now.filter((p) => !(isPodRunning(p) && isPodReady(p)) || p.metadata.deletionTimestamp);
        if (now.length !== 3 || unready.length > 0) violations.push(`${name} deleted while ${now.length} pods exist and ${unready.map((p) => p.metadata.name).join(',')} are not ready`);
        deletions.push(name);
        return pods().delete(name, namespace, params);
      },
    };
    const startController = (historyTtlMs?: number) => {
      const stop = new AbortController();
      const controller = commandController<KubeObject>({
        product: 'demo', client, target: { apiVersion: DEMO, kind: 'Demo' }, namespace: NS, historyTtlMs, log,
        handlers: {
          restart: async (demo, { rolling, since, signal }) => {
            calls.push(`restart ${demo.metadata.name} rolling=${rolling}`);
            await restartPods({ pods: () => podsOf(demo.metadata.name!), podApi: watchedPodApi, since, rolling, pollMs: 30, signal, healthy: () => true });
          },
          stop: async (demo) => void calls.push(`stop ${demo.metadata.name}`),
        },
      });
      return { stop, running: controller.run(stop.signal) };
    };
    const command = (kind: string, name: string, target: string) =>
      client.resource<Command>(COMMANDS, kind).create({ apiVersion: COMMANDS, kind, metadata: { name, namespace: NS }, spec: { name: target } } as Command);
    const finished = (kind: string, name: string) => eventually(`${kind} ${name} to finish`, async () => {
      const c = await client.resource<Command>(COMMANDS, kind).get(name, NS);
      return c.status?.phase === 'Succeeded' || c.status?.phase === 'Failed' ? c : undefined;
    }, 30_000);

    const first = startController();
    try {
      const restart = await command('Restart', 'restart-beta', 'beta');
      assert.equal((restart.spec as { rolling?: boolean }).rolling, true, 'rolling defaults to true');
      await command('Stop', 'stop-beta', 'beta');
      await command('Start', 'start-beta', 'beta');
      await command('Restart', 'restart-nothing', 'no-such-demo');

      const restarted = await finished('Restart', 'restart-beta');
      const stopped = await finished('Stop', 'stop-beta');
      const started = await finished('Start', 'start-beta');
      const orphan = await finished('Restart', 'restart-nothing');
      assert.equal(restarted.status?.phase, 'Succeeded', restarted.status?.message);
      assert.ok(restarted.status?.startedAt && restarted.status.finishedAt);
      assert.equal(stopped.status?.phase, 'Succeeded');
      assert.ok(Date.parse(stopped.status!.startedAt!) >= Date.parse(restarted.status!.finishedAt!), 'the stop ran after the restart finished');
      assert.equal(started.status?.phase, 'Failed');
      assert.equal(started.status?.message, 'the demo operator does not support Start commands');
      assert.equal(orphan.status?.phase, 'Failed');
      assert.match(orphan.status!.message!, /there is no Demo "no-such-demo" in namespace default/);
      assert.deepEqual(calls, ['restart beta rolling=true', 'stop beta']);

      assert.deepEqual(deletions, ['beta-server-default-3', 'beta-server-default-2', 'beta-server-default-1']);
      assert.deepEqual(violations, []);
      const after = await podsOf('beta');
      assert.equal(after.length, 3);
      for (const pod of after) assert.notEqual(pod.metadata.uid, before.get(pod.metadata.name!), `${pod.metadata.name} was replaced`);
    } finally {
      first.stop.abort();
      await first.running;
    }

    // A controller that keeps history for a second deletes the finished commands after it.
    const second = startController(1000);
    try {
      await eventually('finished commands to expire', async () => {
        const left = await Promise.all(['Restart', 'Stop', 'Start'].map(async (kind) => (await client.resource(COMMANDS, kind).list(NS)).items.length));
        return left.every((n) => n === 0) ? true : undefined;
      }, 15_000);
    } finally {
      second.stop.abort();
      await second.running;
      world.abort();
      await worldLoop;
    }
    assert.deepEqual(worldErrors.map(String), []);
  });
});
