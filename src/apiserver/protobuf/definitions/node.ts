// node.k8s.io/v1 (k8s.io/api/node/v1): runtime classes.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const NODE_V1 = `
package node

message RuntimeClass {
  1 metadata   meta.ObjectMeta
  2 handler    string          always
  3 overhead   *Overhead
  4 scheduling *Scheduling
}

message Overhead {
  1 podFixed map<resource.Quantity>
}

message Scheduling {
  1 nodeSelector map<string>
  2 tolerations  []core.Toleration
}
`;
