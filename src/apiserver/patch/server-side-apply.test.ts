import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.ts';
import { ApiError } from '../errors.ts';
import { updateManagedFields } from './managed-fields.ts';
import { LAST_APPLIED_ANNOTATION, serverSideApply, type ApplyOptions } from './server-side-apply.ts';
import { deploymentSchema, widgetSchema } from './test-fixtures.ts';

type Obj = Record<string, any>;

const T1 = '2024-05-01T10:00:00Z';
const T2 = '2024-05-01T11:00:00Z';
const T3 = '2024-05-01T12:00:00Z';

const opts = (manager: string, time: string, extra: Partial<ApplyOptions> = {}): ApplyOptions =>
  ({ manager, force: false, apiVersion: 'example.com/v1', time, ...extra });

function widget(spec: Obj, metadata: Obj = {}): KubeObject {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns', ...metadata }, spec };
}

/** What the registry does after apply: give a new object its identity. */
function stored(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  out.metadata.uid ??= 'uid-1';
  out.metadata.resourceVersion = String(Number(out.metadata.resourceVersion ?? 0) + 1);
  out.metadata.creationTimestamp ??= T1;
  return out;
}

function apply(live: KubeObject | undefined, config: KubeObject, o: ApplyOptions): KubeObject {
  return stored(serverSideApply(live, config, o, widgetSchema).object);
}

function conflictOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a conflict');
}

test('an apply that creates the object records one Apply entry with the applied fields', () => {
  const r = serverSideApply(undefined, widget({ size: 1, tags: ['a'], ports: [{ name: 'http', port: 80 }] }, { labels: { app: 'w' } }), opts('kubectl', T1), widgetSchema);
  assert.deepEqual(r.object.spec, { size: 1, tags: ['a'], ports: [{ name: 'http', port: 80 }] });
  assert.deepEqual(r.managedFields, [{
    manager: 'kubectl', operation: 'Apply', apiVersion: 'example.com/v1', time: T1, fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:port': {} } },
        'f:size': {},
        'f:tags': { 'v:"a"': {} },
      },
    },
  }]);
  assert.deepEqual(r.object.metadata.managedFields, r.managedFields);
});

test('applying the same configuration again changes nothing, not even the time', () => {
  const live = apply(undefined, widget({ size: 1 }), opts('kubectl', T1));
  const again = serverSideApply(live, widget({ size: 1 }), opts('kubectl', T2), widgetSchema);
  assert.equal(again.managedFields?.[0].time, T1);
  assert.deepEqual(again.object, live);
});

test('a field the applier applied before and now omits is removed', () => {
  const live = apply(undefined, widget({ size: 1, color: 'red', settings: { a: '1', b: '2' } }, { labels: { app: 'w', tier: 'x' } }), opts('kubectl', T1));
  const next = apply(live, widget({ size: 1, settings: { a: '1' } }, { labels: { app: 'w' } }), opts('kubectl', T2));
  assert.deepEqual(next.spec, { size: 1, settings: { a: '1' } });
  assert.deepEqual(next.metadata.labels, { app: 'w' });
  assert.deepEqual(next.metadata.managedFields![0].fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': { 'f:settings': { 'f:a': {} }, 'f:size': {} },
  });
  assert.equal(next.metadata.managedFields![0].time, T2);
});

test('a dropped field another manager also owns stays, owned by that manager alone', () => {
  let live = apply(undefined, widget({ size: 1, color: 'red' }), opts('alice', T1));
  live = apply(live, widget({ color: 'red' }), opts('bob', T2));
  live = apply(live, widget({ size: 1 }), opts('alice', T3));
  assert.deepEqual(live.spec, { size: 1, color: 'red' });
  const byManager = Object.fromEntries(live.metadata.managedFields!.map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager, { alice: { 'f:spec': { 'f:size': {} } }, bob: { 'f:spec': { 'f:color': {} } } });
});

