import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { applyDefaults, pruneUnknownFields, validateObject, validateScaleReplicas } from './schema.ts';
import { effectiveFormat, matchesStringFormat } from './formats.ts';

const obj = (spec: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec, ...extra });
const withSpec = (spec: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { spec } });
const check = (spec: JSONSchemaProps, value: unknown) => validateObject(obj(value), withSpec(spec), '');
const messages = (spec: JSONSchemaProps, value: unknown) => check(spec, value).map((c) => `${c.field}: ${c.message}`);

test('pruning drops unknown fields at any depth and reports their paths sorted', () => {
  const schema = withSpec({
    type: 'object',
    properties: {
      replicas: { type: 'integer' },
      ports: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer' } } } },
      labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
    },
  });
  const o = obj({ replicas: 1, foo: 1, ports: [{ port: 1, name: 'x' }], labels: { a: { v: 'x', w: 'y' } } }, { status: {} });
  assert.deepEqual(pruneUnknownFields(o, schema), ['spec.foo', 'spec.labels.a.w', 'spec.ports[0].name', 'status']);
  assert.deepEqual(o, obj({ replicas: 1, ports: [{ port: 1 }], labels: { a: { v: 'x' } } }));
});

test('pruning keeps apiVersion/kind and reduces metadata to ObjectMeta fields, at the root and in embedded resources', () => {
  const schema = withSpec({
    type: 'object',
    properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } } },
  });
  const o: Record<string, unknown> = {
    apiVersion: 'example.com/v1', kind: 'Widget',
    metadata: { name: 'w', bogus: 1, labels: { a: 'b' }, ownerReferences: [{ name: 'o', extra: true }], creationTimestamp: null },
    spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 2 }, spec: { a: 'x', b: 'y' }, other: 1 } },
  };
  assert.deepEqual(pruneUnknownFields(o, schema), [
    'metadata.bogus', 'metadata.ownerReferences[0].extra', 'spec.template.metadata.nope', 'spec.template.other', 'spec.template.spec.b',
  ]);
  assert.deepEqual(o.metadata, { name: 'w', labels: { a: 'b' }, ownerReferences: [{ name: 'o' }] });
  assert.deepEqual(o.spec, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } } });
});

test('x-kubernetes-preserve-unknown-fields keeps unknown fields but prunes inside known ones', () => {
  const schema = withSpec({
    type: 'object', 'x-kubernetes-preserve-unknown-fields': true,
    properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
  });
  const o = obj({ free: { anything: [1, { deep: true }] }, known: { a: 'x', b: 'y' } });
  assert.deepEqual(pruneUnknownFields(o, schema), ['spec.known.b']);
  assert.deepEqual(o.spec, { free: { anything: [1, { deep: true }] }, known: { a: 'x' } });
});

test('a field without a schema below it loses its content; a preserved list keeps its items whole', () => {
  const schema = withSpec({
    type: 'object',
    properties: {
      empty: { type: 'object' },
      raw: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  });
  const o = obj({ empty: { a: 1, b: { c: 2 } }, raw: [{ x: 1 }] });
  assert.deepEqual(pruneUnknownFields(o, schema), ['spec.empty.a', 'spec.empty.b']);
  assert.deepEqual(o.spec, { empty: {}, raw: [{ x: 1 }] });
});

test('defaults fill absent fields deeply: properties, items, additionalProperties; nulls are handled', () => {
  const schema = withSpec({
    type: 'object',
    properties: {
      replicas: { type: 'integer', default: 1 },
      mode: { type: 'string', default: 'fast' },
      gone: { type: 'string' },
      kept: { type: 'string', nullable: true },
      resources: { type: 'object', default: { cpu: '1' }, properties: { cpu: { type: 'string' }, memory: { type: 'string', default: '1Gi' } } },
      ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } } },
      roles: { type: 'object', additionalProperties: { type: 'object', properties: { replicas: { type: 'integer', default: 3 } } } },
    },
  });
  const o = obj({ mode: null, gone: null, kept: null, ports: [{}, { protocol: 'UDP' }], roles: { a: {}, b: { replicas: 5 } } });
  applyDefaults(o, schema);
  assert.deepEqual(o.spec, {
    replicas: 1, mode: 'fast', kept: null, resources: { cpu: '1', memory: '1Gi' },
    ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }], roles: { a: { replicas: 3 }, b: { replicas: 5 } },
  });
  const shared = schema.properties!.spec.properties!.resources.default as Record<string, unknown>;
  assert.deepEqual(shared, { cpu: '1' }, 'defaults are copied, never shared');
});

