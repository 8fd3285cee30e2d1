// coordination.k8s.io/v1 Lease: node heartbeats and leader election.
import { type Static } from '@sinclair/typebox';
import { describe, int32, object, string, timestamp } from './fields.ts';
import { kindSchema } from './meta.ts';

export const LeaseSpecSchema = object('Who holds the lease and until when.', {
  holderIdentity: string('Identity of the current holder.'),
  leaseDurationSeconds: int32('Seconds candidates wait after renewTime before taking the lease over.'),
  acquireTime: timestamp('When the current holder acquired the lease.'),
  renewTime: timestamp('When the holder last renewed the lease.'),
  leaseTransitions: int32('How many times the lease changed hands.'),
  strategy: string('How a holder is chosen under coordinated leader election, e.g. OldestEmulationVersion.'),
  preferredHolder: string('Holder the lease should pass to; the current holder may step down for it.'),
});
export type LeaseSpec = Static<typeof LeaseSpecSchema>;

export const LeaseSchema = kindSchema('A lease held by one party at a time, kept by renewing it.', {
  spec: describe(LeaseSpecSchema, 'State of the lease.'),
});
export type Lease = Static<typeof LeaseSchema>;
