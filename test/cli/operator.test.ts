// `granary operator` and `granary install` against a cluster of its own (not `granary up`): the
// CRDs first, then operators that take turns through one Lease per operator in kube-system, and
// that stop cleanly (releasing the lease) on SIGTERM and SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT, startApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { startOperatorProcess } from '../support/operator-process.ts';
import { KubeClient } from '../../src/client/client.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { OPERATORS, type Operator } from '../../src/operators/index.ts';
import { applyDemo, leaseName } from '../../src/cli/operator.ts';

const run = promisify(execFile);
const GRANARY = join(REPO_ROOT, 'granary');

type Lease = KubeObject & { spec?: { holderIdentity?: string } };

/** Through the ./granary wrapper, as an administrator runs it. */
const startOperators = (kubeconfig: string) => startOperatorProcess(kubeconfig, '127.0.0.1:0', { command: [GRANARY] });

test('granary operator needs the CRDs, holds one lease per operator, hands over on SIGTERM and stops on SIGINT', { skip: OPERATORS.length === 0 && 'no operators yet' }, async (t) => {
  const server = await startApiServer();
  t.after(() => server.stop());
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());

  const missing = await run(GRANARY, ['operator', 'all', '--kubeconfig', server.kubeconfig, '--metrics-bind-address', '127.0.0.1:0']).catch((err: { code: number; stderr: string }) => err);
  assert.equal((missing as { code: number }).code, 1);
  assert.match((missing as { stderr: string }).stderr, /is not installed .*run `granary install --kubeconfig FILE` first/);
  await run(GRANARY, ['install', '--kubeconfig', server.kubeconfig]);

  const first = startOperators(server.kubeconfig);
  t.after(() => first.child.kill('SIGKILL'));
  const leases = client.resource<Lease>('coordination.k8s.io/v1', 'Lease');
  const holders = async () => Promise.all(OPERATORS.map(async (o) => (await leases.get(leaseName(o), 'kube-system')).spec?.holderIdentity ?? ''));
  await eventually('the first process to lead every operator', async () =>
    (await holders()).every((h) => h.endsWith(`-${first.child.pid}`)) ? true : undefined, 60_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${first.output()}`);
  });

  const second = startOperators(server.kubeconfig);
  t.after(() => second.child.kill('SIGKILL'));
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, `SIGTERM stops the operators cleanly:\n${first.output()}`);
  // The first released its leases on the way out, so the second takes over without waiting for them to expire.
  await eventually('the second process to take over every operator', async () =>
    (await holders()).every((h) => h.endsWith(`-${second.child.pid}`)) ? true : undefined, 60_000).catch(async (err) => {
    throw new Error(`${(err as Error).message} (holders: ${JSON.stringify(await holders().catch(String))}, second pid ${second.child.pid})\n${second.output()}`);
  });
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, `SIGINT stops the operators cleanly:\n${second.output()}`);
  assert.deepEqual(await holders(), OPERATORS.map(() => ''), 'leases released');
});

test('the demo objects are created once; a user\'s changes to them are kept', async (t) => {
  const server = await startApiServer();
  t.after(() => server.stop());
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());
  const demo: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo-settings', namespace: 'default' }, data: { size: 'small' } } as KubeObject;
  const operator: Operator = { name: 'example', crds: [], demo: [demo], run: async () => {} };

  assert.deepEqual((await applyDemo(client, [operator])).map((r) => r.created), [true]);
  const configMaps = client.resource<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap');
  await configMaps.patch('demo-settings', 'default', { data: { size: 'large' } }, 'merge');
  assert.deepEqual((await applyDemo(client, [operator])).map((r) => r.created), [false]);
  assert.equal((await configMaps.get('demo-settings', 'default')).data?.size, 'large');
});
