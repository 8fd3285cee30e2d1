// The API server driven by @kubernetes/client-node, the official JavaScript client: an informer's
// add/update/delete, Watch, and KubernetesObjectApi on a built-in kind and a custom kind with every
// patch type. Each check asserts the values that come back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { eventually, within } from '../support/eventually.ts';

const NAMESPACE = 'js-client';
const GROUP = 'jschecks.example.com';

type ConfigMap = k8s.V1ConfigMap & { metadata: k8s.V1ObjectMeta };
type Gadget = k8s.KubernetesObject & { spec?: { size?: number; tags?: string[] } };

/** The Status a client call failed with. */
async function statusOf(promise: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof k8s.ApiException, String(err));
    return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body };
  }
  assert.fail('the request succeeded');
}

describe('@kubernetes/client-node', () => {
  let server: RunningApiServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let objects: k8s.KubernetesObjectApi;
  const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): ConfigMap =>
    ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE, labels }, data });

  before(async () => {
    server = await startApiServer({ listen: '127.0.20.1:0' });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('an informer sees add, update and delete, with the objects\' values', async () => {
    await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: cm('before', { v: '0' }, { informer: 'yes' }) });
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NAMESPACE}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: NAMESPACE, labelSelector: 'informer=yes' }), 'informer=yes');
    informer.on('add', (obj) => seen.push(`add ${obj.metadata?.name} ${obj.data?.v}`));
    informer.on('update', (obj) => seen.push(`update ${obj.metadata?.name} ${obj.data?.v}`));
    informer.on('delete', (obj) => seen.push(`delete ${obj.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await eventually('the informer lists', async () => (seen.includes('add before 0') ? true : undefined), 10_000, 50);
      await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: cm('watched', { v: '1' }, { informer: 'yes' }) });
      await core.patchNamespacedConfigMap({ namespace: NAMESPACE, name: 'watched', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace: NAMESPACE, name: 'watched' });
      await eventually('the informer sees the deletion', async () => (seen.includes('delete watched') ? true : undefined), 10_000, 50);
      assert.deepEqual(seen, ['add before 0', 'add watched 1', 'update watched 2', 'delete watched']);
      assert.deepEqual(informer.list(NAMESPACE).map((o) => o.metadata?.name), ['before']);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('Watch streams ADDED, MODIFIED and DELETED, and resumes from a resourceVersion', async () => {
    const watch = new k8s.Watch(kc);
    const events: string[] = [];
    let addedVersion = '';
    const ended = new Promise<unknown>((resolve) => {
      void watch.watch(`/api/v1/namespaces/${NAMESPACE}/configmaps`, { labelSelector: 'watch=yes' }, (type, obj: ConfigMap) => {
        events.push(`${type} ${obj.metadata.name} ${obj.data?.v}`);
        if (type === 'ADDED') addedVersion = obj.metadata.resourceVersion ?? '';
      }, resolve).then((controller) => watching.push(controller));
    });
    const watching: AbortController[] = [];
    await eventually('the watch is open', async () => (watching.length > 0 ? true : undefined), 5000, 20);
    await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: cm('w', { v: '1' }, { watch: 'yes' }) });
    await core.replaceNamespacedConfigMap({ namespace: NAMESPACE, name: 'w', body: cm('w', { v: '2' }, { watch: 'yes' }) });
    await core.deleteNamespacedConfigMap({ namespace: NAMESPACE, name: 'w' });
    await eventually('the deletion arrives', async () => (events.some((e) => e.startsWith('DELETED')) ? true : undefined), 10_000, 20);
    watching[0].abort();
    await within('the aborted watch ending', ended, 5000);
    assert.deepEqual(events, ['ADDED w 1', 'MODIFIED w 2', 'DELETED w 2']);

    const resumed: string[] = [];
    const controller = await watch.watch(`/api/v1/namespaces/${NAMESPACE}/configmaps`, { labelSelector: 'watch=yes', resourceVersion: addedVersion },
      (type, obj: ConfigMap) => resumed.push(`${type} ${obj.data?.v}`), () => undefined);
    await eventually('the resumed watch replays what followed', async () => (resumed.length >= 2 ? true : undefined), 10_000, 20);
    controller.abort();
    assert.deepEqual(resumed, ['MODIFIED 2', 'DELETED 2']);
  });

  test('KubernetesObjectApi on a built-in kind: create, read, list, every patch type, replace, delete', async () => {
    const created = await objects.create(cm('obj', { a: '1' }));
    assert.deepEqual([created.metadata.name, (created as ConfigMap).data], ['obj', { a: '1' }]);
    const read = await objects.read<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'obj', namespace: NAMESPACE } });
    assert.equal(read.metadata.uid, created.metadata.uid);
    const header = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'obj', namespace: NAMESPACE } };
    const merged = await objects.patch<ConfigMap>({ ...header, data: { b: '2' } } as ConfigMap, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
    assert.deepEqual(merged.data, { a: '1', b: '2' });
    const strategic = await objects.patch<ConfigMap>({ ...header, metadata: { ...header.metadata, labels: { tier: 'x' } } } as ConfigMap,
      undefined, undefined, undefined, undefined, k8s.PatchStrategy.StrategicMergePatch);
    assert.deepEqual([strategic.metadata.labels, strategic.data], [{ tier: 'x' }, { a: '1', b: '2' }]);
    // A JSON patch is a list of operations, not an object KubernetesObjectApi could route: CoreV1Api sends it.
    const json = await core.patchNamespacedConfigMap({ namespace: NAMESPACE, name: 'obj', body: [{ op: 'replace', path: '/data/a', value: 'one' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
    assert.equal(json.data?.a, 'one');
    const applied = await objects.patch<ConfigMap>({ ...header, data: { c: '3' } } as ConfigMap, undefined, undefined, 'js-tests', true, k8s.PatchStrategy.ServerSideApply);
    assert.deepEqual(applied.data, { a: 'one', b: '2', c: '3' });
    assert.ok(applied.metadata.managedFields?.some((m) => m.manager === 'js-tests' && m.operation === 'Apply'));
    const replaced = await objects.replace<ConfigMap>({ ...applied, data: { only: 'this' } });
    assert.deepEqual(replaced.data, { only: 'this' });
    const listed = await objects.list<ConfigMap>('v1', 'ConfigMap', NAMESPACE, undefined, undefined, undefined, undefined, 'tier=x');
    assert.deepEqual(listed.items.map((i) => i.metadata.name), ['obj']);
    const deleted = await objects.delete(header);
    assert.equal(deleted.status, 'Success');
    const gone = await statusOf(objects.read(header));
    assert.deepEqual([gone.code, gone.body.reason, gone.body.details], [404, 'NotFound', { name: 'obj', kind: 'configmaps' }]);
  });

  test('KubernetesObjectApi on a custom kind, and a Service, with every patch type that applies', async () => {
    await objects.create({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${GROUP}` },
      spec: {
        group: GROUP, scope: 'Namespaced', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: {
          spec: { type: 'object', properties: { size: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } },
        } } } }],
      },
    } as k8s.KubernetesObject);
    await eventually('the CRD is served', async () => (await objects.list(`${GROUP}/v1`, 'Gadget', NAMESPACE)).items, 20_000, 100);
    const header = { apiVersion: `${GROUP}/v1`, kind: 'Gadget', metadata: { name: 'g', namespace: NAMESPACE } };
    const created = await objects.create<Gadget>({ ...header, spec: { size: 1 } });
    assert.deepEqual(created.spec, { size: 1 });
    const merged = await objects.patch<Gadget>({ ...header, spec: { tags: ['a'] } }, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
    assert.deepEqual(merged.spec, { size: 1, tags: ['a'] });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const json = await custom.patchNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: NAMESPACE, plural: 'gadgets', name: 'g', body: [{ op: 'add', path: '/spec/tags/-', value: 'b' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch)) as Gadget;
    assert.deepEqual(json.spec?.tags, ['a', 'b']);
    const applied = await objects.patch<Gadget>({ ...header, spec: { size: 5 } }, undefined, undefined, 'js-tests', true, k8s.PatchStrategy.ServerSideApply);
    assert.equal(applied.spec?.size, 5);
    // Custom resources take no strategic merge patch, in Kubernetes as here.
    const strategic = await statusOf(objects.patch<Gadget>({ ...header, spec: { size: 6 } }, undefined, undefined, undefined, undefined, k8s.PatchStrategy.StrategicMergePatch));
    assert.deepEqual([strategic.code, strategic.body.reason], [415, 'UnsupportedMediaType']);
    await objects.delete(header);

    const svc = await objects.create<k8s.V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NAMESPACE }, spec: { ports: [{ port: 80, name: 'http' }], selector: { app: 'web' } } });
    assert.match(svc.spec?.clusterIP ?? '', /^10\./);
    assert.equal(svc.spec?.ports?.[0].targetPort, 80);
    const patched = await objects.patch<k8s.V1Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NAMESPACE }, spec: { ports: [{ port: 443, name: 'https' }] } },
      undefined, undefined, undefined, undefined, k8s.PatchStrategy.StrategicMergePatch);
    assert.deepEqual(patched.spec?.ports?.map((p) => p.port), [443, 80], 'ports merge on their port number');
  });
});