test('type errors use Kubernetes wording and reason, integer is not number', () => {
  assert.deepEqual(check({ type: 'object', properties: { replicas: { type: 'integer' } } }, { replicas: 'three' }), [{
    reason: 'FieldValueTypeInvalid', field: 'spec.replicas',
    message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
  }]);
  assert.deepEqual(messages({ type: 'object', properties: { n: { type: 'integer' }, f: { type: 'number' }, b: { type: 'boolean' } } }, { n: 1.5, f: 2, b: 'true' }), [
    'spec.n: Invalid value: "number": spec.n in body must be of type integer: "number"',
    'spec.b: Invalid value: "string": spec.b in body must be of type boolean: "string"',
  ]);
  assert.deepEqual(messages({ type: 'object', properties: { list: { type: 'array', items: { type: 'string' } } } }, { list: ['a', 1, null] }), [
    'spec.list[1]: Invalid value: "integer": spec.list[1] in body must be of type string: "integer"',
    'spec.list[2]: Invalid value: "null": spec.list[2] in body must be of type string: "null"',
  ]);
});

test('nullable allows null; required reports missing fields', () => {
  const spec: JSONSchemaProps = { type: 'object', required: ['name', 'size'], properties: { name: { type: 'string' }, size: { type: 'integer', nullable: true } } };
  assert.deepEqual(check(spec, { name: 'a', size: null }), []);
  assert.deepEqual(check(spec, { size: 1 }), [{ reason: 'FieldValueRequired', field: 'spec.name', message: 'Required value' }]);
  assert.deepEqual(validateObject({ metadata: {} }, { type: 'object', required: ['spec'], properties: { spec: { type: 'object' } } }, ''), [
    { reason: 'FieldValueRequired', field: 'spec', message: 'Required value' },
  ]);
});

test('enum reports the supported values', () => {
  assert.deepEqual(check({ type: 'object', properties: { mode: { type: 'string', enum: ['a', 'b'] }, n: { type: 'integer', enum: [1, 2] } } }, { mode: 'x', n: 3 }), [
    { reason: 'FieldValueNotSupported', field: 'spec.mode', message: 'Unsupported value: "x": supported values: "a", "b"' },
    { reason: 'FieldValueNotSupported', field: 'spec.n', message: 'Unsupported value: 3: supported values: "1", "2"' },
  ]);
});

test('numeric bounds, exclusive bounds and multipleOf', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: {
      a: { type: 'integer', minimum: 1, maximum: 10 },
      b: { type: 'integer', minimum: 1, exclusiveMinimum: true },
      c: { type: 'number', maximum: 2.5, exclusiveMaximum: true },
      d: { type: 'integer', multipleOf: 5 },
      e: { type: 'number', multipleOf: 0.5 },
    },
  };
  assert.deepEqual(check(spec, { a: 5, b: 2, c: 2.4, d: 10, e: 1.5 }), []);
  assert.deepEqual(messages(spec, { a: 11, b: 1, c: 2.5, d: 7, e: 1.2 }), [
    'spec.a: Invalid value: 11: spec.a in body should be less than or equal to 10',
    'spec.b: Invalid value: 1: spec.b in body should be greater than 1',
    'spec.c: Invalid value: 2.5: spec.c in body should be less than 2.5',
    'spec.d: Invalid value: 7: spec.d in body should be a multiple of 5',
    'spec.e: Invalid value: 1.2: spec.e in body should be a multiple of 0.5',
  ]);
});

