import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SelectorError, escapeFieldValue, formatFieldRequirements, formatLabelRequirements, labelKeyErrors,
  labelSelectorRequirements, labelSelectorToString, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector,
  type LabelSelector,
} from './selectors.ts';

const matches = (selector: string, labels?: Record<string, string>) => matchesLabels(parseLabelSelector(selector), labels);

function rejects(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SelectorError, `expected a SelectorError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('label selector strings parse to requirements sorted by key, with sorted unique value sets', () => {
  assert.deepEqual(parseLabelSelector('tier!=db, app=web,env in (prod, dev,prod),!legacy,release,n==1,x notin (a)'), [
    { key: 'app', operator: '=', values: ['web'] },
    { key: 'env', operator: 'in', values: ['dev', 'prod'] },
    { key: 'legacy', operator: '!', values: [] },
    { key: 'n', operator: '==', values: ['1'] },
    { key: 'release', operator: 'exists', values: [] },
    { key: 'tier', operator: '!=', values: ['db'] },
    { key: 'x', operator: 'notin', values: ['a'] },
  ]);
  assert.deepEqual(parseLabelSelector(''), []);
  assert.deepEqual(parseLabelSelector('  '), []);
  // `in` and `notin` are ordinary words where a key or value is expected.
  assert.deepEqual(parseLabelSelector('in in (notin)'), [{ key: 'in', operator: 'in', values: ['notin'] }]);
  // Empty values: after an operator with nothing following, and empty members of a set.
  assert.deepEqual(parseLabelSelector('a=,b='), [{ key: 'a', operator: '=', values: [''] }, { key: 'b', operator: '=', values: [''] }]);
  assert.deepEqual(parseLabelSelector('a in (),b in (x,),c in (,y)'), [
    { key: 'a', operator: 'in', values: [''] },
    { key: 'b', operator: 'in', values: ['', 'x'] },
    { key: 'c', operator: 'in', values: ['', 'y'] },
  ]);
  assert.deepEqual(parseLabelSelector('app.kubernetes.io/name=zookeeper'), [{ key: 'app.kubernetes.io/name', operator: '=', values: ['zookeeper'] }]);
  assert.deepEqual(parseLabelSelector('x>1,y<5'), [{ key: 'x', operator: 'gt', values: ['1'] }, { key: 'y', operator: 'lt', values: ['5'] }]);
});

test('label selectors print back in canonical form', () => {
  for (const [input, canonical] of [
    ['x=a,y!=b', 'x=a,y!=b'],
    ['y=b, x=a', 'x=a,y=b'],
    ['env in (b,a),!old,ready', 'env in (a,b),!old,ready'],
    ['x notin (c)', 'x notin (c)'],
    ['x==a,y>1,z<5', 'x==a,y>1,z<5'],
    ['x=', 'x='],
  ]) assert.equal(formatLabelRequirements(parseLabelSelector(input)), canonical, input);
});

test('label selectors match as Kubernetes does, including absent keys', () => {
  const labels = { app: 'web', env: 'prod', replicas: '3' };
  assert.ok(matches('', labels));
  assert.ok(matches('', undefined));
  assert.ok(matches('app=web', labels));
  assert.ok(matches('app==web,env', labels));
  assert.ok(!matches('app=db', labels));
  assert.ok(!matches('app=web,missing', labels));
  assert.ok(matches('app!=db', labels));
  assert.ok(matches('missing!=x', labels), '!= matches when the key is absent');
  assert.ok(matches('env in (dev,prod)', labels));
  assert.ok(!matches('env in (dev)', labels));
  assert.ok(!matches('missing in (x)', labels));
  assert.ok(matches('env notin (dev)', labels));
  assert.ok(matches('missing notin (x)', labels), 'notin matches when the key is absent');
  assert.ok(!matches('env notin (prod)', labels));
  assert.ok(matches('!missing', labels));
  assert.ok(!matches('!app', labels));
  assert.ok(matches('replicas>2,replicas<4', labels));
  assert.ok(!matches('replicas>3', labels));
  assert.ok(!matches('app>1', labels), 'a non-numeric label never satisfies gt');
  assert.ok(!matches('missing<1', labels));
  assert.ok(matches('empty=', { empty: '' }));
  assert.ok(!matches('empty=', {}));
  assert.ok(!matches('toString', {}), 'only own keys count as labels');
});

test('label selector syntax errors carry Kubernetes messages', () => {
  rejects(() => parseLabelSelector('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  rejects(() => parseLabelSelector('x==a==b'), "found '==', expected: ',' or 'end of string'");
  rejects(() => parseLabelSelector('!x=a'), "found '=', expected: ',' or 'end of string'");
  rejects(() => parseLabelSelector('a=b,'), "found '', expected: identifier after ','");
  rejects(() => parseLabelSelector(',a'), "found ',', expected: !, identifier, or 'end of string'");
  rejects(() => parseLabelSelector('=a'), "found '=', expected: !, identifier, or 'end of string'");
  rejects(() => parseLabelSelector('!'), "unable to parse requirement: found '', expected: identifier");
  rejects(() => parseLabelSelector('a in b'), "unable to parse requirement: found 'b' expected: '('");
  rejects(() => parseLabelSelector('a in (b c)'), "unable to parse requirement: found 'c', expected: ',' or ')'");
  rejects(() => parseLabelSelector('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
  rejects(() => parseLabelSelector('a in (='), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  rejects(() => parseLabelSelector('a in (b,='), "unable to parse requirement: found '=', expected: ',', or identifier");
  rejects(() => parseLabelSelector('a=('), "unable to parse requirement: found '(', expected: identifier");
});

test('label selector keys and values are validated with Kubernetes wording', () => {
  const nameRule = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  rejects(() => parseLabelSelector('-bad=x'), `unable to parse requirement: <nil>: Invalid value: "-bad": ${nameRule}`);
  rejects(() => parseLabelSelector('app=has space'), "found 'space', expected: ',' or 'end of string'");
  rejects(
    () => parseLabelSelector('app=-x-'),
    "unable to parse requirement: values[0][app]: Invalid value: \"-x-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  );
  rejects(() => parseLabelSelector(`app=${'v'.repeat(64)}`), `unable to parse requirement: values[0][app]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`);
  rejects(() => parseLabelSelector('x>a'), "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer");

  assert.deepEqual(labelKeyErrors('app.kubernetes.io/name'), []);
  assert.deepEqual(labelKeyErrors('/name'), ['prefix part must be non-empty']);
  assert.deepEqual(labelKeyErrors('Example.com/name'), [
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.deepEqual(labelKeyErrors('example.com/'), ['name part must be non-empty', nameRule]);
  assert.deepEqual(labelKeyErrors('x'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.equal(labelKeyErrors('a/b/c').length, 1);
  assert.match(labelKeyErrors('a/b/c')[0], /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/'/);
});

test('metav1.LabelSelector objects convert to requirements, matchers and strings', () => {
  const selector: LabelSelector = {
    matchLabels: { 'app.kubernetes.io/name': 'zookeeper', role: 'server' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
      { key: 'ready', operator: 'Exists' },
    ],
  };
  assert.equal(labelSelectorToString(selector), 'app.kubernetes.io/name=zookeeper,!legacy,ready,role=server,tier in (a,b),zone notin (z1)');
  const requirements = labelSelectorRequirements(selector);
  const pod = { 'app.kubernetes.io/name': 'zookeeper', role: 'server', tier: 'a', ready: 'true' };
  assert.ok(matchesLabels(requirements, pod));
  assert.ok(!matchesLabels(requirements, { ...pod, legacy: 'yes' }));
  assert.ok(!matchesLabels(requirements, { ...pod, zone: 'z1' }));
  assert.ok(!matchesLabels(requirements, { ...pod, tier: 'c' }));

  // An absent selector matches nothing; an empty one matches everything.
  assert.equal(labelSelectorRequirements(undefined), 'nothing');
  assert.ok(!matchesLabels(labelSelectorRequirements(undefined), pod));
  assert.ok(matchesLabels(labelSelectorRequirements({}), pod));
  assert.equal(labelSelectorToString({}), '');

  rejects(() => labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] }), '"Gt" is not a valid label selector operator');
  rejects(() => labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  rejects(() => labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist');
  rejects(() => labelSelectorRequirements({ matchLabels: { 'a b': 'x' } }), /^key: Invalid value: "a b": name part must consist of/);
});

test('field selectors parse, match against the fields an object offers, and print back escaped', () => {
  const requirements = parseFieldSelector('metadata.namespace!=kube-system,metadata.name==web-0');
  assert.deepEqual(requirements, [
    { field: 'metadata.name', operator: '=', value: 'web-0' },
    { field: 'metadata.namespace', operator: '!=', value: 'kube-system' },
  ]);
  assert.ok(matchesFields(requirements, { 'metadata.name': 'web-0', 'metadata.namespace': 'default' }));
  assert.ok(!matchesFields(requirements, { 'metadata.name': 'web-0', 'metadata.namespace': 'kube-system' }));
  assert.ok(!matchesFields(requirements, { 'metadata.name': 'web-1', 'metadata.namespace': 'default' }));
  // A field the object does not have reads as the empty string.
  assert.ok(matchesFields(parseFieldSelector('spec.nodeName='), {}));
  assert.ok(matchesFields(parseFieldSelector('spec.nodeName!=n1'), {}));
  assert.deepEqual(parseFieldSelector(''), []);
  assert.deepEqual(parseFieldSelector('a=1,,b=2').map((r) => r.field), ['a', 'b']);

  // Escapes: \, \= and \\ in values; the escaped comma does not split terms.
  const escaped = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,x=y');
  assert.deepEqual(escaped[0], { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' });
  assert.equal(formatFieldRequirements(escaped), 'metadata.name=a\\,b\\=c\\\\d,x=y');
  assert.equal(escapeFieldValue('a,b'), 'a\\,b');
});

test('field selector errors carry Kubernetes messages, and unsupported fields are refused', () => {
  rejects(() => parseFieldSelector('metadata.name'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  rejects(() => parseFieldSelector('a=b,c'), "invalid selector: 'a=b,c'; can't understand 'c'");
  rejects(() => parseFieldSelector('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  rejects(() => parseFieldSelector('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  rejects(() => parseFieldSelector('a=b\\'), 'invalid field selector: invalid escape sequence: \\');

  const supported = ['metadata.name', 'metadata.namespace', 'spec.nodeName'];
  assert.equal(parseFieldSelector('spec.nodeName=n1', supported).length, 1);
  rejects(() => parseFieldSelector('metadata.name=x,spec.foo=y', supported), 'field label not supported: spec.foo');
  rejects(() => parseFieldSelector('=x', supported), 'field label not supported: ');
});
