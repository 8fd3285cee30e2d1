import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDefinitions, Schema } from './schema.ts';
import { KUBERNETES_SCHEMA, messageForKind } from './kinds.ts';

test('the notation gives each field its number, JSON name, type, shape and presence', () => {
  const [def] = parseDefinitions(`
    package demo
    message Thing {
      1 name     string   always   // no omitempty
      2 count    *int32
      3 tags     []string
      4 labels   map<string>
      5 inner    Inner    inline
      6 when     meta.Time omitzero
    }
  `);
  assert.equal(def.name, 'demo.Thing');
  assert.deepEqual(def.fields.map((f) => [f.number, f.name, f.type, f.shape, f.presence]), [
    [1, 'name', 'string', 'single', 'always'],
    [2, 'count', 'int32', 'single', 'pointer'],
    [3, 'tags', 'string', 'list', 'omitempty'],
    [4, 'labels', 'string', 'map', 'omitempty'],
    [5, 'inner', 'demo.Inner', 'single', 'inline'],
    [6, 'when', 'meta.Time', 'single', 'omitzero'],
  ]);
  assert.equal(def.byNumber.get(4)?.name, 'labels');
});

test('mistakes in definitions are reported with the line', () => {
  assert.throws(() => parseDefinitions('message A {\n}'), /line 1 .*needs a `package` line/);
  assert.throws(() => parseDefinitions('package p\nmessage A {\n  1 a string\n  1 b string\n}'), /line 4 .*field number 1 is used twice in p.A/);
  assert.throws(() => parseDefinitions('package p\nmessage A {\n  1 a string sometimes\n}'), /unknown modifier sometimes/);
  assert.throws(() => parseDefinitions('package p\nmessage A {\n  1 a *string always\n}'), /pointer field cannot also be always/);
  assert.throws(() => parseDefinitions('package p\nmessage A {\n  1 a []B inline\n}'), /a list cannot be inline/);
  assert.throws(() => parseDefinitions('package p\nmessage A json=odd {\n}'), /unknown JSON form odd/);
  assert.throws(() => parseDefinitions('package p\nmessage A {\n  1 a string'), /message p.A is not closed/);
});

test('a schema checks that every type exists and every modifier fits its type', () => {
  assert.throws(() => new Schema(['package p\nmessage A {\n  1 b B\n}']), /p.A.b: unknown type p.B/);
  assert.throws(() => new Schema(['package p\nmessage A {\n  1 b string inline\n}']), /inline needs a message type/);
  assert.throws(() => new Schema(['package p\nmessage A {\n  1 b B omitzero\n}\nmessage B {\n}']), /omitzero is only meaningful for times/);
  assert.throws(() => new Schema(['package p\nmessage A json=unwrap {\n  1 a string\n  2 b string\n}']), /json=unwrap needs exactly one field/);
  assert.throws(() => new Schema(['package p\nmessage A {\n}', 'package p\nmessage A {\n}']), /p.A is defined twice/);
});

test('the Kubernetes definitions load and every kind they serve has a message', () => {
  for (const [apiVersion, kind] of [['v1', 'ConfigMap'], ['v1', 'Pod'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ['coordination.k8s.io/v1', 'Lease'], ['events.k8s.io/v1', 'Event'], ['authorization.k8s.io/v1', 'SelfSubjectRulesReview'],
    ['authentication.k8s.io/v1', 'TokenRequest'], ['v1', 'DeleteOptions'], ['rbac.authorization.k8s.io/v1', 'DeleteOptions']]) {
    const name = messageForKind(apiVersion, kind);
    assert.ok(name && KUBERNETES_SCHEMA.has(name), `${apiVersion} ${kind}`);
  }
  assert.equal(messageForKind('apps/v1', 'Deployment'), undefined);
  assert.equal(messageForKind('v1', 'toString'), undefined);
  assert.equal(messageForKind('v1', 'Lease'), undefined);
});

test('Kubernetes field numbers that clients depend on', () => {
  const numbers = (name: string) => Object.fromEntries(KUBERNETES_SCHEMA.message(name).fields.map((f) => [f.name, f.number]));
  assert.deepEqual(numbers('meta.ObjectMeta'), {
    name: 1, generateName: 2, namespace: 3, selfLink: 4, uid: 5, resourceVersion: 6, generation: 7, creationTimestamp: 8,
    deletionTimestamp: 9, deletionGracePeriodSeconds: 10, labels: 11, annotations: 12, ownerReferences: 13, finalizers: 14, managedFields: 17,
  });
  assert.deepEqual(numbers('core.ConfigMap'), { metadata: 1, data: 2, binaryData: 3, immutable: 4 });
  assert.deepEqual(numbers('core.Secret'), { metadata: 1, data: 2, type: 3, stringData: 4, immutable: 5 });
  assert.deepEqual(numbers('rbac.PolicyRule'), { verbs: 1, apiGroups: 2, resources: 3, resourceNames: 4, nonResourceURLs: 5 });
  assert.equal(numbers('core.PodSpec').ephemeralContainers, 34);
  assert.equal(numbers('core.Container').startupProbe, 22);
});
