import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonPathError, parseJsonPath, printJsonPathValue } from './jsonpath.ts';

const cluster = {
  metadata: { name: 'zk', labels: { app: 'zookeeper', 'app.kubernetes.io/name': 'zk' } },
  spec: { replicas: 3, paused: false, servers: [{ name: 'a', port: 2181 }, { name: 'b', port: 2182 }, { name: 'c', port: 2183 }] },
  status: {
    conditions: [
      { type: 'Available', status: 'False' },
      { type: 'Ready', status: 'True', observedGeneration: 4 },
    ],
    empty: [],
    nothing: null,
  },
};

const find = (path: string, root: unknown = cluster) => parseJsonPath(path).find(root);

test('fields, quoted keys and escaped dots select values; missing fields select nothing', () => {
  assert.deepEqual(find('.spec.replicas'), [3]);
  assert.deepEqual(find('{.spec.replicas}'), [3]);
  assert.deepEqual(find('$.spec.paused'), [false]);
  assert.deepEqual(find('.metadata.labels.app'), ['zookeeper']);
  assert.deepEqual(find('.metadata.labels.app\\.kubernetes\\.io/name'), ['zk']);
  assert.deepEqual(find("['metadata']['name']"), ['zk']);
  // Like kubectl, a bracketed key is read as a dotted path unless its dots are escaped.
  assert.deepEqual(find(".metadata.labels['app\\.kubernetes\\.io/name']"), ['zk']);
  assert.deepEqual(find(".metadata.labels['app.kubernetes.io/name']"), []);
  assert.deepEqual(find('.spec.missing'), []);
  assert.deepEqual(find('.spec.replicas.deeper'), []);
  assert.deepEqual(find('.status.nothing'), [null]);
  assert.deepEqual(find('.metadata.labels.*'), ['zookeeper', 'zk']);
});

test('array indexes, negative indexes, slices and [*]', () => {
  assert.deepEqual(find('.spec.servers[0].name'), ['a']);
  assert.deepEqual(find('.spec.servers[-1].port'), [2183]);
  assert.deepEqual(find('.spec.servers[*].name'), ['a', 'b', 'c']);
  assert.deepEqual(find('.spec.servers.*.port'), [2181, 2182, 2183]);
  assert.deepEqual(find('.spec.servers[1:].name'), ['b', 'c']);
  assert.deepEqual(find('.spec.servers[:2].name'), ['a', 'b']);
  assert.deepEqual(find('.spec.servers[0:3:2].name'), ['a', 'c']);
  assert.deepEqual(find('.status.empty[*]'), []);
  assert.deepEqual(find('.status.missing[0]'), []);
  assert.throws(() => find('.spec.servers[3]'), new JsonPathError('array index out of bounds: index 3, length 3'));
  assert.throws(() => find('.status.empty[0]'), new JsonPathError('array index out of bounds: index 0, length 0'));
  assert.throws(() => find('.spec.replicas[0]'), new JsonPathError('number is not array or slice'));
  assert.throws(() => find('.spec.servers[0:3:0]'), new JsonPathError('step must be > 0'));
});

test('filters compare a field of each element with a literal or another field', () => {
  assert.deepEqual(find('.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(find(".status.conditions[?(@.type == 'Available')].status"), ['False']);
  assert.deepEqual(find('.status.conditions[?(@.type!="Ready")].type'), ['Available']);
  assert.deepEqual(find('.status.conditions[?(@.type=="Missing")].status'), []);
  assert.deepEqual(find('.status.conditions[?(@.observedGeneration)].type'), ['Ready']);
  assert.deepEqual(find('.spec.servers[?(@.port>2181)].name'), ['b', 'c']);
  assert.deepEqual(find('.spec.servers[?(@.port<=2182)].name'), ['a', 'b']);
  assert.deepEqual(find('.spec.servers[?(@.name==@.name)].port'), [2181, 2182, 2183]);
  assert.deepEqual(find('.items[?(@=="x")]', { items: ['x', 'y', 'x'] }), ['x', 'x']);
  // A missing array has nothing to filter; a value that is not an array is an error.
  assert.deepEqual(find('.status.absent[?(@.type=="Ready")].status'), []);
  assert.throws(() => find('.spec[?(@.x=="y")]'), new JsonPathError('object is not array or slice and cannot be filtered'));
  assert.throws(() => find('.spec.servers[?(@.port=="2181")]'), new JsonPathError('incompatible types for comparison'));
  assert.throws(() => find('.items[?(@.ok>true)]', { items: [{ ok: true }] }), new JsonPathError('invalid type for comparison'));
});

test('unsupported or malformed expressions are refused with a clear error', () => {
  const refuses = (path: string, message: RegExp) => assert.throws(() => parseJsonPath(path), (err: unknown) => {
    assert.ok(err instanceof JsonPathError);
    assert.match(err.message, message);
    return true;
  });
  refuses('', /empty JSONPath expression/);
  refuses('{}', /empty JSONPath expression/);
  refuses('..name', /recursive descent \(\.\.\) is not supported/);
  refuses('.spec.servers[0,1]', /unions like \[0,1\] are not supported/);
  refuses('{range .items[*]}{.name}{end}', /only a single \{\.\.\.\} expression is supported/);
  refuses('.spec.servers[x]', /invalid array index \[x\]/);
  refuses('.spec.servers[-]', /array index - is not a number/);
  refuses('.spec.servers[0', /unterminated array index/);
  refuses('.status.conditions[?(@.type=="Ready"]', /unterminated filter/);
  refuses('.status.conditions[?(@.type="Ready")]', /unrecognized filter operator =/);
  refuses('.status.conditions[?(@.type==Ready)]', /a filter compares with a quoted string, a number, true, false or a path starting with @/);
  refuses('.spec.', /a field name is missing after '.'/);
  refuses('spec.replicas', /fields start with '\.'/);
  refuses('"text"', /quoted text outside a filter is not supported/);
});

test('values print as kubectl prints JSONPath results', () => {
  assert.equal(printJsonPathValue('Ready'), 'Ready');
  assert.equal(printJsonPathValue(3), '3');
  assert.equal(printJsonPathValue(0.5), '0.5');
  assert.equal(printJsonPathValue(1234567.5), '1.2345675e+06');
  assert.equal(printJsonPathValue(0.00001), '1e-05');
  assert.equal(printJsonPathValue(true), 'true');
  assert.equal(printJsonPathValue(null), '<no value>');
  assert.equal(printJsonPathValue({ b: 1, a: ['<x>'] }), '{"a":["\\u003cx\\u003e"],"b":1}');
});
