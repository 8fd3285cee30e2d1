import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Status } from '../api/meta.ts';
import type { Pod } from '../api/kinds/core.ts';
import type { DeleteParams } from '../client/resource.ts';
import { KubeApiError } from '../client/errors.ts';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_ROLE_GROUP, LABEL_VERSION } from './labels.ts';
import { LABEL_POD_ID } from './pod-identity.ts';
import type { NodeInfo } from './placement.ts';
import { ReconcileError, type StepResult } from './reconcile.ts';
import {
  containerRestarts, createMissingPods, deleteExcessPods, deleteIllegalPods, illegalPods, isPodReady, isPodRunning, nodeOfPod, podFailure,
  podIsCrashLooping, podName, waitForRunningAndReadyPods, waitForTerminatingPods, type PodApi, type PodBuilder, type PodContext,
} from './pods.ts';

const OWNER: KubeObject = {
  apiVersion: 'demo.granary.dev/v1alpha1', kind: 'Demo', metadata: { name: 'simple', namespace: 'ns', uid: 'owner-uid' },
};

/** Records the writes; fails the pods named in `failCreate` / `failDelete`. */
class FakePods implements PodApi {
  created: Pod[] = [];
  deleted: { name: string; uid?: string }[] = [];
  failCreate = new Map<string, KubeApiError>();
  failDelete = new Map<string, KubeApiError>();

  async create(pod: Pod, opts: { fieldManager?: string } = {}): Promise<Pod> {
    const name = pod.metadata.name!;
    const failure = this.failCreate.get(name);
    if (failure) throw failure;
    assert.equal(opts.fieldManager, 'demo-operator');
    this.created.push(pod);
    return pod;
  }

  async delete(name: string, _namespace?: string, params: DeleteParams = {}): Promise<Pod | Status> {
    const failure = this.failDelete.get(name);
    if (failure) throw failure;
    this.deleted.push({ name, uid: params.preconditions?.uid });
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 200 };
  }
}

const apiError = (code: number, reason: string) => new KubeApiError(code, reason, `${reason} (test)`);

interface PodOptions {
  role?: string;
  group?: string;
  node?: string;
  ready?: boolean;
  owner?: string;
  terminatingSince?: Date;
  labels?: Record<string, string | undefined>;
  status?: Pod['status'];
}

function pod(id: number | undefined, opts: PodOptions = {}): Pod {
  const role = opts.role ?? 'server';
  const group = opts.group ?? 'default';
  const labels: Record<string, string> = {
    [LABEL_NAME]: 'demo', [LABEL_INSTANCE]: 'simple', [LABEL_COMPONENT]: role, [LABEL_ROLE_GROUP]: group,
    ...(id === undefined ? {} : { [LABEL_POD_ID]: String(id) }),
  };
  for (const [k, v] of Object.entries(opts.labels ?? {})) {
    if (v === undefined) delete labels[k];
    else labels[k] = v;
  }
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: podName('simple', role, group, id ?? 0), namespace: 'ns', uid: `uid-${role}-${group}-${id}`, labels,
      ownerReferences: [{ apiVersion: OWNER.apiVersion, kind: 'Demo', name: 'simple', uid: opts.owner ?? 'owner-uid', controller: true }],
      ...(opts.terminatingSince ? { deletionTimestamp: opts.terminatingSince.toISOString() } : {}),
    },
    spec: { containers: [{ name: 'main', image: 'demo' }], nodeName: opts.node ?? `n${id}` },
    status: opts.status ?? {
      phase: ready ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'main', ready, restartCount: 0, image: 'demo', imageID: '' }],
    },
  };
}

const node = (name: string, labels: Record<string, string> = {}): NodeInfo => ({ name, labels, ready: true, unschedulable: false });

const builder: PodBuilder = (input) => ({
  metadata: { labels: { extra: 'yes', [LABEL_POD_ID]: 'overridden' }, annotations: { note: `${input.role}-${input.id}` } },
  spec: { containers: [{ name: 'main', image: `demo-${input.roleGroup}` }], nodeName: 'ignored' },
});

