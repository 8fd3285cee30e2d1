import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient } from '../client/client.ts';
import { createLogger } from '../common/log.ts';
import { LeaderElector } from './leader.ts';

/** A client holding one Lease in memory, enough for the elector's get, create and update. */
function leaseClient(spec: Record<string, unknown>): { client: KubeClient; holder: () => unknown } {
  let lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'kube-system', resourceVersion: '1' }, spec };
  const api = {
    get: async () => structuredClone(lease),
    create: async () => { throw new Error('the lease exists'); },
    update: async (next: typeof lease) => {
      lease = { ...structuredClone(next), metadata: { ...next.metadata, resourceVersion: String(Number(next.metadata.resourceVersion) + 1) } };
      return lease;
    },
  };
  return { client: { resource: () => api } as unknown as KubeClient, holder: () => lease.spec.holderIdentity };
}

test('a lease its holder did not release (it crashed) is taken over once it expires, with every option left at its default', async () => {
  // The holder died 20 s ago without releasing; the lease names no duration (as an elector given
  // leaseDurationSeconds: undefined wrote it).
  const renewed = new Date(Date.now() - 20_000).toISOString();
  const { client, holder } = leaseClient({ holderIdentity: 'old', acquireTime: renewed, renewTime: renewed });
  const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'l', identity: 'new', leaseDurationSeconds: undefined, log: createLogger('test', 'silent') });
  assert.equal(await elector.tryAcquireOrRenew(), true);
  assert.equal(holder(), 'new');
});

test('a lease renewed within its duration stays with its holder', async () => {
  const renewed = new Date(Date.now() - 5_000).toISOString();
  const { client, holder } = leaseClient({ holderIdentity: 'old', leaseDurationSeconds: 15, renewTime: renewed });
  const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'l', identity: 'new', log: createLogger('test', 'silent') });
  assert.equal(await elector.tryAcquireOrRenew(), false);
  assert.equal(holder(), 'old');
});
