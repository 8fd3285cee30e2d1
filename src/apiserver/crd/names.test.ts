import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.ts';
import { crdNamesStatus, crdResourceDefinitions } from './names.ts';
import { convertCustomResource } from './conversion.ts';

function crd(plural: string, kind: string, extra: { group?: string; shortNames?: string[]; status?: unknown; versions?: unknown[] } = {}): KubeObject {
  const group = extra.group ?? 'example.com';
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group, scope: 'Namespaced',
      names: { plural, kind, ...(extra.shortNames ? { shortNames: extra.shortNames } : {}) },
      versions: extra.versions ?? [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
    },
    status: extra.status ?? { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] },
  };
}

/** A definition whose names were accepted (what the controller would have stored). */
function accepted(c: KubeObject): KubeObject {
  const { acceptedNames, conditions } = crdNamesStatus(c, []);
  return { ...c, status: { acceptedNames, conditions, storedVersions: ['v1'] } };
}

test('a definition without conflicts gets its names and is Established', () => {
  const { acceptedNames, conditions } = crdNamesStatus(crd('widgets', 'Widget', { shortNames: ['wd'] }), []);
  assert.deepEqual(acceptedNames, { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] });
  assert.deepEqual(conditions, [
    { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
    { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
  ]);
});

test('names held by another definition of the same group are refused, with the reason', () => {
  const widgets = accepted(crd('widgets', 'Widget', { shortNames: ['wd'] }));
  const cases: [KubeObject, string, string][] = [
    [crd('widget', 'Gadget'), 'PluralConflict', '"widget" is already in use'],
    [crd('gadgets', 'Widget'), 'ListKindConflict', '"WidgetList" is already in use'],
    [crd('wd', 'Gadget'), 'PluralConflict', '"wd" is already in use'],
    [crd('gadgets', 'Gadget', { shortNames: ['wd', 'widgets'] }), 'ShortNamesConflict', '["wd" is already in use, "widgets" is already in use]'],
  ];
  for (const [candidate, reason, message] of cases) {
    const { conditions } = crdNamesStatus(candidate, [widgets]);
    assert.deepEqual(conditions[0], { type: 'NamesAccepted', status: 'False', reason, message }, reason);
    assert.deepEqual(conditions[1], { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
  }
  const kindClash = crdNamesStatus(crd('gadgets', 'Widget'), [widgets]);
  assert.equal(kindClash.acceptedNames.plural, 'gadgets', 'names without conflict are still accepted');
  assert.equal(kindClash.acceptedNames.kind, '', 'the conflicting kind is not');
  assert.equal(crdNamesStatus(crd('widgets', 'Widget', { group: 'other.com' }), [widgets]).conditions[0].status, 'True', 'other groups do not conflict');
});

test('an Established definition stays Established when a rename conflicts, and keeps its old names', () => {
  const widgets = accepted(crd('widgets', 'Widget'));
  const gadgets = accepted(crd('gadgets', 'Gadget'));
  const renamed: KubeObject = { ...gadgets, spec: { ...(gadgets.spec as object), names: { plural: 'gadgets', kind: 'Widget' } } };
  const { acceptedNames, conditions } = crdNamesStatus(renamed, [widgets]);
  assert.equal(conditions[0].reason, 'ListKindConflict', 'the last conflicting name decides the reason, as in Kubernetes');
  assert.deepEqual(conditions[1], { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
  assert.equal(acceptedNames.kind, 'Gadget');
  assert.equal(acceptedNames.listKind, 'GadgetList');
});

test('each served version becomes a resource definition under the accepted names', () => {
  const c = accepted(crd('widgets', 'Widget', {
    shortNames: ['wd'],
    versions: [
      {
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } } } },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 0 }],
      },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
    ],
  }));
  const [v1, v1beta1, ...rest] = crdResourceDefinitions(c);
  assert.equal(rest.length, 0, 'unserved versions are not published');
  assert.deepEqual(v1, {
    group: 'example.com', version: 'v1', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget',
    namespaced: true, shortNames: ['wd'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status', 'scale'],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
    schema: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string', description: 'The versioned schema of this object: group/version.' },
        kind: { type: 'string', description: 'The kind of this object, in CamelCase.' },
        metadata: { type: 'object', description: 'Standard object metadata.' },
        spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
      },
    },
    printerColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }],
    storageVersion: 'v1', hasStatus: true, openapiPrefix: 'com.example.v1',
  });
  assert.equal(v1beta1.storageVersion, 'v1');
  assert.equal(v1beta1.hasStatus, false);
  assert.deepEqual(v1beta1.subresources, []);
});

test('conversion with strategy None rewrites apiVersion only, for objects and lists', () => {
  const obj = { apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 } };
  const converted = convertCustomResource(obj, 'v1');
  assert.deepEqual(converted, { ...obj, apiVersion: 'example.com/v1' });
  assert.equal(obj.apiVersion, 'example.com/v1beta1', 'the input is not changed');
  const list = { apiVersion: 'example.com/v1beta1', kind: 'WidgetList', metadata: {}, items: [obj] };
  assert.deepEqual(convertCustomResource(list, 'v1').items, [{ ...obj, apiVersion: 'example.com/v1' }]);
});
