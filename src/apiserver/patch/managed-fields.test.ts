import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta.ts';
import { decodeManagedFields, encodeManagedFields, managerId, updateManagedFields, type UpdateOptions } from './managed-fields.ts';
import { widgetSchema } from './test-fixtures.ts';

type Obj = Record<string, any>;

const T1 = '2024-05-01T10:00:00Z';
const T2 = '2024-05-01T11:00:00Z';
const T3 = '2024-05-01T12:00:00Z';

const update = (manager: string, time: string, extra: Partial<UpdateOptions> = {}): UpdateOptions =>
  ({ manager, operation: 'Update', apiVersion: 'example.com/v1', time, ...extra });

function widget(spec: Obj, metadata: Obj = {}, status?: Obj): KubeObject {
  const obj: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns', ...metadata }, spec };
  if (status) obj.status = status;
  return obj;
}

/** Runs one write the way the registry does: new managedFields onto the stored object. */
function write(live: KubeObject | undefined, next: KubeObject, o: UpdateOptions): KubeObject {
  const out = structuredClone(next);
  out.metadata.uid = live?.metadata.uid ?? 'uid-1';
  out.metadata.resourceVersion = String(Number(live?.metadata.resourceVersion ?? 0) + 1);
  out.metadata.creationTimestamp = live?.metadata.creationTimestamp ?? T1;
  const managedFields = updateManagedFields(live, out, o, widgetSchema);
  if (managedFields) out.metadata.managedFields = managedFields;
  else delete out.metadata.managedFields;
  return out;
}

const fieldsBy = (obj: KubeObject) => Object.fromEntries((obj.metadata.managedFields ?? []).map((e) => [e.manager, e.fieldsV1]));

test('a create records every field set, with "." for maps and items that are themselves new', () => {
  const created = write(undefined, widget({ size: 1, settings: { a: '1' }, tags: ['x'], ports: [{ name: 'http', port: 80 }], extra: {} }, { labels: { app: 'w' } }, { phase: 'New' }), update('kubectl-create', T1));
  assert.deepEqual(created.metadata.managedFields, [{
    manager: 'kubectl-create', operation: 'Update', apiVersion: 'example.com/v1', time: T1, fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        '.': {},
        'f:extra': {},
        'f:ports': { '.': {}, 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:port': {} } },
        'f:settings': { '.': {}, 'f:a': {} },
        'f:size': {},
        'f:tags': { '.': {}, 'v:"x"': {} },
      },
    },
  }], 'status (reset by the registry) and server-owned metadata are nobody\'s');
});

test('an update gives the writer what it changed and takes it from the previous owner', () => {
  const created = write(undefined, widget({ size: 1, color: 'red' }), update('kubectl-create', T1));
  const edited = write(created, { ...created, spec: { size: 2, color: 'red' } }, update('kubectl-edit', T2));
  assert.deepEqual(fieldsBy(edited), {
    'kubectl-create': { 'f:spec': { '.': {}, 'f:color': {} } },
    'kubectl-edit': { 'f:spec': { 'f:size': {} } },
  });
  // Removing a field takes it from its owner without giving the remover anything.
  const removed = write(edited, { ...edited, spec: { size: 2 } }, update('kubectl-edit', T3));
  assert.deepEqual(fieldsBy(removed), {
    'kubectl-create': { 'f:spec': {} }, // the spec node itself, nothing below it
    'kubectl-edit': { 'f:spec': { 'f:size': {} } },
  });
  assert.equal(removed.metadata.managedFields!.find((e) => e.manager === 'kubectl-edit')!.time, T2, 'a write that took nothing new keeps the time');
});

test('entries are one per manager, operation, version and subresource, sorted as Kubernetes sorts them', () => {
  let obj = write(undefined, widget({ size: 1 }), update('ctl', T1));
  obj = write(obj, { ...obj, spec: { size: 2 } }, update('ctl', T2, { apiVersion: 'example.com/v2' }));
  obj = write(obj, { ...obj, status: { phase: 'Ready' } }, update('ctl', T3, { subresource: 'status' }));
  assert.deepEqual(obj.metadata.managedFields!.map((e) => [e.manager, e.apiVersion, e.subresource, e.time]), [
    ['ctl', 'example.com/v1', undefined, T1],
    ['ctl', 'example.com/v2', undefined, T2],
    ['ctl', 'example.com/v1', 'status', T3],
  ]);
  assert.deepEqual(obj.metadata.managedFields![2].fieldsV1, { 'f:status': { '.': {}, 'f:phase': {} } });
});

