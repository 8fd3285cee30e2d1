import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, Continue, Done, Requeue, ReconcileError, forEachItem, isTerminal, reported, sequence, type Step } from './reconcile.ts';

interface Ctx { log: string[] }

const record = (name: string, result = Continue): Step<Ctx> => (ctx) => {
  ctx.log.push(name);
  return result;
};

test('steps run in order and all continuing ends without a requeue', async () => {
  const ctx: Ctx = { log: [] };
  const action = await chain(ctx).then(record('a')).then(async (c) => { c.log.push('b'); return Continue; }).then(record('c')).run();
  assert.equal(action, undefined);
  assert.deepEqual(ctx.log, ['a', 'b', 'c']);
});

test('Done stops the chain without a requeue', async () => {
  const ctx: Ctx = { log: [] };
  const action = await chain(ctx).then(record('a', Done)).then(record('b')).run();
  assert.equal(action, undefined);
  assert.deepEqual(ctx.log, ['a']);
});

test('Requeue stops the chain and asks for a later look', async () => {
  const ctx: Ctx = { log: [] };
  const action = await chain(ctx).then(record('a')).then(record('b', Requeue(1500))).then(record('c')).run();
  assert.deepEqual(action, { requeueAfterMs: 1500 });
  assert.deepEqual(ctx.log, ['a', 'b']);
});

test('an error stops the chain and reaches the caller unchanged', async () => {
  const ctx: Ctx = { log: [] };
  const boom = ReconcileError.terminal('InvalidSpec', 'spec.servers.roleGroups is empty: add at least one role group');
  const failing: Step<Ctx> = () => { throw boom; };
  await assert.rejects(chain(ctx).then(record('a')).then(failing).then(record('c')).run(), (err) => err === boom);
  assert.deepEqual(ctx.log, ['a']);
  assert.ok(isTerminal(boom));
  assert.equal(boom.reason, 'InvalidSpec');
  assert.ok(!isTerminal(ReconcileError.transient('Conflict', 'try again')));
  assert.ok(!isTerminal(new Error('plain errors are transient')));
});

test('then leaves the chain it is called on unchanged, and sequences nest', async () => {
  const ctx: Ctx = { log: [] };
  const base = chain(ctx).then(record('a'));
  base.then(record('never'));
  await base.then(sequence([record('b'), record('c', Done), record('d')])).then(record('e')).run();
  assert.deepEqual(ctx.log, ['a', 'b', 'c']);
});

test('report collects the problems of the steps that ran, in order, without a context to pass them through', async () => {
  const ctx: Ctx = { log: [] };
  const finding = (name: string, result = Continue): Step<Ctx, string> => (c) => {
    c.log.push(name);
    return reported(result, [`${name} found something`]);
  };
  const report = await chain(ctx).then(finding('a')).then(record('b')).then(finding('c', Requeue(20))).then(finding('never')).report();
  assert.deepEqual(report, { action: { requeueAfterMs: 20 }, problems: ['a found something', 'c found something'] });
  assert.deepEqual(ctx.log, ['a', 'b', 'c']);
  const settled = await chain(ctx).then(finding('d')).then(sequence([finding('e'), record('f')])).report();
  assert.deepEqual(settled, { action: undefined, problems: ['d found something', 'e found something'] });
  assert.deepEqual(await chain(ctx).then(finding('g', Requeue(5))).run(), { requeueAfterMs: 5 }, 'run gives the action alone');
});

test('Requeue rejects delays that are not a duration', () => {
  assert.throws(() => Requeue(-1), /non-negative/);
  assert.throws(() => Requeue(Number.NaN), /non-negative/);
});

// Pods 1..4 of which 2 and 4 need an action.
function podStep(strategy: 'AllContinue' | 'AllRequeue' | 'OneRequeue', needs = [2, 4], failing: number[] = []) {
  const acted: number[] = [];
  const step = forEachItem<Ctx, number>({
    items: () => [1, 2, 3, 4],
    act: async (pod) => {
      if (failing.includes(pod)) throw ReconcileError.transient('CreateFailed', `pod ${pod} failed`);
      if (!needs.includes(pod)) return false;
      acted.push(pod);
      return true;
    },
    strategy,
    requeueAfterMs: 100,
  });
  return { step, acted };
}

test('AllContinue acts on every item then continues', async () => {
  const { step, acted } = podStep('AllContinue');
  assert.deepEqual(await step({ log: [] }), Continue);
  assert.deepEqual(acted, [2, 4]);
});

test('AllRequeue acts on every item then requeues, or continues when nothing needed acting', async () => {
  const some = podStep('AllRequeue');
  assert.deepEqual(await some.step({ log: [] }), Requeue(100));
  assert.deepEqual(some.acted, [2, 4]);
  const none = podStep('AllRequeue', []);
  assert.deepEqual(await none.step({ log: [] }), Continue);
});

test('OneRequeue acts on the first item that needs it only', async () => {
  const some = podStep('OneRequeue');
  assert.deepEqual(await some.step({ log: [] }), Requeue(100));
  assert.deepEqual(some.acted, [2]);
  const none = podStep('OneRequeue', []);
  assert.deepEqual(await none.step({ log: [] }), Continue);
});

test('under AllRequeue a failing item does not keep the others from being acted on', async () => {
  const one = podStep('AllRequeue', [2, 4], [3]);
  await assert.rejects(Promise.resolve(one.step({ log: [] })), /pod 3 failed/);
  assert.deepEqual(one.acted, [2, 4]);

  const two = podStep('AllContinue', [4], [1, 3]);
  await assert.rejects(Promise.resolve(two.step({ log: [] })), (err: unknown) => {
    assert.ok(err instanceof ReconcileError);
    assert.match(err.message, /2 items failed: pod 1 failed; pod 3 failed/);
    assert.equal(err.terminal, false);
    assert.equal(err.reason, 'CreateFailed');
    return true;
  });
  assert.deepEqual(two.acted, [4]);
});

test('several failures are terminal only when every one is', async () => {
  const step = forEachItem<Ctx, number>({
    items: () => [1, 2],
    act: (n) => { throw n === 1 ? ReconcileError.terminal('Bad', 'bad') : new Error('flaky'); },
    strategy: 'AllContinue',
    requeueAfterMs: 0,
  });
  await assert.rejects(Promise.resolve(step({ log: [] })), (err: unknown) => err instanceof ReconcileError && !err.terminal);
  const allTerminal = forEachItem<Ctx, number>({
    items: () => [1, 2],
    act: () => { throw ReconcileError.terminal('Bad', 'bad'); },
    strategy: 'AllContinue',
    requeueAfterMs: 0,
  });
  await assert.rejects(Promise.resolve(allTerminal({ log: [] })), (err: unknown) => isTerminal(err));
});

test('under OneRequeue the first failure ends the step', async () => {
  const { step, acted } = podStep('OneRequeue', [4], [1]);
  await assert.rejects(Promise.resolve(step({ log: [] })), /pod 1 failed/);
  assert.deepEqual(acted, []);
});