test('string length counts code points; pattern is a regular expression', () => {
  const spec: JSONSchemaProps = { type: 'object', properties: { s: { type: 'string', minLength: 2, maxLength: 3, pattern: '^[a-zé]+$' } } };
  assert.deepEqual(check(spec, { s: 'éé' }), []);
  assert.deepEqual(check(spec, { s: '😀😀😀' }).map((c) => c.message), ["Invalid value: \"😀😀😀\": spec.s in body should match '^[a-zé]+$'"]);
  assert.deepEqual(check(spec, { s: 'abcd' }), [{ reason: 'FieldValueTooLong', field: 'spec.s', message: 'Too long: may not be more than 3 bytes' }]);
  assert.deepEqual(messages(spec, { s: 'a' }), ['spec.s: Invalid value: "a": spec.s in body should be at least 2 chars long']);
  assert.deepEqual(messages({ type: 'object', properties: { s: { type: 'string', pattern: '(?i)^abc$' } } }, { s: 'ABC' }), []);
});

test('formats: date-time, int32 range, and unknown formats are ignored', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: {
      t: { type: 'string', format: 'date-time' },
      i: { type: 'integer', format: 'int32' },
      x: { type: 'string', format: 'no-such-format' },
      ip: { type: 'string', format: 'ipv4' },
    },
  };
  assert.deepEqual(check(spec, { t: '2024-02-29T10:00:00Z', i: 5, x: 'anything', ip: '10.0.0.1' }), []);
  assert.deepEqual(messages(spec, { t: '2023-02-29T10:00:00Z', i: 2 ** 31, ip: '10.0.0.256' }), [
    'spec.t: Invalid value: "2023-02-29T10:00:00Z": spec.t in body must be of type date-time: "2023-02-29T10:00:00Z"',
    'spec.i: Invalid value: "": Checked value must be of type integer with format int32 in spec.i',
    'spec.ip: Invalid value: "10.0.0.256": spec.ip in body must be of type ipv4: "10.0.0.256"',
  ]);
  assert.equal(effectiveFormat('integer', 'date-time'), undefined);
  assert.equal(effectiveFormat('string', 'date-time'), 'date-time');
  for (const [format, good, bad] of [
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', 'nope'], ['date', '2024-01-31', '2024-01-32'],
    ['duration', '1h30m', 'soon'], ['byte', 'aGVsbG8=', 'a'], ['cidr', '10.0.0.0/8', '10.0.0.0/33'],
    ['hostname', 'example.com', '-bad-'], ['email', 'a@example.com', 'not-an-email'], ['uri', 'https://x.io/a', 'x y'],
    ['mac', '00:1a:2b:3c:4d:5e', '00:1a:2b'], ['ipv6', '::1', '1.2.3.4'], ['k8s-short-name', 'abc', 'ABC'],
  ]) {
    assert.equal(matchesStringFormat(format, good), true, `${format} accepts ${good}`);
    assert.equal(matchesStringFormat(format, bad), false, `${format} rejects ${bad}`);
  }
});

test('array size, uniqueItems, and object property counts', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: {
      l: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'integer' } },
      u: { type: 'array', uniqueItems: true, items: { type: 'integer' } },
      m: { type: 'object', minProperties: 1, maxProperties: 2, additionalProperties: { type: 'string' } },
    },
  };
  assert.deepEqual(messages(spec, { l: [1], u: [1, 1], m: {} }), [
    'spec.l: Invalid value: 1: spec.l in body should have at least 2 items',
    'spec.u: Invalid value: "": spec.u in body shouldn\'t contain duplicates',
    'spec.m: Invalid value: 0: spec.m in body should have at least 1 properties',
  ]);
  assert.deepEqual(check(spec, { l: [1, 2, 3, 4], m: { a: 'x', b: 'y', c: 1 } }), [
    { reason: 'FieldValueTooMany', field: 'spec.l', message: 'Too many: 4: must have at most 3 items' },
    { reason: 'FieldValueTooMany', field: 'spec.m', message: 'Too many: 3: must have at most 2 items' },
    { reason: 'FieldValueTypeInvalid', field: 'spec.m.c', message: 'Invalid value: "integer": spec.m.c in body must be of type string: "integer"' },
  ]);
});

