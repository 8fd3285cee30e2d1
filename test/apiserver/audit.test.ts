// The audit log: who did what, at the level the policy says, and never a Secret's body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer, tempDir } from '../support/apiserver.ts';
import { Kubectl } from '../support/kubectl.ts';

test('audit events record user, verb and object, with bodies where the policy asks and never for Secrets', async () => {
  const dir = tempDir('audit');
  const log = join(dir, 'audit.log');
  writeFileSync(join(dir, 'policy.yaml'), `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ['/api*', '/apis*', '/openapi*', '/version']
  - level: RequestResponse
    resources: [{ group: '', resources: [configmaps, secrets] }]
  - level: Metadata
`);
  const server = await startApiServer({ dataDir: dir, args: ['--audit-log-path', log, '--audit-policy-file', join(dir, 'policy.yaml')] });
  const k = new Kubectl('1.27', server.kubeconfig);
  await k.ok(['create', 'configmap', 'audited', '--from-literal=colour=blue']);
  await k.ok(['create', 'secret', 'generic', 'hidden', '--from-literal=password=NeverLogThis']);
  await k.ok(['get', 'namespaces']);
  assert.equal(await server.stop(), 0);
  const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const cm = events.find((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps');
  assert.equal(cm.level, 'RequestResponse');
  assert.equal(cm.user.username, 'granary:admin');
  assert.equal(cm.responseStatus.code, 201);
  assert.equal(cm.requestObject.data.colour, 'blue');
  assert.equal(cm.responseObject.metadata.name, 'audited');
  const secret = events.find((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets');
  assert.equal(secret.level, 'Metadata', 'a Secret is never logged with its body');
  assert.equal(secret.requestObject, undefined);
  assert.ok(!readFileSync(log, 'utf8').includes(Buffer.from('NeverLogThis').toString('base64')));
  const list = events.find((e) => e.verb === 'list' && e.objectRef?.resource === 'namespaces');
  assert.equal(list.level, 'Metadata');
  assert.equal(list.responseObject, undefined);
  assert.ok(!events.some((e) => e.requestURI?.startsWith('/openapi')), 'None rules leave requests out');
});