function context(pods: Pod[], replicas: Record<string, number>, extra: Partial<PodContext> = {}): PodContext & { podApi: FakePods } {
  const roleGroups = Object.fromEntries(Object.entries(replicas).map(([group, n]) => [group, { replicas: n }]));
  return {
    owner: OWNER, product: 'demo', manager: 'demo-operator', version: '3.9', roles: { server: { roleGroups } },
    pods, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n)), podApi: new FakePods(), buildPod: builder,
    requeueAfterMs: 500, ...extra,
  } as PodContext & { podApi: FakePods };
}

const REQUEUE: StepResult = { kind: 'requeue', afterMs: 500 };
const CONTINUE: StepResult = { kind: 'continue' };

test('pod state helpers read phase, conditions, restarts and the node', () => {
  const running = pod(1);
  assert.ok(isPodRunning(running) && isPodReady(running));
  assert.equal(nodeOfPod(running), 'n1');
  const pending = pod(2, { ready: false });
  assert.ok(!isPodRunning(pending) && !isPodReady(pending));
  assert.equal(nodeOfPod({ ...pending, spec: { containers: [] } }), undefined);
  const looping = pod(3, {
    status: {
      phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
      initContainerStatuses: [{ name: 'init', ready: true, restartCount: 1, image: 'x', imageID: '' }],
      containerStatuses: [{
        name: 'main', ready: false, restartCount: 6, image: 'demo', imageID: '',
        state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2, reason: 'Error' } },
      }],
    },
  });
  assert.equal(containerRestarts(looping), 7);
  assert.ok(podIsCrashLooping(looping));
  assert.ok(!podIsCrashLooping(running));
  assert.equal(podFailure(running), undefined);
  assert.equal(podFailure(pending), undefined, 'a pending pod may still start');
  const failure = podFailure(looping)!;
  assert.equal(failure.reason, 'CrashLoopBackOff');
  assert.match(failure.message, /restarted 6 times; last exit code 2 \(Error\)/);
  assert.match(failure.message, /kubectl logs simple-server-default-3 -c main --previous/);
  assert.equal(podFailure({ ...running, status: { phase: 'Failed', reason: 'Evicted' } })!.reason, 'PodFailed');
  const unpullable = podFailure({ ...running, status: { phase: 'Pending', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'demo', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'package demo not found' } } }] } })!;
  assert.deepEqual([unpullable.reason, unpullable.message], ['ImagePullBackOff', 'container main of pod simple-server-default-1 cannot start: package demo not found']);
});

