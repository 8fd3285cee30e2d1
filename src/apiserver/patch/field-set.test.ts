import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, field, keyElement, parseElement, pathToString, serializeElement, type FieldPath } from './field-set.ts';

const spec = field('spec');
const containers = field('containers');
const c = keyElement({ name: 'c' });

test('FieldsV1 round-trips, with "." for a member that also has members below it', () => {
  const fieldsV1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } },
      'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} },
      'f:replicas': {},
    },
  };
  const set = FieldSet.fromFieldsV1(fieldsV1);
  assert.ok(set.has([field('metadata'), field('labels')]));
  assert.ok(!set.has([field('metadata')]), 'a node with only members below it is not itself a member');
  assert.ok(set.has([spec, containers, c, field('image')]));
  assert.ok(set.has([spec, field('finalizers'), { kind: 'value', value: 'b' }]));
  assert.deepEqual(set.toFieldsV1(), fieldsV1);
});

test('elements sort as structured-merge-diff sorts them: fields, keys, values, indices', () => {
  const set = FieldSet.of(
    [{ kind: 'index', index: 2 }], [{ kind: 'value', value: 'b' }], [{ kind: 'value', value: 1 }],
    [keyElement({ name: 'z' })], [keyElement({ name: 'a' })], [field('b')], [field('a')],
  );
  assert.deepEqual(Object.keys(set.toFieldsV1()), ['f:a', 'f:b', 'k:{"name":"a"}', 'k:{"name":"z"}', 'v:1', 'v:"b"', 'i:2']);
});

test('keys serialize with sorted field names and Go-style escaping', () => {
  assert.equal(serializeElement(keyElement({ protocol: 'TCP', containerPort: 80 })), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.equal(serializeElement({ kind: 'value', value: 'a<b>&' }), 'v:"a\\u003cb\\u003e\\u0026"');
  assert.deepEqual(parseElement('k:{"protocol":"TCP","containerPort":80}'), keyElement({ containerPort: 80, protocol: 'TCP' }));
  assert.throws(() => parseElement('q:x'), /unknown path element/);
  assert.throws(() => parseElement('k:{bad'), /not valid JSON/);
});

test('paths print as in conflict messages', () => {
  const path: FieldPath = [spec, field('template'), field('spec'), containers, c, field('image')];
  assert.equal(pathToString(path), '.spec.template.spec.containers[name="c"].image');
  assert.equal(pathToString([field('metadata'), field('finalizers'), { kind: 'value', value: 'x' }]), '.metadata.finalizers[="x"]');
  assert.equal(pathToString([spec, field('ports'), keyElement({ port: 80, protocol: 'TCP' })]), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathToString([spec, field('args'), { kind: 'index', index: 0 }]), '.spec.args[0]');
});

test('union, intersection and difference work on exact paths', () => {
  const a = FieldSet.of([spec, field('a')], [spec, field('b')], [spec]);
  const b = FieldSet.of([spec, field('b')], [spec, field('c')]);
  assert.deepEqual(a.union(b).paths().map(pathToString), ['.spec', '.spec.a', '.spec.b', '.spec.c']);
  assert.deepEqual(a.intersection(b).paths().map(pathToString), ['.spec.b']);
  assert.deepEqual(a.difference(b).paths().map(pathToString), ['.spec', '.spec.a']);
  assert.ok(a.difference(a).isEmpty());
  const reset = a.union(FieldSet.of([field('status'), field('phase')])).withoutTopLevelFields((n) => n === 'status');
  assert.deepEqual(reset.paths().map(pathToString), ['.spec', '.spec.a', '.spec.b']);
});