test('changing a field another manager owns is a 409 naming each conflict as Kubernetes does', () => {
  let live = apply(undefined, widget({ size: 1, color: 'red' }), opts('alice', T1));
  live = stored({ ...live, metadata: { ...live.metadata, managedFields: updateManagedFields(live, { ...live, spec: { ...(live.spec as Obj), size: 2 } }, { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'example.com/v1', time: T2 }, widgetSchema) } });
  live.spec = { size: 2, color: 'red' };

  const one = conflictOf(() => serverSideApply(live, widget({ size: 3 }), opts('bob', T3), widgetSchema));
  assert.equal(one.code, 409);
  assert.equal(one.reason, 'Conflict');
  assert.equal(one.message, 'Apply failed with 1 conflict: conflict with "kubectl-edit" using example.com/v1: .spec.size');
  assert.deepEqual(one.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using example.com/v1', field: '.spec.size' }]);

  const two = conflictOf(() => serverSideApply(live, widget({ size: 3, color: 'blue' }), opts('bob', T3), widgetSchema));
  assert.equal(two.message, 'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.color\nconflicts with "kubectl-edit" using example.com/v1:\n- .spec.size');
  assert.deepEqual(two.details?.causes?.map((c) => [c.field, c.message]), [
    ['.spec.color', 'conflict with "alice"'],
    ['.spec.size', 'conflict with "kubectl-edit" using example.com/v1'],
  ]);
});

test('applying the value another manager already set is no conflict: both own the field', () => {
  const live = apply(undefined, widget({ size: 1 }), opts('alice', T1));
  const next = apply(live, widget({ size: 1 }), opts('bob', T2));
  // Bob changed nothing, so (as in Kubernetes) his entry has no time and sorts first.
  assert.deepEqual(next.metadata.managedFields!.map((e) => [e.manager, e.time, e.fieldsV1]), [
    ['bob', undefined, { 'f:spec': { 'f:size': {} } }],
    ['alice', T1, { 'f:spec': { 'f:size': {} } }],
  ]);
});

test('force takes ownership away from the other managers', () => {
  const live = apply(undefined, widget({ size: 1, color: 'red' }), opts('alice', T1));
  const next = apply(live, widget({ size: 5 }), opts('bob', T2, { force: true }));
  assert.equal((next.spec as Obj).size, 5);
  const byManager = Object.fromEntries(next.metadata.managedFields!.map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager, { alice: { 'f:spec': { 'f:color': {} } }, bob: { 'f:spec': { 'f:size': {} } } });
});

test('list maps merge by key and sets by value across managers; atomic lists are replaced whole', () => {
  let live = apply(undefined, widget({ ports: [{ name: 'http', port: 80 }], tags: ['a'], args: ['x'] }), opts('alice', T1));
  live = apply(live, widget({ ports: [{ name: 'metrics', port: 9090 }], tags: ['b'] }), opts('bob', T2));
  assert.deepEqual((live.spec as Obj).ports, [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }]);
  assert.deepEqual((live.spec as Obj).tags, ['a', 'b']);
  const conflict = conflictOf(() => serverSideApply(live, widget({ args: ['y'] }), opts('bob', T3), widgetSchema));
  assert.equal(conflict.details?.causes?.[0].field, '.spec.args');
  live = apply(live, widget({ ports: [{ name: 'metrics', port: 9090 }], tags: ['b'], args: ['y', 'z'] }), opts('bob', T3, { force: true }));
  assert.deepEqual((live.spec as Obj).args, ['y', 'z']);
  // Bob drops his port and tag: only his items go.
  live = apply(live, widget({ args: ['y', 'z'] }), opts('bob', T3));
  assert.deepEqual((live.spec as Obj).ports, [{ name: 'http', port: 80 }]);
  assert.deepEqual((live.spec as Obj).tags, ['a']);
});

test('fields inside an item another manager added are pruned with the item only when nobody else owns it', () => {
  let live = apply(undefined, widget({ ports: [{ name: 'http', port: 80 }] }), opts('alice', T1));
  live = apply(live, widget({ ports: [{ name: 'http', port: 80 }] }), opts('bob', T2));
  live = apply(live, widget({ size: 1 }), opts('alice', T3));
  assert.deepEqual((live.spec as Obj).ports, [{ name: 'http', port: 80 }], 'bob still owns the item');
  live = apply(live, widget({}), opts('bob', T3));
  assert.equal((live.spec as Obj).ports, undefined);
});

test('status is not the applier\'s on the main resource; on the status subresource only status is', () => {
  const main = serverSideApply(undefined, { ...widget({ size: 1 }), status: { phase: 'Ready' } }, opts('kubectl', T1), widgetSchema);
  assert.deepEqual(main.managedFields?.[0].fieldsV1, { 'f:spec': { 'f:size': {} } });

  const live = stored(main.object);
  const status = serverSideApply(live, { ...widget({ size: 9 }), status: { phase: 'Ready' } }, opts('controller', T2, { subresource: 'status' }), widgetSchema);
  const entry = status.managedFields?.find((e) => e.manager === 'controller');
  assert.deepEqual(entry, {
    manager: 'controller', operation: 'Apply', apiVersion: 'example.com/v1', time: T2, fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status',
  });
});

test('an object nobody tracked gets a before-first-apply manager, so its fields conflict', () => {
  const untracked = stored(widget({ size: 1, color: 'red' }));
  const err = conflictOf(() => serverSideApply(untracked, widget({ size: 2 }), opts('kubectl', T2), widgetSchema));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using example.com/v1: .spec.size');
  const same = serverSideApply(untracked, widget({ color: 'red' }), opts('kubectl', T2), widgetSchema);
  assert.deepEqual(same.managedFields?.map((e) => e.manager), ['kubectl', 'before-first-apply']);
});

test('an apply configuration with managedFields or another version is 400', () => {
  const withFields = widget({ size: 1 }, { managedFields: [] });
  assert.equal(conflictOf(() => serverSideApply(undefined, withFields, opts('kubectl', T1), widgetSchema)).code, 400);
  const otherVersion = { ...widget({ size: 1 }), apiVersion: 'example.com/v2' };
  const err = conflictOf(() => serverSideApply(undefined, otherVersion, opts('kubectl', T1), widgetSchema));
  assert.equal(err.code, 400);
  assert.match(err.message, /Incorrect version specified in apply patch/);
});

