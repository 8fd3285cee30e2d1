import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { LabelSelectorSchema, compileLabelSelector, selectorMatches, validateLabelSelector, type LabelSelector } from './selector.ts';

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
  const at = 'spec.servers.roleGroups.default.selector';
  const problems = validateLabelSelector(bad, at);
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.ok(problems[0].startsWith(`${at}.matchLabels[Bad Key]: key: Invalid value: "Bad Key": name part must consist of`), problems[0]);
  assert.ok(problems[1].startsWith(`${at}.matchLabels[ok]: values[0][ok]: Invalid value: "bad value"`), problems[1]);
  assert.equal(problems[2], `${at}.matchExpressions[0]: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty`);
  assert.equal(problems[3], `${at}.matchExpressions[1]: values: Invalid value: ["x"]: values set must be empty for exists and does not exist`);
  assert.equal(problems[4], `${at}.matchExpressions[2]: "Near" is not a valid label selector operator`);
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: [] }] }, node));
  assert.deepEqual(validateLabelSelector({ matchLabels: { disk: 'ssd' } }), []);
});

test('the schema accepts selectors and rejects unknown operators', () => {
  assert.ok(Value.Check(LabelSelectorSchema, { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['d'] }] }));
  assert.ok(!Value.Check(LabelSelectorSchema, { matchExpressions: [{ key: 'c', operator: 'Near' }] }));
  assert.ok(!Value.Check(LabelSelectorSchema, { matchLabels: { a: 1 } }));
});

test('a compiled selector matches like selectorMatches, or carries the problems', () => {
  const compiled = compileLabelSelector({ matchLabels: { disk: 'ssd' }, matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] });
  assert.ok(compiled.ok);
  assert.ok(compiled.matches(node));
  assert.ok(!compiled.matches({ ...node, gpu: 'yes' }));
  assert.ok(!compiled.matches({}));
  const broken = compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] });
  assert.ok(!broken.ok);
  assert.deepEqual(broken.problems, ['selector.matchExpressions[0]: values: Invalid value: ["x"]: values set must be empty for exists and does not exist']);
});
