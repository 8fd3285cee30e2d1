import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLabelSelector, formatLabelSelector, selectorMatches, validateLabelSelector, type LabelSelector } from './selector.ts';

const node = { 'kubernetes.io/hostname': 'n1', 'granary.dev/rack': 'r1', disk: 'ssd' };

test('an empty selector matches everything', () => {
  assert.ok(selectorMatches({}, node));
  assert.ok(selectorMatches({ matchLabels: {}, matchExpressions: [] }, {}));
});

test('matchLabels requires every pair', () => {
  assert.ok(selectorMatches({ matchLabels: { disk: 'ssd', 'granary.dev/rack': 'r1' } }, node));
  assert.ok(!selectorMatches({ matchLabels: { disk: 'ssd', 'granary.dev/rack': 'r2' } }, node));
  assert.ok(!selectorMatches({ matchLabels: { gpu: 'yes' } }, node));
});

test('matchExpressions follow Kubernetes operator semantics', () => {
  const cases: [LabelSelector['matchExpressions'], boolean][] = [
    [[{ key: 'disk', operator: 'In', values: ['hdd', 'ssd'] }], true],
    [[{ key: 'disk', operator: 'In', values: ['hdd'] }], false],
    [[{ key: 'gpu', operator: 'In', values: ['yes'] }], false],
    [[{ key: 'disk', operator: 'NotIn', values: ['hdd'] }], true],
    [[{ key: 'disk', operator: 'NotIn', values: ['ssd'] }], false],
    [[{ key: 'gpu', operator: 'NotIn', values: ['yes'] }], true], // a missing key is not in any set
    [[{ key: 'disk', operator: 'Exists' }], true],
    [[{ key: 'gpu', operator: 'Exists' }], false],
    [[{ key: 'gpu', operator: 'DoesNotExist' }], true],
    [[{ key: 'disk', operator: 'DoesNotExist' }], false],
    [[{ key: 'disk', operator: 'Exists' }, { key: 'gpu', operator: 'Exists' }], false], // requirements are ANDed
  ];
  for (const [matchExpressions, expected] of cases) {
    assert.equal(selectorMatches({ matchExpressions }, node), expected, JSON.stringify(matchExpressions));
  }
  assert.ok(selectorMatches({ matchLabels: { disk: 'ssd' }, matchExpressions: [{ key: 'granary.dev/rack', operator: 'In', values: ['r1'] }] }, node));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, node), 'only own keys count');
});

test('invalid selectors are reported with field paths and match nothing', () => {
  const bad: LabelSelector = {
    matchLabels: { 'Bad Key': 'v', ok: 'bad value' },
    matchExpressions: [
      { key: 'a', operator: 'In', values: [] },
      { key: 'b', operator: 'Exists', values: ['x'] },
      { key: 'c', operator: 'Near' as 'In', values: ['x'] },
    ],
  };
  const problems = validateLabelSelector(bad, 'spec.servers.roleGroups.default.selector');
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.match(problems[0], /^spec\.servers\.roleGroups\.default\.selector\.matchLabels: label key name "Bad Key"/);
  assert.match(problems[1], /matchLabels\[ok\]: label value "bad value"/);
  assert.match(problems[2], /matchExpressions\[0\]\.values: must be non-empty when operator is In/);
  assert.match(problems[3], /matchExpressions\[1\]\.values: must be empty when operator is Exists/);
  assert.match(problems[4], /matchExpressions\[2\]\.operator: "Near" is not one of/);
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: [] }] }, node));
  assert.deepEqual(validateLabelSelector({ matchLabels: { disk: 'ssd' } }), []);
});

test('the string form sorts requirements by key', () => {
  assert.equal(formatLabelSelector({}), '');
  assert.equal(formatLabelSelector({
    matchLabels: { 'app.kubernetes.io/name': 'zookeeper' },
    matchExpressions: [
      { key: 'zone', operator: 'NotIn', values: ['b', 'a'] },
      { key: 'disk', operator: 'In', values: ['ssd'] },
      { key: 'gpu', operator: 'DoesNotExist' },
      { key: 'rack', operator: 'Exists' },
    ],
  }), 'app.kubernetes.io/name=zookeeper,disk in (ssd),!gpu,rack,zone notin (a,b)');
});

test('a compiled selector matches like selectorMatches, or carries the problems', () => {
  const compiled = compileLabelSelector({ matchLabels: { disk: 'ssd' }, matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] });
  assert.ok(compiled.ok);
  assert.ok(compiled.matches(node));
  assert.ok(!compiled.matches({ ...node, gpu: 'yes' }));
  assert.ok(!compiled.matches({}));
  const broken = compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] });
  assert.ok(!broken.ok);
  assert.deepEqual(broken.problems, ['selector.matchExpressions[0].values: must be empty when operator is Exists']);
});
