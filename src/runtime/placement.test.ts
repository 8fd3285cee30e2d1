import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeInfo, placePods, type NodeInfo, type PlacementRequest } from './placement.ts';
import type { LabelSelector } from './selector.ts';

const node = (name: string, labels: Record<string, string> = {}, ready = true, unschedulable = false): NodeInfo => ({ name, labels, ready, unschedulable });
const req = (roleGroup: string, id: number, selector?: LabelSelector): PlacementRequest => ({ roleGroup, id, selector });
const where = (plan: ReturnType<typeof placePods>) => Object.fromEntries(plan.placed.map((p) => [p.id, p.node]));

test('new pods spread over distinct nodes in name order', () => {
  const plan = placePods([req('a', 2), req('a', 1), req('a', 3)], [node('n3'), node('n1'), node('n2'), node('n4')], []);
  assert.deepEqual(where(plan), { 1: 'n1', 2: 'n2', 3: 'n3' });
  assert.ok(plan.placed.every((p) => !p.sticky));
  assert.deepEqual(plan.unplaced, []);
});

test('a pod goes back to its previous node while that node is eligible', () => {
  const nodes = [node('n1'), node('n2'), node('n3')];
  const plan = placePods([req('a', 1), req('a', 2)], nodes, [{ roleGroup: 'a', id: 1, node: 'n3' }, { roleGroup: 'a', id: 2, node: 'n1' }]);
  assert.deepEqual(plan.placed, [
    { roleGroup: 'a', id: 1, node: 'n3', sticky: true },
    { roleGroup: 'a', id: 2, node: 'n1', sticky: true },
  ]);
  // Only the same identity (group and id) is sticky.
  assert.deepEqual(where(placePods([req('b', 1)], nodes, [{ roleGroup: 'a', id: 1, node: 'n3' }])), { 1: 'n1' });
});

test('a pod leaves a previous node that is not Ready, cordoned or no longer selected, for the emptiest eligible one', () => {
  const ssd = { matchLabels: { disk: 'ssd' } };
  const nodes = [node('n1', { disk: 'ssd' }, false), node('n2', { disk: 'ssd' }, true, true), node('n3', { disk: 'hdd' }), node('n4', { disk: 'ssd' }), node('n5', { disk: 'ssd' })];
  const previous = [{ roleGroup: 'a', id: 1, node: 'n1' }, { roleGroup: 'a', id: 2, node: 'n2' }, { roleGroup: 'a', id: 3, node: 'n3' }, { roleGroup: 'a', id: 4, node: 'n4' }];
  const plan = placePods([req('a', 1, ssd), req('a', 2, ssd), req('a', 3, ssd), req('a', 4, ssd)], nodes, previous);
  assert.deepEqual(plan.placed, [
    { roleGroup: 'a', id: 1, node: 'n5', sticky: false },
    { roleGroup: 'a', id: 2, node: 'n4', sticky: false },
    { roleGroup: 'a', id: 3, node: 'n5', sticky: false },
    { roleGroup: 'a', id: 4, node: 'n4', sticky: true },
  ]);
});

test('one group\'s choice does not force another group onto a shared node', () => {
  // Group a may use n1 or n2, group b only n1: a must take n2 although n1 sorts first.
  const nodes = [node('n1', { zone: 'x', only: 'b' }), node('n2', { zone: 'x' })];
  const plan = placePods([req('a', 1, { matchLabels: { zone: 'x' } }), req('b', 2, { matchLabels: { only: 'b' } })], nodes, []);
  assert.deepEqual(where(plan), { 1: 'n2', 2: 'n1' });
});

test('sticky pods keep sharing a node, and new pods avoid nodes already used', () => {
  const nodes = [node('n1'), node('n2'), node('n3')];
  const plan = placePods([req('a', 1), req('a', 2), req('a', 3)], nodes, [{ roleGroup: 'a', id: 1, node: 'n1' }, { roleGroup: 'a', id: 2, node: 'n1' }]);
  assert.deepEqual(where(plan), { 1: 'n1', 2: 'n1', 3: 'n2' });
});

