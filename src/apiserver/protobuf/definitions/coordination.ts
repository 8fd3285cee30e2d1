// coordination.k8s.io/v1 (k8s.io/api/coordination/v1).
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const COORDINATION_V1 = `
package coordination

message Lease {
  1 metadata meta.ObjectMeta
  2 spec     LeaseSpec
}

message LeaseSpec {
  1 holderIdentity       *string
  2 leaseDurationSeconds *int32
  3 acquireTime          *meta.MicroTime
  4 renewTime            *meta.MicroTime
  5 leaseTransitions     *int32
  6 strategy             *string
  7 preferredHolder      *string
}
`;
