// The API server driven by the real kubectl, oldest and newest installed, with default flags.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';

const CRD = (group: string) => `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, shortNames: [wg] }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources: { status: {} }
      additionalPrinterColumns:
        - { name: Size, type: integer, jsonPath: .spec.size }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer, minimum: 1, description: How big the widget is. }
                color: { type: string, default: blue, enum: [blue, red] }
            status:
              type: object
              properties:
                ready: { type: boolean }
`;

for (const version of KUBECTL_VERSIONS) {
  describe(`kubectl ${version}`, () => {
    let server: RunningApiServer;
    let k: Kubectl;

    before(async () => {
      server = await startApiServer();
      k = new Kubectl(version, server.kubeconfig);
    });
    after(async () => {
      assert.equal(await server.stop(), 0, 'SIGTERM ends the server with exit code 0');
    });

    test('api-resources lists the built-in kinds with their short names', async () => {
      const out = await k.ok(['api-resources']);
      for (const line of [/^configmaps\s+cm\s+v1\s+true\s+ConfigMap/m, /^pods\s+po\s+v1\s+true\s+Pod/m, /^nodes\s+no\s+v1\s+false\s+Node/m,
        /^leases\s+coordination.k8s.io\/v1\s+true\s+Lease/m, /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false/m]) {
        assert.match(out, line);
      }
      assert.match(await k.ok(['get', 'namespaces']), /kube-node-lease/);
    });

    test('create, get -o yaml, apply twice with a change, delete', async () => {
      await k.ok(['create', 'configmap', 'one', '--from-literal=a=1']);
      const created = parseYaml(await k.ok(['get', 'cm', 'one', '-o', 'yaml']));
      assert.equal(created.data.a, '1');
      assert.ok(created.metadata.uid && created.metadata.resourceVersion && created.metadata.creationTimestamp);
      const manifest = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels: {app: demo}\ndata:\n  key: "${value}"\n`;
      assert.match(await k.ok(['apply', '-f', '-'], { input: manifest('first') }), /configmap\/applied created/);
      assert.match(await k.ok(['apply', '-f', '-'], { input: manifest('second') }), /configmap\/applied configured/);
      assert.match(await k.ok(['apply', '-f', '-'], { input: manifest('second') }), /configmap\/applied unchanged/);
      const applied = parseYaml(await k.ok(['get', 'cm', 'applied', '-o', 'yaml']));
      assert.equal(applied.data.key, 'second');
      assert.match(await k.ok(['get', 'cm', '-l', 'app=demo']), /applied/);
      assert.match(await k.ok(['delete', 'cm', 'one']), /configmap "one" deleted/);
      const gone = await k.run(['get', 'cm', 'one']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /configmaps "one" not found/);
    });

    test('patch with every patch type, including server-side apply', async () => {
      await k.ok(['create', 'configmap', 'patched', '--from-literal=a=1']);
      await k.ok(['patch', 'cm', 'patched', '--type', 'merge', '-p', '{"data":{"b":"2"}}']);
      await k.ok(['patch', 'cm', 'patched', '--type', 'json', '-p', '[{"op":"add","path":"/data/c","value":"3"}]']);
      await k.ok(['patch', 'cm', 'patched', '--type', 'strategic', '-p', '{"metadata":{"labels":{"tier":"x"}}}']);
      const ssa = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: patched\ndata:\n  d: "4"\n';
      await k.ok(['apply', '--server-side', '--field-manager', 'tester', '-f', '-'], { input: ssa });
      const obj = parseYaml(await k.ok(['get', 'cm', 'patched', '-o', 'yaml', '--show-managed-fields']));
      assert.deepEqual(obj.data, { a: '1', b: '2', c: '3', d: '4' });
      assert.equal(obj.metadata.labels.tier, 'x');
      assert.ok(obj.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'tester' && m.operation === 'Apply'));
      const conflict = await k.run(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], { input: ssa.replace('"4"', '"5"') });
      assert.notEqual(conflict.code, 0);
      assert.match(conflict.stderr, /conflict/i);
      await k.ok(['apply', '--server-side', '--force-conflicts', '--field-manager', 'other', '-f', '-'], { input: ssa.replace('"4"', '"5"') });
      assert.equal(parseYaml(await k.ok(['get', 'cm', 'patched', '-o', 'yaml'])).data.d, '5');
      const bad = await k.run(['patch', 'cm', 'patched', '--type', 'json', '-p', '[{"op":"test","path":"/data/a","value":"nope"}]']);
      assert.notEqual(bad.code, 0);
    });

    test('edit through EDITOR', async () => {
      await k.ok(['create', 'configmap', 'edited', '--from-literal=color=red']);
      const dir = tempDir('editor');
      const editor = join(dir, 'editor.sh');
      writeFileSync(editor, '#!/bin/sh\nsed -i "s/color: red/color: green/" "$1"\n');
      chmodSync(editor, 0o755);
      await k.ok(['edit', 'cm', 'edited'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
      assert.equal(parseYaml(await k.ok(['get', 'cm', 'edited', '-o', 'yaml'])).data.color, 'green');
    });

    test('get -w streams changes', async () => {
      await k.ok(['create', 'configmap', 'watched']);
      const watch = k.start(['get', 'cm', '-w', '--output-watch-events']);
      await watch.waitFor(/watched/);
      await k.ok(['label', 'cm', 'watched', 'seen=yes']);
      await k.ok(['delete', 'cm', 'watched']);
      await watch.waitFor(/DELETED\s+watched/);
      await watch.stop();
      assert.match(watch.output(), /MODIFIED\s+watched/);
    });

    test('explain uses the published OpenAPI schema', async () => {
      assert.match(await k.ok(['explain', 'pods.spec.containers']), /image/);
      assert.match(await k.ok(['explain', 'configmap.data']), /FIELD:\s+data/);
    });

    test('CRD lifecycle: establish, create, validate, default, status, printer columns, wait, delete', async () => {
      const group = `v${version.replace('.', '')}.example.com`;
      await k.ok(['apply', '-f', '-'], { input: CRD(group) });
      await k.ok(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=30s']);
      const widget = `apiVersion: ${group}/v1alpha1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n`;
      await k.ok(['apply', '-f', '-'], { input: widget });
      const obj = parseYaml(await k.ok(['get', `widgets.${group}`, 'w1', '-o', 'yaml']));
      assert.equal(obj.spec.color, 'blue', 'defaulting from the schema');
      assert.match(await k.ok(['get', `widgets.${group}`]), /NAME\s+SIZE\s*\n[\s\S]*w1\s+3/);
      const invalid = await k.run(['apply', '-f', '-'], { input: widget.replace('size: 3', 'size: 0').replace('w1', 'w2') });
      assert.notEqual(invalid.code, 0);
      assert.match(invalid.stderr, /spec\.size/);
      const unknown = await k.run(['apply', '-f', '-'], { input: `${widget.replace('w1', 'w3')}  shape: round\n` });
      assert.notEqual(unknown.code, 0, 'default fieldValidation is Strict in kubectl');
      assert.match(unknown.stderr, /unknown field "spec.shape"/);
      await k.ok(['patch', `widgets.${group}`, 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"ready":true}}'].filter((a) => version !== '1.27' || !a.startsWith('--subresource')));
      await k.ok(['delete', 'crd', `widgets.${group}`]);
      const gone = await k.run(['get', `widgets.${group}`]);
      assert.notEqual(gone.code, 0);
    });

    test('a finalizer holds deletion until removed', async () => {
      await k.ok(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\n' });
      await k.ok(['delete', 'cm', 'held', '--wait=false']);
      const pending = parseYaml(await k.ok(['get', 'cm', 'held', '-o', 'yaml']));
      assert.ok(pending.metadata.deletionTimestamp);
      await k.ok(['patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
      await k.ok(['wait', '--for=delete', 'cm/held', '--timeout=20s']);
    });

    test('garbage collection removes dependents of a deleted owner', async () => {
      const owner = parseYaml(await k.ok(['create', 'configmap', 'owner', '-o', 'yaml']));
      for (const name of ['dep-a', 'dep-b']) {
        await k.ok(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${owner.metadata.uid}}\n` });
      }
      await k.ok(['delete', 'cm', 'owner']);
      await k.ok(['wait', '--for=delete', 'cm/dep-a', 'cm/dep-b', '--timeout=20s']);
      const orphanOwner = parseYaml(await k.ok(['create', 'configmap', 'owner2', '-o', 'yaml']));
      await k.ok(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dep-c\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner2, uid: ${orphanOwner.metadata.uid}}\n` });
      await k.ok(['delete', 'cm', 'owner2', '--cascade=orphan']);
      await k.ok(['wait', '--for=delete', 'cm/owner2', '--timeout=20s']);
      const orphan = parseYaml(await k.ok(['get', 'cm', 'dep-c', '-o', 'yaml']));
      assert.equal(orphan.metadata.ownerReferences, undefined);
    });

    test('deleting a namespace empties it first', async () => {
      await k.ok(['create', 'namespace', 'doomed']);
      await k.ok(['create', 'configmap', 'inside', '-n', 'doomed']);
      await k.ok(['delete', 'namespace', 'doomed', '--timeout=30s']);
      const gone = await k.run(['get', 'namespace', 'doomed']);
      assert.notEqual(gone.code, 0);
      const forbidden = await k.run(['delete', 'namespace', 'default']);
      assert.notEqual(forbidden.code, 0);
      assert.match(forbidden.stderr, /may not be deleted/);
    });
  });
}

describe('persistence', () => {
  test('objects survive a restart and a kill -9', async () => {
    const dir = tempDir('persist');
    let server = await startApiServer({ dataDir: dir });
    let k = new Kubectl('1.33', server.kubeconfig);
    await k.ok(['create', 'configmap', 'kept', '--from-literal=x=1']);
    assert.equal(await server.stop(), 0);
    server = await startApiServer({ dataDir: dir });
    k = new Kubectl('1.33', server.kubeconfig);
    assert.match(await k.ok(['get', 'cm', 'kept', '-o', 'jsonpath={.data.x}']), /^1$/);
    for (let i = 0; i < 20; i++) await k.ok(['create', 'configmap', `acked-${i}`]);
    await server.kill();
    server = await startApiServer({ dataDir: dir });
    k = new Kubectl('1.33', server.kubeconfig);
    const names = await k.ok(['get', 'cm', '-o', 'name']);
    for (let i = 0; i < 20; i++) assert.match(names, new RegExp(`configmap/acked-${i}$`, 'm'));
    assert.equal(await server.stop(), 0);
  });
});