test('a write of the same manager again merges into its entry and refreshes the time', () => {
  let obj = write(undefined, widget({ size: 1 }), update('op', T1));
  obj = write(obj, { ...obj, spec: { size: 1, color: 'blue' } }, update('op', T2));
  assert.equal(obj.metadata.managedFields!.length, 1);
  assert.equal(obj.metadata.managedFields![0].time, T2);
  assert.deepEqual(obj.metadata.managedFields![0].fieldsV1, { 'f:spec': { '.': {}, 'f:color': {}, 'f:size': {} } });
});

test('managedFields sent by the client are taken as given; [] clears them and the object stays untracked', () => {
  const created = write(undefined, widget({ size: 1 }), update('a', T1));
  const handEdited: ManagedFieldsEntry[] = [{ manager: 'someone', operation: 'Update', apiVersion: 'example.com/v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:size': {} } } }];
  const replaced = write(created, { ...created, metadata: { ...created.metadata, managedFields: handEdited } }, update('b', T2));
  assert.deepEqual(replaced.metadata.managedFields, handEdited);

  const cleared = write(created, { ...created, metadata: { ...created.metadata, managedFields: [] } }, update('b', T2));
  assert.equal(cleared.metadata.managedFields, undefined);
  const later = write(cleared, { ...cleared, spec: { size: 5 } }, update('c', T3));
  assert.equal(later.metadata.managedFields, undefined);
});

test('a status subresource write ignores managedFields in the request', () => {
  const created = write(undefined, widget({ size: 1 }), update('a', T1));
  const bogus = { ...created, status: { phase: 'Up' }, metadata: { ...created.metadata, managedFields: [] } };
  const out = write(created, bogus, update('ctrl', T2, { subresource: 'status' }));
  assert.deepEqual(out.metadata.managedFields!.map((e) => e.manager), ['a', 'ctrl']);
});

test('more than ten update managers: the oldest of a version fold into "ancient-changes"', () => {
  let obj = write(undefined, widget({ settings: {} }), update('m0', '2024-01-01T00:00:00Z'));
  for (let i = 1; i <= 11; i++) {
    const time = `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`;
    obj = write(obj, { ...obj, spec: { settings: { ...(obj.spec as Obj).settings, [`k${i}`]: 'v' } } }, update(`m${i}`, time));
  }
  const managers = obj.metadata.managedFields!.map((e) => e.manager);
  assert.equal(managers.length, 10);
  assert.ok(managers.includes('ancient-changes'));
  assert.ok(!managers.includes('m0') && !managers.includes('m1') && !managers.includes('m2'));
  const ancient = obj.metadata.managedFields!.find((e) => e.manager === 'ancient-changes')!;
  assert.deepEqual(ancient.fieldsV1, { 'f:spec': { '.': {}, 'f:settings': { '.': {}, 'f:k1': {}, 'f:k2': {} } } });
});

test('decode rejects entries Kubernetes rejects and identities follow Kubernetes', () => {
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Patch' as 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }]), /operation must be/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', fieldsType: 'FieldsV1' }]), /apiVersion must not be empty/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', apiVersion: 'v1' }]), /missing fieldsType/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'x:y': {} } }]), /unknown path element/);
  assert.equal(managerId({ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1' }), '{"manager":"kubectl","operation":"Apply"}');
  assert.equal(managerId({ manager: 'k', operation: 'Update', apiVersion: 'v1', subresource: 'status' }), '{"manager":"k","operation":"Update","apiVersion":"v1","subresource":"status"}');
  const entries: ManagedFieldsEntry[] = [
    { manager: 'u', operation: 'Update', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:a': {} } },
    { manager: 'a', operation: 'Apply', apiVersion: 'v1', time: T2, fieldsType: 'FieldsV1', fieldsV1: { 'f:b': {} } },
  ];
  assert.deepEqual(encodeManagedFields(decodeManagedFields(entries))!.map((e) => e.manager), ['a', 'u']);
});