test('with more pods than nodes, each extra pod takes the node with the fewest pods', () => {
  const plan = placePods([1, 2, 3, 4, 5].map((id) => req('a', id)), [node('b'), node('a')], []);
  assert.deepEqual(where(plan), { 1: 'a', 2: 'b', 3: 'a', 4: 'b', 5: 'a' });
});

test('pods with no eligible node are reported with a reason to act on', () => {
  assert.match(placePods([req('a', 1)], [], []).unplaced[0].reason, /there are no nodes/);
  assert.match(placePods([req('a', 1)], [node('n1', {}, false), node('n2', {}, true, true)], []).unplaced[0].reason, /none of the 2 nodes is Ready and schedulable/);
  const plan = placePods([req('a', 1), req('b', 2, { matchLabels: { gpu: 'yes' } })], [node('n1')], []);
  assert.deepEqual(where(plan), { 1: 'n1' });
  assert.deepEqual(plan.unplaced.map((u) => [u.roleGroup, u.id]), [['b', 2]]);
  assert.match(plan.unplaced[0].reason, /no Ready, schedulable node matches the role group's node selector/);
  const invalid = placePods([req('a', 1, { matchExpressions: [{ key: 'gpu', operator: 'In', values: [] }] })], [node('n1')], []);
  assert.match(invalid.unplaced[0].reason, /node selector is invalid: selector\.matchExpressions\[0\]: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty/);
});

test('the plan does not depend on the order of the inputs', () => {
  const nodes = ['n5', 'n2', 'n9', 'n1', 'n7'].map((n, i) => node(n, { rack: `r${i % 2}` }));
  const rack0 = { matchLabels: { rack: 'r0' } };
  const desired = [req('x', 4, rack0), req('y', 1), req('x', 2, rack0), req('y', 3), req('x', 5, rack0), req('y', 6)];
  const previous = [{ roleGroup: 'y', id: 3, node: 'n9' }];
  const expected = placePods(desired, nodes, previous);
  assert.deepEqual(placePods([...desired].reverse(), [...nodes].reverse(), previous), expected);
  assert.equal(expected.placed.length, 6);
});

test('large roles are placed one pod per node, and extra pods evenly', () => {
  const nodes = Array.from({ length: 1000 }, (_, i) => node(`node-${String(i).padStart(4, '0')}`));
  const pods = Array.from({ length: 2000 }, (_, i) => req('data', i + 1));
  const plan = placePods(pods, nodes, []);
  const perNode = new Map<string, number>();
  for (const p of plan.placed) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  assert.equal(perNode.size, 1000);
  assert.ok([...perNode.values()].every((n) => n === 2));
  assert.equal(plan.placed[0].node, 'node-0000');
  assert.equal(plan.placed[999].node, 'node-0999');
});

test('long chains of moves are found when they let one more pod have a node of its own', () => {
  // Pod k may use slots k and k+1, and greedily takes slot k; the last pod may only use slot 1,
  // so every other pod has to move one slot up.
  const n = 1500;
  const nodes = Array.from({ length: n + 1 }, (_, i) => node(`n${String(i + 1).padStart(5, '0')}`, { slot: String(i + 1) }));
  const chain = Array.from({ length: n }, (_, i) => req('chain', i + 1, { matchExpressions: [{ key: 'slot', operator: 'In', values: [String(i + 1), String(i + 2)] }] }));
  const plan = placePods([...chain, req('last', n + 1, { matchLabels: { slot: '1' } })], nodes, []);
  const used = new Set(plan.placed.map((p) => p.node));
  assert.equal(used.size, n + 1, 'every pod has a node of its own');
  assert.equal(where(plan)[n + 1], 'n00001');
  assert.equal(where(plan)[1], 'n00002');
});

test('nodeInfo reads readiness, cordoning and labels from a Node', () => {
  assert.deepEqual(nodeInfo({
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'h1', labels: { disk: 'ssd' } },
    spec: { unschedulable: true }, status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }] },
  }), { name: 'h1', labels: { disk: 'ssd' }, ready: true, unschedulable: true });
  assert.deepEqual(nodeInfo({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'h2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }),
    { name: 'h2', labels: {}, ready: false, unschedulable: false });
});
