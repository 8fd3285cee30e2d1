// rbac.authorization.k8s.io/v1 (k8s.io/api/rbac/v1).
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const RBAC_V1 = `
package rbac

message Role {
  1 metadata meta.ObjectMeta
  2 rules    []PolicyRule    always
}

message ClusterRole {
  1 metadata        meta.ObjectMeta
  2 rules           []PolicyRule     always
  3 aggregationRule *AggregationRule
}

message AggregationRule {
  1 clusterRoleSelectors []meta.LabelSelector
}

message PolicyRule {
  1 verbs           []string always
  2 apiGroups       []string
  3 resources       []string
  4 resourceNames   []string
  5 nonResourceURLs []string
}

message RoleBinding {
  1 metadata meta.ObjectMeta
  2 subjects []Subject
  3 roleRef  RoleRef
}

message ClusterRoleBinding {
  1 metadata meta.ObjectMeta
  2 subjects []Subject
  3 roleRef  RoleRef
}

message Subject {
  1 kind      string always
  2 apiGroup  string
  3 name      string always
  4 namespace string
}

message RoleRef {
  1 apiGroup string always
  2 kind     string always
  3 name     string always
}
`;
