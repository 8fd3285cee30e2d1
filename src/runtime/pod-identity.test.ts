import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredPods, existingPod, planPodIds, type ExistingPod } from './pod-identity.ts';

const pod = (roleGroup: string, id: number | undefined, terminating = false): ExistingPod =>
  ({ name: `zk-server-${roleGroup}-${id ?? 'x'}`, roleGroup, id, terminating });
const ids = (pods: { id: number | undefined }[]) => pods.map((p) => p.id);

test('a new role gets ids 1..n, groups in name order', () => {
  const plan = planPodIds([], { ssd: 2, default: 3 });
  assert.deepEqual(plan.create, [
    { roleGroup: 'default', id: 1 }, { roleGroup: 'default', id: 2 }, { roleGroup: 'default', id: 3 },
    { roleGroup: 'ssd', id: 4 }, { roleGroup: 'ssd', id: 5 },
  ]);
  assert.deepEqual(plan.desired, plan.create);
  assert.deepEqual(plan.keep, []);
  assert.deepEqual(plan.delete, []);
});

test('scaling one group up never renumbers another group', () => {
  const existing = [pod('a', 1), pod('a', 2), pod('b', 3), pod('b', 4)];
  const plan = planPodIds(existing, { a: 4, b: 2 });
  assert.deepEqual(ids(plan.keep), [1, 2, 3, 4]);
  assert.deepEqual(plan.create, [{ roleGroup: 'a', id: 5 }, { roleGroup: 'a', id: 6 }]);
  assert.deepEqual(plan.delete, []);
});

test('scaling down deletes the group\'s highest ids first, and freed ids are reused later', () => {
  const existing = [pod('a', 1), pod('a', 2), pod('b', 3), pod('a', 4), pod('a', 5)];
  const down = planPodIds(existing, { a: 2, b: 1 });
  assert.deepEqual(ids(down.delete), [5, 4]);
  assert.deepEqual(ids(down.keep), [1, 2, 3]);
  assert.deepEqual(down.create, []);
  // Once 4 and 5 are gone, scaling b up takes the lowest free id.
  const up = planPodIds([pod('a', 1), pod('a', 2), pod('b', 3)], { a: 2, b: 2 });
  assert.deepEqual(up.create, [{ roleGroup: 'b', id: 4 }]);
});

test('ids of pods still being deleted are not handed out', () => {
  const plan = planPodIds([pod('a', 1), pod('b', 2), pod('b', 3)], { a: 2 }); // group b removed
  assert.deepEqual(ids(plan.delete), [3, 2]);
  assert.deepEqual(plan.create, [{ roleGroup: 'a', id: 4 }]);
  assert.deepEqual(plan.desired.map((p) => p.id), [1, 4]);
});

test('a terminating pod keeps its id for its replacement and is not deleted twice', () => {
  const restarting = [pod('a', 1), pod('a', 2, true), pod('a', 3)];
  const plan = planPodIds(restarting, { a: 3 });
  assert.deepEqual(plan.create, [], 'no extra pod while pod 2 terminates');
  assert.deepEqual(plan.delete, []);
  assert.deepEqual(ids(plan.desired), [1, 2, 3]);
  // After pod 2 is gone it comes back as 2.
  assert.deepEqual(planPodIds([pod('a', 1), pod('a', 3)], { a: 3 }).create, [{ roleGroup: 'a', id: 2 }]);
  // A terminating pod beyond the wanted count is left to finish.
  const shrinking = planPodIds([pod('a', 1), pod('a', 2), pod('a', 3, true)], { a: 1 });
  assert.deepEqual(ids(shrinking.delete), [2]);
});

test('pods without a valid id, duplicates and pods of removed or empty groups are deleted', () => {
  const existing = [pod('a', 1), { ...pod('a', 1), name: 'zz-duplicate' }, pod('a', undefined), pod('gone', 7), pod('zero', 8)];
  const plan = planPodIds(existing, { a: 2, zero: 0 });
  assert.deepEqual(plan.delete.map((p) => p.name), ['zk-server-zero-8', 'zk-server-gone-7', 'zz-duplicate', 'zk-server-a-x']);
  assert.deepEqual(plan.keep.map((p) => p.name), ['zk-server-a-1']);
  assert.deepEqual(plan.create, [{ roleGroup: 'a', id: 2 }]);
});