test('additionalProperties false forbids other keys', () => {
  assert.deepEqual(messages({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, { a: 'x', b: 1 }), [
    'spec: Invalid value: "b": spec.b in body is a forbidden property',
  ]);
});

test('allOf, anyOf, oneOf and not', () => {
  const anyOf: JSONSchemaProps = { type: 'object', properties: { v: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 0 }] } } };
  assert.deepEqual(check(anyOf, { v: 11 }), []);
  assert.deepEqual(messages(anyOf, { v: 5 }), [
    'spec.v: Invalid value: "": "spec.v" must validate at least one schema (anyOf)',
    'spec.v: Invalid value: 5: spec.v in body should be greater than or equal to 10',
  ]);
  const oneOf: JSONSchemaProps = { type: 'object', properties: { v: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] } } };
  assert.deepEqual(check(oneOf, { v: -1 }), []);
  assert.deepEqual(messages(oneOf, { v: 5 }), ['spec.v: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found 2 valid alternatives']);
  const allOf: JSONSchemaProps = { type: 'object', properties: { v: { type: 'string', allOf: [{ minLength: 2 }, { maxLength: 3 }] } } };
  assert.deepEqual(messages(allOf, { v: 'a' }), [
    'spec.v: Invalid value: "a": spec.v in body should be at least 2 chars long',
    'spec.v: Invalid value: "": "spec.v" must validate all the schemas (allOf)',
  ]);
  const not: JSONSchemaProps = { type: 'object', properties: { v: { type: 'string', not: { enum: ['forbidden'] } } } };
  assert.deepEqual(messages(not, { v: 'forbidden' }), ['spec.v: Invalid value: "": "spec.v" must not validate the schema (not)']);
});

test('x-kubernetes-int-or-string accepts integers and strings only', () => {
  const spec: JSONSchemaProps = { type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } };
  assert.deepEqual(check(spec, { port: 80 }), []);
  assert.deepEqual(check(spec, { port: 'http' }), []);
  assert.equal(messages(spec, { port: 1.5 })[0], 'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"');
});

test('list-type set and map report duplicates once, at the second occurrence', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: {
      set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      map: {
        type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, v: { type: 'integer' } } },
      },
      multi: {
        type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'],
        items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string' } } },
      },
    },
  };
  assert.deepEqual(check(spec, { set: ['a', 'b', 'a', 'a'], map: [{ name: 'x', v: 1 }, { name: 'x', v: 2 }], multi: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }, { protocol: 'TCP', port: 80 }] }), [
    { reason: 'FieldValueDuplicate', field: 'spec.set[2]', message: 'Duplicate value: "a"' },
    { reason: 'FieldValueDuplicate', field: 'spec.map[1]', message: 'Duplicate value: {"name":"x"}' },
    { reason: 'FieldValueDuplicate', field: 'spec.multi[2]', message: 'Duplicate value: {"port":80,"protocol":"TCP"}' },
  ]);
  assert.deepEqual(messages({ type: 'object', properties: { map: spec.properties!.map } }, { map: [{ name: 'x' }, 'oops'] }).slice(-1), [
    'spec.map[1]: Invalid value: "oops": must be an object for an array of list-type map',
  ]);
});

test('embedded resources need apiVersion and kind, and valid metadata', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: { objects: { type: 'array', items: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } },
  };
  assert.deepEqual(check(spec, { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] }), []);
  const found = messages(spec, { objects: [{ kind: 'bad_kind', metadata: { name: 'a/b', labels: { 'x y': 'z' } } }] });
  assert.deepEqual(found.slice(0, 3), [
    'spec.objects[0].apiVersion: Required value',
    "spec.objects[0].kind: Invalid value: \"bad_kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    "spec.objects[0].metadata.name: Invalid value: \"a/b\": may not contain '/'",
  ]);
  assert.equal(found.length, 4);
  assert.match(found[3], /^spec\.objects\[0\]\.metadata\.labels: Invalid value: "x y": name part must consist/);
});

test('the scale subresource requires non-negative int32 replicas', () => {
  const scale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' };
  assert.deepEqual(validateScaleReplicas({ spec: { replicas: 3 }, status: { replicas: 2, selector: 'a=b' } }, scale), []);
  assert.deepEqual(validateScaleReplicas({ spec: {} }, scale), []);
  assert.deepEqual(validateScaleReplicas({ spec: { replicas: -1 }, status: { replicas: 'x', selector: 5 } }, scale).map((c) => `${c.field}: ${c.message}`), [
    '.spec.replicas: Invalid value: -1: should be a non-negative integer',
    '.status.replicas: Invalid value: 0: .status.replicas accessor error: x is of the type string, expected int64',
    '.status.selector: Invalid value: "": .status.selector accessor error: 5 is of the type int64, expected string',
  ]);
});
