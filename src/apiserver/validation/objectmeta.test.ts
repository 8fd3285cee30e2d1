import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { formatValue, goFloat, goQuote, fieldError } from './field.ts';
import { isQualifiedName, nameErrors } from './names.ts';

const ns = { namespaced: true, nameRule: 'dns1123subdomain' as const };
const cluster = { namespaced: false, nameRule: 'dns1123subdomain' as const };

test('a valid namespaced object has no causes', () => {
  assert.deepEqual(validateObjectMeta({
    name: 'web-1', namespace: 'default', labels: { 'app.kubernetes.io/name': 'web', tier: '' },
    annotations: { 'example.com/note': 'anything at all' }, finalizers: ['example.com/cleanup'],
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true }],
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: {} }],
  }, ns), []);
});

test('an invalid name gets Kubernetes\' RFC 1123 subdomain message', () => {
  assert.deepEqual(validateObjectMeta({ name: 'Bad_Name', namespace: 'default' }, ns), [{
    reason: 'FieldValueInvalid', field: 'metadata.name',
    message: "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  }]);
});

test('name rules: label forbids dots, path segments forbid slashes, generateName may end in a dash', () => {
  assert.deepEqual(nameErrors('dns1123label', 'a.b', false), ['must not contain dots']);
  assert.deepEqual(nameErrors('path-segment', 'a/b', false), ["may not contain '/'"]);
  assert.deepEqual(nameErrors('path-segment', '..', false), ["may not be '..'"]);
  assert.deepEqual(nameErrors('dns1123subdomain', 'web-', true), []);
  assert.equal(nameErrors('dns1123subdomain', 'web-', false).length, 1);
  assert.deepEqual(nameErrors('dns1123subdomain', 'x'.repeat(254), false)[0], 'must be no more than 253 characters');
});

test('name or generateName is required; namespace follows the scope', () => {
  assert.deepEqual(validateObjectMeta({}, ns), [
    fieldError.required('metadata.name', 'name or generateName is required'),
    fieldError.required('metadata.namespace'),
  ]);
  assert.deepEqual(validateObjectMeta({ name: 'a', namespace: 'default' }, cluster), [
    { reason: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' },
  ]);
  assert.equal(validateObjectMeta({ name: 'a', namespace: 'Not_Valid' }, ns)[0].field, 'metadata.namespace');
});

test('labels: key and value rules, with messages on the labels field', () => {
  const causes = validateObjectMeta({ name: 'a', labels: { 'bad key!': 'ok', good: '-bad-value-', long: 'v'.repeat(64) } }, cluster);
  assert.deepEqual(causes.map((c) => c.field), ['metadata.labels', 'metadata.labels', 'metadata.labels']);
  assert.match(causes[0].message!, /^Invalid value: "bad key!": name part must consist of alphanumeric characters/);
  assert.match(causes[1].message!, /^Invalid value: "-bad-value-": a valid label must be an empty string/);
  assert.equal(causes[2].message, `Invalid value: "${'v'.repeat(64)}": must be no more than 63 bytes`);
});

test('qualified names: prefix must be a DNS subdomain, at most one slash', () => {
  assert.deepEqual(isQualifiedName('example.com/ok'), []);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  assert.match(isQualifiedName('Example.com/x')[0], /^prefix part a lowercase RFC 1123 subdomain/);
  assert.match(isQualifiedName('a/b/c')[0], /^a valid label key must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', isQualifiedName('a/')[1]]);
});

test('annotations: keys are checked lower-cased, and the total size is limited to 256 KiB', () => {
  assert.deepEqual(validateObjectMeta({ name: 'a', annotations: { 'Example.com/MixedCase': 'x' } }, cluster), []);
  const big = { a: 'x'.repeat(256 * 1024) };
  assert.deepEqual(validateObjectMeta({ name: 'a', annotations: big }, cluster), [
    { reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: may not be more than 262144 bytes' },
  ]);
});

test('owner references need apiVersion, kind, name and uid, and at most one controller', () => {
  const causes = validateObjectMeta({
    name: 'a',
    ownerReferences: [
      { apiVersion: 'a/b/c', kind: 'K', name: 'n', uid: 'u', controller: true },
      { kind: 'K2', controller: true },
    ],
  }, cluster);
  assert.deepEqual(causes.map((c) => [c.field, c.message]), [
    ['metadata.ownerReferences[0].apiVersion', 'Invalid value: "a/b/c": must be <group>/<version> or <version>'],
    ['metadata.ownerReferences[1].apiVersion', 'Required value: must not be empty'],
    ['metadata.ownerReferences[1].name', 'Required value: must not be empty'],
    ['metadata.ownerReferences[1].uid', 'Required value: must not be empty'],
    ['metadata.ownerReferences', causes[4].message],
  ]);
  assert.match(causes[4].message!, /Only one reference can have Controller set to true. Found "true" in references for K\/n and K2\/$/);
});

test('finalizers must be qualified names, and orphan excludes foregroundDeletion', () => {
  const causes = validateObjectMeta({ name: 'a', finalizers: ['ok/one', 'bad name', 'orphan', 'foregroundDeletion'] }, cluster);
  assert.equal(causes.length, 2);
  assert.match(causes[0].message!, /^Invalid value: "bad name": name part must consist/);
  assert.equal(causes[1].message, 'Invalid value: ["ok/one","bad name","orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set');
});

test('managedFields: operation Apply or Update, FieldsV1, manager length', () => {
  const causes = validateObjectMeta({ name: 'a', managedFields: [{ operation: 'Patch' }, { manager: 'm'.repeat(129), operation: 'Update', fieldsType: 'X' }, {}] }, cluster);
  assert.deepEqual(causes.map((c) => [c.field, c.message]), [
    ['metadata.managedFields[0].operation', 'Unsupported value: "Patch": supported values: "Apply", "Update"'],
    ['metadata.managedFields[1].fieldsType', 'Invalid value: "X": must be `FieldsV1`'],
    ['metadata.managedFields[1].manager', 'Too long: may not be more than 128 bytes'],
    ['metadata.managedFields[2].operation', 'Required value: must not be empty'],
  ]);
});

test('wrong JSON types are reported instead of crashing', () => {
  assert.deepEqual(validateObjectMeta('nope', cluster), [fieldError.typeInvalid('metadata', 'nope', 'must be of type object')]);
  const causes = validateObjectMeta({ name: 5, labels: { a: 1 }, generation: -1, finalizers: 'x', ownerReferences: [{ controller: 'yes' }] }, cluster);
  assert.deepEqual(causes.map((c) => c.field), [
    'metadata.name', 'metadata.generation', 'metadata.labels',
    'metadata.ownerReferences[0].controller', 'metadata.ownerReferences[0].apiVersion', 'metadata.ownerReferences[0].kind',
    'metadata.ownerReferences[0].name', 'metadata.ownerReferences[0].uid', 'metadata.finalizers',
  ]);
  assert.equal(causes[0].reason, 'FieldValueTypeInvalid');
  assert.equal(causes[1].message, 'Invalid value: -1: must be greater than or equal to 0');
});

test('update rules: immutable identity, no generation decrease, no new finalizers while deleting', () => {
  const old = { name: 'a', namespace: 'x', uid: 'u1', creationTimestamp: 't', generation: 3, deletionTimestamp: 'd', finalizers: ['a/b'] };
  assert.deepEqual(validateObjectMetaUpdate({ ...old }, old), []);
  const causes = validateObjectMetaUpdate({ ...old, uid: 'u2', generation: 2, finalizers: ['a/b', 'c/d', 'c/a'], name: undefined }, old);
  assert.deepEqual(causes.map((c) => [c.field, c.message]), [
    ['metadata.finalizers', 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"c/a", "c/d"}'],
    ['metadata.generation', 'Invalid value: 2: must not be decremented'],
    ['metadata.name', 'Invalid value: "": field is immutable'],
    ['metadata.uid', 'Invalid value: "u2": field is immutable'],
  ]);
});

test('values render as Go renders them', () => {
  assert.equal(formatValue('a"b\n'), '"a\\"b\\n"');
  assert.equal(formatValue(3), '3');
  assert.equal(formatValue(1.5), '1.5');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue(null), 'null');
  assert.equal(formatValue({ b: 1, a: ['<x>'] }), '{"a":["\\u003cx\\u003e"],"b":1}');
  assert.equal(goFloat(1e6), '1e+06');
  assert.equal(goFloat(123456.5), '123456.5');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goQuote('\x01é'), '"\\x01é"');
});
