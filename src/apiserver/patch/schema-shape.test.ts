import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { fieldOf, isAtomicMap, itemType, listRelation, rootType, type NodeType } from './schema-shape.ts';

const typedBy = (schema: JSONSchemaProps): NodeType => ({ schema, deduced: false, atomic: false, preserveUnknown: false });

test('list relations: list-type wins, then the patch strategy of built-in kinds, else atomic', () => {
  assert.deepEqual(listRelation(typedBy({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['a', 'b'] })), { kind: 'map', keys: ['a', 'b'] });
  assert.deepEqual(listRelation(typedBy({ type: 'array', 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-strategy': 'merge' })), { kind: 'atomic' });
  assert.deepEqual(listRelation(typedBy({ type: 'array', 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'name' })), { kind: 'map', keys: ['name'] });
  assert.deepEqual(listRelation(typedBy({ type: 'array', 'x-kubernetes-patch-strategy': 'merge' })), { kind: 'set' });
  assert.deepEqual(listRelation(typedBy({ type: 'array', 'x-kubernetes-patch-strategy': 'retainKeys' })), { kind: 'atomic' });
  assert.deepEqual(listRelation(typedBy({ type: 'array' })), { kind: 'atomic' });
});

test('unknown keys are deduced (granular maps, atomic lists); items without a schema are atomic', () => {
  const root = rootType({ type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } });
  const spec = fieldOf(root, 'spec');
  assert.equal(spec.declared, true);
  const unknown = fieldOf(spec.type, 'anything');
  assert.equal(unknown.declared, false);
  assert.equal(unknown.type.deduced, true);
  assert.equal(isAtomicMap(unknown.type), false);
  assert.deepEqual(listRelation(unknown.type), { kind: 'atomic' });
  const untypedItems = itemType(typedBy({ type: 'array', 'x-kubernetes-list-type': 'set' }));
  assert.equal(isAtomicMap(untypedItems), true);
});

test('the root always knows ObjectMeta: finalizers are a set, ownerReferences keyed by uid and atomic', () => {
  const meta = fieldOf(rootType(undefined), 'metadata').type;
  assert.deepEqual(listRelation(fieldOf(meta, 'finalizers').type), { kind: 'set' });
  const owners = fieldOf(meta, 'ownerReferences').type;
  assert.deepEqual(listRelation(owners), { kind: 'map', keys: ['uid'] });
  assert.equal(isAtomicMap(itemType(owners)), true);
  assert.equal(fieldOf(fieldOf(meta, 'labels').type, 'app').declared, false);
});
