import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AVAILABLE, DEGRADED, available, conditionChanges, degraded, getCondition, isConditionTrue, progressing, removeCondition, setCondition } from './conditions.ts';

const t0 = new Date('2026-01-01T10:00:00.123Z');
const t1 = new Date('2026-01-01T10:05:00Z');

test('a new condition is added with the transition time in whole seconds', () => {
  const conditions = setCondition(undefined, available(false, 'PodsNotReady', '0 of 3 servers ready', 1), t0);
  assert.deepEqual(conditions, [{
    type: 'Available', status: 'False', observedGeneration: 1, lastTransitionTime: '2026-01-01T10:00:00Z', reason: 'PodsNotReady', message: '0 of 3 servers ready',
  }]);
});

test('lastTransitionTime moves only when the status changes', () => {
  let conditions = setCondition(undefined, available(false, 'PodsNotReady', '0 of 3', 1), t0);
  conditions = setCondition(conditions, available(false, 'PodsNotReady', '2 of 3', 2), t1);
  assert.equal(getCondition(conditions, AVAILABLE)!.lastTransitionTime, '2026-01-01T10:00:00Z');
  assert.equal(getCondition(conditions, AVAILABLE)!.message, '2 of 3');
  assert.equal(getCondition(conditions, AVAILABLE)!.observedGeneration, 2);
  conditions = setCondition(conditions, available(true, 'AllPodsReady', '3 of 3', 2), t1);
  assert.equal(getCondition(conditions, AVAILABLE)!.lastTransitionTime, '2026-01-01T10:05:00Z');
  assert.ok(isConditionTrue(conditions, AVAILABLE));
});

test('an unchanged condition returns the same array; other types keep their place', () => {
  const first = setCondition(setCondition([], available(true, 'Ready'), t0), degraded(false, 'NoProblems'), t0);
  assert.equal(setCondition(first, available(true, 'Ready'), t1), first);
  const next = setCondition(first, available(true, 'Ready', 'now with a message'), t1);
  assert.notEqual(next, first);
  assert.deepEqual(next.map((c) => c.type), [AVAILABLE, DEGRADED]);
  assert.equal(first[0].message, '', 'the input array is not modified');
  const withProgress = setCondition(next, progressing(true, 'CreatingPods'), t1);
  assert.deepEqual(withProgress.map((c) => c.type), [AVAILABLE, DEGRADED, 'Progressing']);
});

test('reading and removing', () => {
  const conditions = setCondition([], degraded(true, 'InvalidConfig', 'tickTime: must be at least 1'), t0);
  assert.ok(isConditionTrue(conditions, DEGRADED));
  assert.ok(!isConditionTrue(conditions, AVAILABLE));
  assert.equal(getCondition(undefined, DEGRADED), undefined);
  assert.deepEqual(removeCondition(conditions, DEGRADED), []);
  assert.equal(removeCondition(conditions, AVAILABLE), conditions);
  assert.ok(!isConditionTrue(setCondition([], { type: 'Ready', status: 'Unknown', reason: 'NoData' }, t0), 'Ready'));
});

test('reasons must be CamelCase and messages are cut to the API limit', () => {
  assert.throws(() => setCondition([], degraded(true, 'invalid config'), t0), /reason "invalid config" must be CamelCase/);
  const long = setCondition([], degraded(true, 'TooLong', 'x'.repeat(40_000)), t0);
  assert.equal(long[0].message!.length, 32768);
});

test('conditionChanges: Available flipping, Degraded raised (or for another reason) and cleared become events', () => {
  const at = (...updates: ReturnType<typeof available>[]) => updates.reduce((c, u) => setCondition(c, u, t0), [] as ReturnType<typeof setCondition>);
  const starting = at(available(false, 'NoServers', 'no server is placed yet'), degraded(false, 'AsExpected'));
  const up = at(available(true, 'QuorumHealthy', 'server 1 leads'), degraded(false, 'AsExpected'));
  const broken = at(available(false, 'NoQuorum', 'no leader'), degraded(true, 'CrashLoopBackOff', 'server 2 keeps crashing'));
  const worse = at(available(false, 'NoQuorum', 'no leader'), degraded(true, 'NoEligibleNode', 'server 3 has no node'));
  const brief = (before: typeof up | undefined, after: typeof up) => conditionChanges(before, after).map((e) => `${e.type} ${e.reason}: ${e.note}`);
  assert.deepEqual(brief(undefined, starting), ['Normal NoServers: Available is False: no server is placed yet'], 'a new object not available yet is no warning; Degraded False is no news');
  assert.deepEqual(brief(starting, up), ['Normal QuorumHealthy: Available is True: server 1 leads']);
  assert.deepEqual(brief(up, up), []);
  assert.deepEqual(brief(up, broken), ['Warning NoQuorum: Available is False: no leader', 'Warning CrashLoopBackOff: Degraded is True: server 2 keeps crashing']);
  assert.deepEqual(brief(broken, worse), ['Warning NoEligibleNode: Degraded is True: server 3 has no node']);
  assert.deepEqual(brief(worse, up), ['Normal QuorumHealthy: Available is True: server 1 leads', 'Normal AsExpected: Degraded is False']);
});
