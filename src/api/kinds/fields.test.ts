import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { describe, intOrString, keyedList, list, mapOf, object, oneOf, string } from './fields.ts';

test('object properties are optional unless named as required', () => {
  const schema = object('Thing.', { name: string('Name.'), note: string('Note.') }, ['name']);
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), {
    description: 'Thing.', type: 'object', required: ['name'],
    properties: { name: { description: 'Name.', type: 'string' }, note: { description: 'Note.', type: 'string' } },
  });
  assert.equal(object('Empty.', { a: string('A.') }).required, undefined);
});

test('maps, enums and int-or-string have the shapes structural schemas need', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(mapOf(Type.String(), 'Labels.', 'atomic'))), {
    type: 'object', additionalProperties: { type: 'string' }, description: 'Labels.', 'x-kubernetes-map-type': 'atomic',
  });
  assert.deepEqual(JSON.parse(JSON.stringify(oneOf(['A', 'B'], 'Choice.'))), { type: 'string', enum: ['A', 'B'], description: 'Choice.' });
  assert.deepEqual(JSON.parse(JSON.stringify(intOrString('Port.'))), { 'x-kubernetes-int-or-string': true, description: 'Port.' });
});

test('lists carry their list type and strategic merge metadata', () => {
  const item = object('Item.', { name: string('Name.') }, ['name']);
  const keyed = keyedList(item, 'name', 'Items.');
  assert.equal(keyed['x-kubernetes-list-type'], 'map');
  assert.deepEqual(keyed['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(keyed['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(keyed['x-kubernetes-patch-merge-key'], 'name');
  const atomic = list(Type.String(), 'Args.');
  assert.equal(atomic['x-kubernetes-list-type'], 'atomic');
  assert.equal(atomic['x-kubernetes-patch-strategy'], undefined);
});

test('a map list must name its keys, and only a map list may', () => {
  const item = object('Item.', { name: string('Name.') }, ['name']);
  assert.throws(() => list(item, 'Items.', { listType: 'map' }), /map keys exactly when/);
  assert.throws(() => list(item, 'Items.', { listType: 'atomic', keys: ['name'] }), /map keys exactly when/);
});

test('describe gives a shared schema a new description without changing the original', () => {
  const shared = object('Shared.', { a: string('A.') });
  const used = describe(shared, 'Used here.');
  assert.equal(used.description, 'Used here.');
  assert.equal(shared.description, 'Shared.');
  assert.equal(used.properties, shared.properties);
});