test('a duplicate id is kept by the running pod of a wanted group', () => {
  const plan = planPodIds([{ ...pod('old', 1), name: 'a-first' }, { ...pod('new', 1), name: 'b-second' }], { new: 1 });
  assert.deepEqual(plan.keep.map((p) => p.name), ['b-second']);
  assert.deepEqual(plan.delete.map((p) => p.name), ['a-first']);
});

test('existingPod reads group, id and termination from the pod', () => {
  const p = existingPod({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'zk-1', labels: { 'app.kubernetes.io/role-group': 'default', 'granary.dev/pod-id': '12' }, deletionTimestamp: '2026-01-01T00:00:00Z' },
  });
  assert.deepEqual(p, { name: 'zk-1', roleGroup: 'default', id: 12, terminating: true });
  for (const bad of ['0', '-1', '1.5', '01', 'x', '']) {
    assert.equal(existingPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { 'granary.dev/pod-id': bad } } }).id, undefined, bad);
  }
});

test('desiredPods plans from the role\'s groups, one pod for a group without replicas', () => {
  const role = { roleGroups: { ssd: { replicas: 2 }, default: {} } };
  assert.deepEqual(desiredPods(role).desired, [{ roleGroup: 'default', id: 1 }, { roleGroup: 'ssd', id: 2 }, { roleGroup: 'ssd', id: 3 }]);
  const plan = desiredPods(role, [pod('ssd', 1), pod('default', 2)]);
  assert.deepEqual(plan.desired, [{ roleGroup: 'ssd', id: 1 }, { roleGroup: 'default', id: 2 }, { roleGroup: 'ssd', id: 3 }]);
});

test('a remembered identity whose pod is gone comes back under its number, also in the middle of a scale-down', () => {
  const remembered = [1, 2, 3, 4, 5].map((id) => ({ roleGroup: 'a', id }));
  // 5 → 3 while server 2 is being restarted: 2 comes back, 4 and 5 go.
  const plan = planPodIds([pod('a', 1), pod('a', 3), pod('a', 4), pod('a', 5)], { a: 3 }, remembered);
  assert.deepEqual(plan.create, [{ roleGroup: 'a', id: 2 }]);
  assert.deepEqual(plan.keep.map((p) => p.id), [1, 3]);
  assert.deepEqual(plan.delete.map((p) => p.id), [5, 4]);
  assert.deepEqual(plan.desired.map((d) => d.id), [1, 2, 3]);
  // Without the record the gap would go to a number that is being scaled away.
  assert.deepEqual(planPodIds([pod('a', 1), pod('a', 3), pod('a', 4), pod('a', 5)], { a: 3 }).desired.map((d) => d.id), [1, 3, 4]);
  // A number another group's pod holds is not taken back; the group's next remembered one is.
  const other = planPodIds([pod('b', 2), pod('a', 1)], { a: 2, b: 1 }, [{ roleGroup: 'a', id: 2 }, { roleGroup: 'a', id: 7 }, { roleGroup: 'a', id: 8 }]);
  assert.deepEqual(other.create, [{ roleGroup: 'a', id: 7 }]);
  assert.deepEqual(other.delete, []);
  // Another group's records are not this group's.
  assert.deepEqual(planPodIds([pod('a', 1)], { a: 2 }, [{ roleGroup: 'b', id: 9 }]).create, [{ roleGroup: 'a', id: 2 }]);
  // A scale-down with every pod present removes the highest numbers, records or not.
  assert.deepEqual(planPodIds([1, 2, 3, 4, 5].map((id) => pod('a', id)), { a: 3 }, remembered).delete.map((p) => p.id), [5, 4]);
});
