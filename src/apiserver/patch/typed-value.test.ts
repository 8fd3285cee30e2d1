import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { FieldSet, field, keyElement, pathToString } from './field-set.ts';
import { compareValues, fieldsOf, mergeValues, removeFields } from './typed-value.ts';
import { deploymentSchema, widgetSchema } from './test-fixtures.ts';

type Obj = Record<string, any>;

const paths = (s: FieldSet) => s.paths().map(pathToString);
const ports = (...names: string[]) => names.map((name) => ({ name, port: name.length }));

test('fields of a value: atomic maps and lists are one field, unknown fields are deduced', () => {
  const set = fieldsOf({
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { tolerations: [{ key: 'a' }], nodeSelector: {} } },
    },
  }, deploymentSchema);
  assert.deepEqual(set.toFieldsV1(), {
    'f:spec': { 'f:selector': {}, 'f:template': { 'f:spec': { 'f:nodeSelector': {}, 'f:tolerations': {} } } },
  });
  const deduced = fieldsOf({ spec: { extra: { foo: { bar: 1 }, list: [1, 2] } } }, widgetSchema);
  assert.deepEqual(deduced.toFieldsV1(), { 'f:spec': { 'f:extra': { 'f:foo': { '.': {}, 'f:bar': {} }, 'f:list': {} } } });
  const noSchema = fieldsOf({ spec: { a: [{ x: 1 }], m: { k: 'v' } } }, undefined);
  assert.deepEqual(noSchema.toFieldsV1(), { 'f:spec': { '.': {}, 'f:a': {}, 'f:m': { '.': {}, 'f:k': {} } } });
});

test('embedded resources get ObjectMeta: their labels are a granular map', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: { spec: { type: 'object', properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } } },
  };
  const set = fieldsOf({ spec: { template: { metadata: { labels: { a: 'b' } }, finalizers: ['x'] } } }, schema);
  assert.ok(set.has([field('spec'), field('template'), field('metadata'), field('labels'), field('a')]));
});

test('merging a list map keeps the configuration\'s order and live-only items near their neighbours', () => {
  const merge = (live: string[], config: string[]) =>
    ((mergeValues({ spec: { ports: ports(...live) } }, { spec: { ports: ports(...config) } }, widgetSchema) as Obj).spec.ports as Obj[]).map((p) => p.name);
  assert.deepEqual(merge(['a', 'b', 'c'], ['c', 'a']), ['b', 'c', 'a']);
  assert.deepEqual(merge(['a', 'b'], ['x', 'b', 'y']), ['a', 'x', 'b', 'y']);
  assert.deepEqual(merge([], ['a']), ['a']);
});

test('merging keeps live fields the configuration does not name, and replaces atomic values', () => {
  const live = { spec: { size: 1, args: ['a', 'b'], ports: [{ name: 'http', port: 80 }], settings: { x: '1' } } };
  const merged = mergeValues(live, { spec: { args: ['c'], ports: [{ name: 'http', port: 81 }], settings: { y: '2' } } }, widgetSchema);
  assert.deepEqual(merged, { spec: { size: 1, args: ['c'], ports: [{ name: 'http', port: 81 }], settings: { x: '1', y: '2' } } });
  assert.throws(() => mergeValues({}, { spec: { ports: [{ name: 'a' }, { name: 'a' }] } }, widgetSchema), /duplicate entries/);
});

test('compare reports added, modified and removed fields, and new granular nodes themselves', () => {
  const c = compareValues(
    { spec: { size: 1, color: 'red', tags: ['a'] } },
    { spec: { size: 2, tags: ['a', 'b'], ports: [{ name: 'p', port: 1 }] } },
    widgetSchema,
  );
  assert.deepEqual(paths(c.modified), ['.spec.size']);
  assert.deepEqual(paths(c.removed), ['.spec.color']);
  assert.deepEqual(paths(c.added), ['.spec.ports', '.spec.ports[name="p"]', '.spec.ports[name="p"].name', '.spec.ports[name="p"].port', '.spec.tags[="b"]']);
});

test('compare treats items with duplicated keys as one unit', () => {
  const dup = [{ name: 'a', port: 1 }, { name: 'a', port: 2 }];
  const same = compareValues({ spec: { ports: dup } }, { spec: { ports: dup } }, widgetSchema);
  assert.ok(same.modified.isEmpty() && same.added.isEmpty() && same.removed.isEmpty());
  const fixed = compareValues({ spec: { ports: dup } }, { spec: { ports: [{ name: 'a', port: 3 }] } }, widgetSchema);
  assert.deepEqual(paths(fixed.removed), ['.spec.ports[name="a"]']);
  assert.ok(fixed.added.has([field('spec'), field('ports'), keyElement({ name: 'a' }), field('port')]));
});

test('a value changing shape is a modification, and what was below it is removed', () => {
  const c = compareValues({ spec: { extra: { a: { b: 1 } } } }, { spec: { extra: { a: 'flat' } } }, widgetSchema);
  assert.deepEqual(paths(c.modified), ['.spec.extra.a']);
  assert.deepEqual(paths(c.removed), ['.spec.extra.a.b']);
});

test('removing fields removes items and map entries with what is below them', () => {
  const obj = { spec: { ports: ports('a', 'b'), tags: ['x', 'y'], settings: { k: 'v' }, size: 1 } };
  const out = removeFields(obj, FieldSet.of(
    [field('spec'), field('ports'), keyElement({ name: 'a' })],
    [field('spec'), field('tags'), { kind: 'value', value: 'y' }],
    [field('spec'), field('settings'), field('k')],
  ), widgetSchema);
  assert.deepEqual(out, { spec: { ports: ports('b'), tags: ['x'], size: 1 } });
});
