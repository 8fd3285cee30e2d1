// The client's credentials and the runtime's helpers against a real granary apiserver: an exec
// credential plugin and a token file as kubectl uses them, typed errors, events folded into a
// series, and finalizers added and removed safely.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { KubeClient } from '../../src/client/client.ts';
import { isConflict, isInvalid, isNotFound, isUnauthorized } from '../../src/client/errors.ts';
import { createLogger } from '../../src/common/log.ts';
import { EventRecorder } from '../../src/runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../src/runtime/finalizer.ts';
import type { KubeObject } from '../../src/api/meta.ts';

describe('client credentials and runtime helpers', () => {
  let server: RunningApiServer;
  const dir = tempDir('client');
  const TOKEN = 'granary-test-token-0123456789';

  /** A kubeconfig for the same server and CA with the given user entry instead of the admin certificate. */
  const kubeconfigWith = (user: Record<string, unknown>) => {
    const admin = parseYaml(readFileSync(server.kubeconfig, 'utf8'));
    admin.users = [{ name: 'tester', user }];
    admin.contexts = [{ name: 'tester', context: { cluster: admin.clusters[0].name, user: 'tester', namespace: 'kube-system' } }];
    admin['current-context'] = 'tester';
    const path = join(dir, `kubeconfig-${Object.keys(user)[0]}`);
    writeFileSync(path, stringify(admin));
    return path;
  };

  before(async () => {
    writeFileSync(join(dir, 'tokens.csv'), `${TOKEN},tester,tester-uid,"system:masters"\n`);
    server = await startApiServer({ args: ['--token-auth-file', join(dir, 'tokens.csv')] });
  });
  after(async () => {
    await server.stop();
  });

  test('an exec credential plugin and a token file authenticate; a bad token is a typed 401', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" > ${join(dir, 'exec-info.json')}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${TOKEN}"}}'\n`);
    chmodSync(plugin, 0o755);
    const viaExec = KubeClient.fromKubeconfig(kubeconfigWith({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin } }));
    assert.equal(viaExec.defaultNamespace, 'kube-system');
    const list = await viaExec.resource('v1', 'Namespace').list();
    assert.ok(list.items.some((n) => n.metadata.name === 'default'));
    assert.equal(JSON.parse(readFileSync(join(dir, 'exec-info.json'), 'utf8')).spec.cluster.server, server.url);
    await viaExec.close();

    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const viaFile = KubeClient.fromKubeconfig(kubeconfigWith({ tokenFile: join(dir, 'token') }));
    assert.ok((await viaFile.resource('v1', 'ConfigMap').list('default')).items);
    await viaFile.close();

    const wrong = KubeClient.fromKubeconfig(kubeconfigWith({ token: 'not-a-token' }), { maxAttempts: 1 });
    await assert.rejects(wrong.resource('v1', 'Namespace').list(), isUnauthorized);
    await wrong.close();
  });

  test('typed errors, events folded into a series, finalizers with a guarded JSON patch', async () => {
    const client = KubeClient.fromKubeconfig(server.kubeconfig);
    const cms = client.resource<KubeObject>('v1', 'ConfigMap');
    await assert.rejects(cms.get('missing', 'default'), isNotFound);
    await assert.rejects(cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: 'default' } }), isInvalid);
    const cm = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'subject', namespace: 'default' } });
    await cms.update({ ...cm, data: { a: 'b' } } as KubeObject);
    await assert.rejects(cms.update({ ...cm, data: { a: 'c' } } as KubeObject), isConflict);

    const recorder = new EventRecorder(client, 'granary.dev/test', 'test-0', createLogger('test', 'warn'));
    for (let i = 0; i < 3; i++) await recorder.publish(cm, { type: 'Warning', reason: 'Flapping', action: 'Reconcile', note: 'it happened again' });
    const events = (await client.resource<KubeObject & { series?: { count: number }; note?: string }>('events.k8s.io/v1', 'Event').list('default')).items
      .filter((e) => e.note === 'it happened again');
    assert.equal(events.length, 1, 'repeats fold into one Event');
    assert.equal(events[0].series?.count, 3);
    const core = await client.resource<KubeObject & { message?: string }>('v1', 'Event').list('default', { fieldSelector: 'involvedObject.name=subject' });
    assert.equal(core.items[0]?.message, 'it happened again', 'kubectl get events shows them');

    const latest = await cms.get('subject', 'default');
    const held = await addFinalizer(cms, latest, 'granary.dev/cleanup');
    assert.ok(hasFinalizer(held, 'granary.dev/cleanup'));
    await assert.rejects(addFinalizer(cms, latest, 'granary.dev/other'), (err: unknown) => isInvalid(err) || isConflict(err), 'a stale read cannot overwrite the finalizers');
    const released = await removeFinalizer(cms, held, 'granary.dev/cleanup');
    assert.equal(hasFinalizer(released, 'granary.dev/cleanup'), false);
    await client.close();
  });
});