test('createMissingPods creates every missing pod in one pass, labelled, owned and bound to a node', async () => {
  const ctx = context([pod(1)], { default: 3, big: 1 });
  const outcome = await createMissingPods(ctx);
  assert.deepEqual(outcome.result, REQUEUE);
  const created = ctx.podApi.created;
  assert.deepEqual(created.map((p) => p.metadata.name), ['simple-server-big-2', 'simple-server-default-3', 'simple-server-default-4']);
  const third = created[1];
  assert.equal(third.metadata.namespace, 'ns');
  assert.deepEqual(third.metadata.labels, {
    extra: 'yes', [LABEL_NAME]: 'demo', [LABEL_INSTANCE]: 'simple', [LABEL_COMPONENT]: 'server', [LABEL_ROLE_GROUP]: 'default',
    [LABEL_VERSION]: '3.9', [LABEL_MANAGED_BY]: 'demo-operator', [LABEL_POD_ID]: '3',
  });
  assert.deepEqual(third.metadata.annotations, { note: 'server-3' });
  assert.deepEqual(third.metadata.ownerReferences, [{ apiVersion: OWNER.apiVersion, kind: 'Demo', name: 'simple', uid: 'owner-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(third.spec!.containers[0].image, 'demo-default');
  // Spread over nodes, away from n1 where pod 1 runs.
  assert.deepEqual(created.map((p) => p.spec!.nodeName), ['n2', 'n3', 'n4']);
  assert.deepEqual(outcome.problems, []);

  const settled = context([pod(1), ...created.map((p) => ({ ...p, metadata: { ...p.metadata, uid: p.metadata.name } }))], { default: 3, big: 1 });
  assert.deepEqual((await createMissingPods(settled)).result, CONTINUE);
  assert.equal(settled.podApi.created.length, 0);
});

test('createMissingPods holds back the pods the owner may not create yet, and comes back for them', async () => {
  const ctx = context([pod(1)], { default: 3 }, { mayCreate: (p) => p.id !== 3 });
  assert.deepEqual((await createMissingPods(ctx)).result, REQUEUE);
  assert.deepEqual(ctx.podApi.created.map((p) => p.metadata.name), ['simple-server-default-2']);
  const held = context([pod(1), pod(2)], { default: 3 }, { mayCreate: (p) => p.id !== 3 });
  assert.deepEqual((await createMissingPods(held)).result, REQUEUE, 'nothing to create now, but not settled');
  assert.equal(held.podApi.created.length, 0);
});

test('createMissingPods sends a pod back to its previous node', async () => {
  const ctx = context([], { default: 2 }, { previousPlacements: { server: [{ roleGroup: 'default', id: 1, node: 'n4' }, { roleGroup: 'default', id: 2, node: 'n2' }] } });
  await createMissingPods(ctx);
  assert.deepEqual(ctx.podApi.created.map((p) => [p.metadata.name, p.spec!.nodeName]), [['simple-server-default-1', 'n4'], ['simple-server-default-2', 'n2']]);
});

test('createMissingPods tries every pod when some fail, then reports the failures together', async () => {
  const ctx = context([], { default: 4 }, {
    buildPod: (input) => {
      if (input.id === 2) throw new Error('no config for pod 2');
      return builder(input);
    },
  });
  ctx.podApi.failCreate.set('simple-server-default-3', apiError(503, 'ServiceUnavailable'));
  ctx.podApi.failCreate.set('simple-server-default-4', apiError(409, 'AlreadyExists'));
  await assert.rejects(createMissingPods(ctx), (err: unknown) => {
    assert.ok(err instanceof ReconcileError);
    assert.ok(!err.terminal);
    assert.match(err.message, /2 items failed: could not build pod simple-server-default-2: no config for pod 2; could not create pod simple-server-default-3 on node n3/);
    return true;
  });
  assert.deepEqual(ctx.podApi.created.map((p) => p.metadata.name), ['simple-server-default-1']);
});

test('createMissingPods treats a pod the API server rejects as a terminal error', async () => {
  const ctx = context([], { default: 1 });
  ctx.podApi.failCreate.set('simple-server-default-1', apiError(422, 'Invalid'));
  await assert.rejects(createMissingPods(ctx), (err: unknown) => err instanceof ReconcileError && err.terminal && err.reason === 'InvalidPod');
});

test('createMissingPods reports identities no node fits and creates the others', async () => {
  const ctx = context([], { default: 1, ssd: 1 }, {
    roles: { server: { roleGroups: { default: { replicas: 1 }, ssd: { replicas: 1, selector: { matchLabels: { disk: 'ssd' } } } } } },
  });
  const { result, problems } = await createMissingPods(ctx);
  assert.deepEqual(result, REQUEUE);
  assert.deepEqual(ctx.podApi.created.map((p) => p.metadata.name), ['simple-server-default-1']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].pod, 'simple-server-ssd-2');
  assert.equal(problems[0].reason, 'NoEligibleNode');
  assert.match(problems[0].message, /label a node to match it or change the selector/);
});

test('createMissingPods needs an owner stored in a namespace', async () => {
  const ctx = context([], { default: 1 }, { owner: { ...OWNER, metadata: { name: 'simple', namespace: 'ns' } } });
  await assert.rejects(createMissingPods(ctx), (err: unknown) => err instanceof ReconcileError && err.terminal && /uid and namespace are required/.test(err.message));
});

test('deleteIllegalPods deletes owned pods that no role or role group accounts for', async () => {
  const legal = pod(1);
  const ctx = context([
    legal,
    pod(2, { group: 'gone' }),
    pod(3, { role: 'retired' }),
    pod(4, { labels: { [LABEL_POD_ID]: 'x' } }),
    pod(5, { labels: { [LABEL_INSTANCE]: 'other' } }),
    pod(6, { labels: { [LABEL_ROLE_GROUP]: undefined } }),
    pod(7, { group: 'gone', owner: 'someone-else' }),
    pod(8, { group: 'gone', terminatingSince: new Date() }),
  ], { default: 1 });
  assert.deepEqual(illegalPods(ctx).map(({ pod, why }) => [pod.metadata.labels?.[LABEL_POD_ID], why]), [
    ['2', 'role group "gone" of role "server" is not in the spec'],
    ['3', 'role "retired" is not in the spec'],
    ['x', `label ${LABEL_POD_ID} is missing or not a pod number`],
    ['5', `label ${LABEL_INSTANCE} is "other", not "simple"`],
    ['6', `label ${LABEL_ROLE_GROUP} is missing`],
    ['8', 'role group "gone" of role "server" is not in the spec'],
  ]);
  assert.deepEqual(await deleteIllegalPods(ctx), REQUEUE);
  assert.deepEqual(ctx.podApi.deleted, [2, 3, 4, 5, 6].map((id) => {
    const p = ctx.pods[id - 1];
    return { name: p.metadata.name, uid: p.metadata.uid };
  }));
  const clean = context([legal, pod(7, { group: 'gone', owner: 'someone-else' })], { default: 1 });
  assert.deepEqual(await deleteIllegalPods(clean), CONTINUE);
  assert.deepEqual(clean.podApi.deleted, []);
});

test('deleting a pod that is already gone or replaced counts as done', async () => {
  const ctx = context([pod(1, { group: 'gone' }), pod(2, { group: 'gone' })], { default: 1 });
  ctx.podApi.failDelete.set(podName('simple', 'server', 'gone', 1), apiError(404, 'NotFound'));
  ctx.podApi.failDelete.set(podName('simple', 'server', 'gone', 2), apiError(409, 'Conflict'));
  assert.deepEqual(await deleteIllegalPods(ctx), REQUEUE);
  const failing = context([pod(1, { group: 'gone' })], { default: 1 });
  failing.podApi.failDelete.set(podName('simple', 'server', 'gone', 1), apiError(500, 'InternalError'));
  await assert.rejects(deleteIllegalPods(failing), /could not delete pod simple-server-gone-1/);
});

test('waitForTerminatingPods waits while a pod terminates and reports one stuck far past its deadline', () => {
  const terminating = waitForTerminatingPods(context([pod(1), pod(2, { terminatingSince: new Date(Date.now() + 30_000) })], { default: 2 }));
  assert.deepEqual(terminating.result, REQUEUE);
  assert.deepEqual(terminating.problems, []);
  const stuck = waitForTerminatingPods(context([pod(1), pod(2, { terminatingSince: new Date(Date.now() - 3_600_000) })], { default: 2 }));
  assert.deepEqual(stuck.result, REQUEUE);
  assert.equal(stuck.problems[0].reason, 'TerminationStuck');
  assert.match(stuck.problems[0].message, /check that node n2 and its agent are up/);
  assert.deepEqual(waitForTerminatingPods(context([pod(1), pod(2, { terminatingSince: new Date(0), owner: 'other' })], { default: 1 })).result, CONTINUE);
});

test('waitForRunningAndReadyPods waits for starting pods but reports, not waits for, broken ones', () => {
  assert.deepEqual(waitForRunningAndReadyPods(context([pod(1), pod(2)], { default: 2 })).result, CONTINUE);
  const starting = waitForRunningAndReadyPods(context([pod(1), pod(2, { ready: false })], { default: 2 }));
  assert.deepEqual(starting.result, REQUEUE);
  assert.deepEqual(starting.problems, []);
  const broken = pod(2, { status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: false, restartCount: 9, image: 'demo', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } });
  const crashing = waitForRunningAndReadyPods(context([pod(1), broken], { default: 2 }));
  assert.deepEqual(crashing.result, CONTINUE);
  assert.deepEqual(crashing.problems.map((p) => [p.pod, p.reason]), [['simple-server-default-2', 'CrashLoopBackOff']]);
  const both = waitForRunningAndReadyPods(context([pod(1, { ready: false }), broken], { default: 2 }));
  assert.deepEqual(both.result, REQUEUE);
  assert.equal(both.problems.length, 1);
});

test('deleteExcessPods removes the highest ids of each group, all at once by default', async () => {
  const pods = [pod(1), pod(2, { group: 'b' }), pod(3), pod(4), pod(5, { group: 'b' })];
  const ctx = context(pods, { default: 1, b: 1 });
  assert.deepEqual((await deleteExcessPods(ctx)).result, REQUEUE);
  assert.deepEqual(ctx.podApi.deleted.map((d) => d.name), ['simple-server-b-5', 'simple-server-default-4', 'simple-server-default-3']);
  assert.deepEqual(ctx.podApi.deleted.map((d) => d.uid), ['uid-server-b-5', 'uid-server-default-4', 'uid-server-default-3']);
  assert.deepEqual((await deleteExcessPods(context([pod(1), pod(2, { group: 'b' })], { default: 1, b: 1 }))).result, CONTINUE);
});

test('with quorum care deleteExcessPods removes one pod at a time, only while the rest is healthy', async () => {
  const quorum = { quorum: true };
  const ctx = context([pod(1), pod(2), pod(3), pod(4)], { default: 2 }, quorum);
  assert.deepEqual((await deleteExcessPods(ctx)).result, REQUEUE);
  assert.deepEqual(ctx.podApi.deleted.map((d) => d.name), ['simple-server-default-4']);

  const terminating = context([pod(1), pod(2), pod(3), pod(4, { terminatingSince: new Date() })], { default: 2 }, quorum);
  assert.deepEqual((await deleteExcessPods(terminating)).result, REQUEUE);
  assert.deepEqual(terminating.podApi.deleted, [], 'waits for the previous removal to finish');

  const starting = context([pod(1, { ready: false }), pod(2), pod(3)], { default: 2 }, quorum);
  const waiting = await deleteExcessPods(starting);
  assert.deepEqual(waiting.result, REQUEUE);
  assert.deepEqual(starting.podApi.deleted, []);
  assert.deepEqual(waiting.problems, []);

  const failed = context([pod(1, { status: { phase: 'Failed' } }), pod(2), pod(3)], { default: 2 }, quorum);
  const blocked = await deleteExcessPods(failed);
  assert.deepEqual(blocked.result, REQUEUE);
  assert.deepEqual(failed.podApi.deleted, []);
  assert.deepEqual(blocked.problems.map((p) => [p.pod, p.reason]), [['simple-server-default-1', 'ScaleDownBlocked']]);
  assert.match(blocked.problems[0].message, /pod simple-server-default-3 is not removed while pod simple-server-default-1 is unhealthy/);

  const unhealthyExcess = context([pod(1), pod(2), pod(3, { ready: false })], { default: 2 }, quorum);
  assert.deepEqual((await deleteExcessPods(unhealthyExcess)).result, REQUEUE);
  assert.deepEqual(unhealthyExcess.podApi.deleted.map((d) => d.name), ['simple-server-default-3'], 'the pod going away need not be ready');
});

test('the pod steps record what they create and delete, and why, as events of the owner', async () => {
  const published: { owner: string; type: string; reason: string; note?: string }[] = [];
  const events = { publish: async (owner: KubeObject, e: { type: string; reason: string; note?: string }) => void published.push({ owner: owner.metadata.name!, type: e.type, reason: e.reason, note: e.note }) };
  const creating = context([pod(1)], { default: 2 }, { events });
  creating.podApi.failCreate.set('simple-server-default-2', apiError(500, 'InternalError'));
  await assert.rejects(createMissingPods(creating));
  await createMissingPods(context([pod(1)], { default: 2 }, { events }));
  await deleteExcessPods(context([pod(1), pod(2), pod(3)], { default: 2 }, { events }));
  await deleteIllegalPods(context([pod(1), pod(2, { group: 'gone' })], { default: 1 }, { events }));
  assert.deepEqual(published, [
    { owner: 'simple', type: 'Warning', reason: 'FailedCreate', note: 'could not create pod simple-server-default-2 on node n2: InternalError (test)' },
    { owner: 'simple', type: 'Normal', reason: 'SuccessfulCreate', note: 'created pod simple-server-default-2 on node n2' },
    { owner: 'simple', type: 'Normal', reason: 'SuccessfulDelete', note: 'deleted pod simple-server-default-3: beyond the replicas of role group default' },
    { owner: 'simple', type: 'Normal', reason: 'SuccessfulDelete', note: 'deleted pod simple-server-gone-2: no role group accounts for it (role group "gone" of role "server" is not in the spec)' },
  ]);
});
