import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from '../schema.ts';
import { CustomResourceDefinitionSchema, JSONSchemaPropsSchema } from './apiextensions.ts';

const schemaProps = JSONSchemaPropsSchema as JSONSchemaProps;

test('the top level of a CRD validation schema is modelled field by field', () => {
  const fields = Object.keys(schemaProps.properties!);
  for (const name of ['type', 'description', 'properties', 'items', 'required', 'additionalProperties', 'default', 'enum', 'x-kubernetes-validations', 'x-kubernetes-list-map-keys']) {
    assert.ok(fields.includes(name), `missing ${name}`);
  }
  assert.equal(schemaProps['x-kubernetes-preserve-unknown-fields'], undefined);
});

test('nested schemas inside a CRD schema are kept whole, so pruning never loses part of them', () => {
  const props = schemaProps.properties!;
  assert.equal((props.properties.additionalProperties as JSONSchemaProps)['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(props.items['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(props.additionalProperties['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(props.allOf.items!['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(props.default['x-kubernetes-preserve-unknown-fields'], true);
});

test('a CRD requires its spec, and its spec what Kubernetes requires', () => {
  const crd = CustomResourceDefinitionSchema as JSONSchemaProps;
  assert.deepEqual(crd.required, ['spec']);
  const spec = crd.properties!.spec;
  assert.deepEqual(spec.required, ['group', 'names', 'scope', 'versions']);
  assert.deepEqual(spec.properties!.versions.items!.required, ['name', 'served', 'storage']);
  assert.equal(spec.properties!.versions.items!.properties!.schema.properties!.openAPIV3Schema.properties, schemaProps.properties);
  assert.deepEqual(crd.properties!.status.properties!.conditions['x-kubernetes-list-map-keys'], ['type']);
});
