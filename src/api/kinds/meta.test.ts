import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Static } from '@sinclair/typebox';
import type { Condition, ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference } from '../meta.ts';
import { ConditionSchema, ListMetaSchema, ManagedFieldsEntrySchema, ObjectMetaSchema, OwnerReferenceSchema, kindListSchema, kindSchema } from './meta.ts';
import { string } from './fields.ts';

// Compile-time: the schemas describe exactly the hand-written interfaces of ../meta.ts, so the
// two cannot drift apart (tsc fails on any mismatch).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type MetaSchemasMatchInterfaces = [
  Assert<Same<Static<typeof ObjectMetaSchema>, ObjectMeta>>,
  Assert<Same<Static<typeof OwnerReferenceSchema>, OwnerReference>>,
  Assert<Same<Static<typeof ManagedFieldsEntrySchema>, ManagedFieldsEntry>>,
  Assert<Same<Static<typeof ListMetaSchema>, ListMeta>>,
  Assert<Static<typeof ConditionSchema> extends Condition ? true : false>,
];

test('a kind carries apiVersion, kind and metadata without requiring them in JSON', () => {
  const schema = kindSchema('A test kind.', { spec: string('Some spec.') });
  assert.deepEqual(Object.keys(schema.properties), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.equal(schema.required, undefined);
  assert.equal(schema.properties.metadata.properties.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(schema.properties.metadata.description, "The object's metadata.");
  assert.equal(ObjectMetaSchema.description, 'Metadata every persisted object has: identity, labels, annotations, ownership and lifecycle.');
});

test('a kind can require its own fields and metadata, as core Event does', () => {
  const schema = kindSchema('A test kind.', { target: string('A target.'), note: string('A note.') }, ['metadata', 'target']);
  assert.deepEqual(schema.required, ['metadata', 'target']);
});

test('a list kind wraps items with list metadata', () => {
  const item = kindSchema('Item.', {});
  const listSchema = kindListSchema(item, 'A list.');
  assert.deepEqual(listSchema.required, ['items']);
  assert.equal(listSchema.properties.items.items, item);
  assert.deepEqual(Object.keys(listSchema.properties.metadata.properties), ['resourceVersion', 'continue', 'remainingItemCount']);
});

test('metadata lists carry the merge semantics server-side apply relies on', () => {
  const { ownerReferences, finalizers, managedFields } = ObjectMetaSchema.properties;
  assert.deepEqual(ownerReferences['x-kubernetes-list-map-keys'], ['uid']);
  assert.equal(finalizers['x-kubernetes-list-type'], 'set');
  assert.equal(finalizers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(managedFields['x-kubernetes-list-type'], 'atomic');
  assert.deepEqual(OwnerReferenceSchema.required, ['apiVersion', 'kind', 'name', 'uid']);
});