test('a list-map item without its key fields is 400', () => {
  const err = conflictOf(() => serverSideApply(undefined, widget({ ports: [{ port: 80 }] }), opts('kubectl', T1), widgetSchema));
  assert.equal(err.code, 400);
  assert.match(err.message, /\.spec\.ports: element 0: associative list with keys has an element that omits all key fields/);
});

test('an explicit null in the configuration removes the field and the applier owns it', () => {
  const live = apply(undefined, widget({ size: 1, color: 'red' }), opts('alice', T1));
  const next = apply(live, widget({ color: null }), opts('alice', T2));
  assert.equal(next.spec, undefined, 'size was dropped, color nulled: nothing is left of spec');
  assert.deepEqual(next.metadata.managedFields?.[0].fieldsV1, { 'f:spec': { 'f:color': {} } });
});

// ---- built-in kinds, kubectl --------------------------------------------------------------------

function deployment(replicas: number, image: string): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] } },
    },
  };
}

/** A deployment as `kubectl apply` (client-side) leaves it: annotation plus an Update entry. */
function clientSideApplied(config: Obj): KubeObject {
  const annotated = structuredClone(config);
  annotated.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(config)}\n` };
  annotated.spec.template.spec.containers[0].ports[0].protocol = 'TCP';
  const managedFields = updateManagedFields(undefined, annotated as KubeObject, { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: T1 }, deploymentSchema);
  return { ...annotated, metadata: { ...annotated.metadata, uid: 'u', resourceVersion: '1', managedFields } } as KubeObject;
}

const kubectl = (time: string, force = false): ApplyOptions => ({ manager: 'kubectl', force, apiVersion: 'apps/v1', time });

test('kubectl apply --server-side after client-side apply takes over the fields it applied before', () => {
  const live = clientSideApplied(deployment(2, 'nginx:1'));
  const r = serverSideApply(live, deployment(3, 'nginx:2') as KubeObject, kubectl(T2), deploymentSchema);
  const spec = r.object.spec as Obj;
  assert.equal(spec.replicas, 3);
  assert.equal(spec.template.spec.containers[0].image, 'nginx:2');
  assert.deepEqual(r.managedFields?.map((e) => [e.manager, e.operation]), [['kubectl', 'Apply'], ['kubectl-client-side-apply', 'Update']]);
  const csa = r.managedFields!.find((e) => e.manager === 'kubectl-client-side-apply')!.fieldsV1 as Obj;
  assert.equal(csa['f:spec']['f:replicas'], undefined, 'client-side apply lost .spec.replicas');
  // The annotation now records what was applied server-side.
  const annotation = r.object.metadata.annotations![LAST_APPLIED_ANNOTATION];
  assert.ok(annotation.endsWith('\n'));
  assert.equal(JSON.parse(annotation).spec.replicas, 3);
});

test('fields changed since the last client-side apply still conflict, with their real owner', () => {
  const live = clientSideApplied(deployment(2, 'nginx:1'));
  const scaled = { ...live, spec: { ...(live.spec as Obj), replicas: 5 } } as KubeObject;
  scaled.metadata.managedFields = updateManagedFields(live, scaled, { manager: 'kubectl-scale', operation: 'Update', apiVersion: 'apps/v1', time: T2 }, deploymentSchema);
  const err = conflictOf(() => serverSideApply(scaled, deployment(3, 'nginx:1') as KubeObject, kubectl(T3), deploymentSchema));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
});

test('another manager name gets the client-side apply conflicts reported', () => {
  const live = clientSideApplied(deployment(2, 'nginx:1'));
  const err = conflictOf(() => serverSideApply(live, deployment(3, 'nginx:1') as KubeObject, { ...kubectl(T2), manager: 'helm' }, deploymentSchema));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
});

test('containers merge by name and ports by containerPort+protocol (the protocol default counts)', () => {
  const live = clientSideApplied(deployment(2, 'nginx:1'));
  const sidecar = deployment(2, 'nginx:1');
  sidecar.spec.template.spec.containers = [{ name: 'log', image: 'fluentbit' }];
  delete sidecar.spec.replicas;
  const r = serverSideApply(live, sidecar as KubeObject, { ...kubectl(T2), manager: 'mesh' }, deploymentSchema);
  const containers = (r.object.spec as Obj).template.spec.containers;
  assert.deepEqual(containers.map((c: Obj) => c.name), ['nginx', 'log']);
  const mesh = r.managedFields!.find((e) => e.manager === 'mesh')!.fieldsV1 as Obj;
  assert.deepEqual(Object.keys(mesh['f:spec']['f:template']['f:spec']['f:containers']), ['k:{"name":"log"}']);
  const csa = r.managedFields!.find((e) => e.manager === 'kubectl-client-side-apply')!.fieldsV1 as Obj;
  assert.ok(csa['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:ports']['k:{"containerPort":80,"protocol":"TCP"}']);
});
