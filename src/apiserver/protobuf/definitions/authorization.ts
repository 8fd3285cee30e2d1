// authorization.k8s.io/v1 (k8s.io/api/authorization/v1): access reviews.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const AUTHORIZATION_V1 = `
package authorization

message SelfSubjectAccessReview {
  1 metadata meta.ObjectMeta
  2 spec     SelfSubjectAccessReviewSpec
  3 status   SubjectAccessReviewStatus
}

message SelfSubjectAccessReviewSpec {
  1 resourceAttributes    *ResourceAttributes
  2 nonResourceAttributes *NonResourceAttributes
}

message SubjectAccessReview {
  1 metadata meta.ObjectMeta
  2 spec     SubjectAccessReviewSpec
  3 status   SubjectAccessReviewStatus
}

message LocalSubjectAccessReview {
  1 metadata meta.ObjectMeta
  2 spec     SubjectAccessReviewSpec
  3 status   SubjectAccessReviewStatus
}

message SubjectAccessReviewSpec {
  1 resourceAttributes    *ResourceAttributes
  2 nonResourceAttributes *NonResourceAttributes
  3 user                  string
  4 groups                []string
  5 extra                 map<ExtraValue>
  6 uid                   string
}

message ResourceAttributes {
  1 namespace     string
  2 verb          string
  3 group         string
  4 version       string
  5 resource      string
  6 subresource   string
  7 name          string
  8 fieldSelector *FieldSelectorAttributes
  9 labelSelector *LabelSelectorAttributes
}

message NonResourceAttributes {
  1 path string
  2 verb string
}

message FieldSelectorAttributes {
  1 rawSelector  string
  2 requirements []meta.FieldSelectorRequirement
}

message LabelSelectorAttributes {
  1 rawSelector  string
  2 requirements []meta.LabelSelectorRequirement
}

message SubjectAccessReviewStatus {
  1 allowed         bool   always
  2 reason          string
  3 evaluationError string
  4 denied          bool
}

message SelfSubjectRulesReview {
  1 metadata meta.ObjectMeta
  2 spec     SelfSubjectRulesReviewSpec
  3 status   SubjectRulesReviewStatus
}

message SelfSubjectRulesReviewSpec {
  1 namespace string
}

message SubjectRulesReviewStatus {
  1 resourceRules    []ResourceRule    always
  2 nonResourceRules []NonResourceRule always
  3 incomplete       bool              always
  4 evaluationError  string
}

message ResourceRule {
  1 verbs         []string always
  2 apiGroups     []string
  3 resources     []string
  4 resourceNames []string
}

message NonResourceRule {
  1 verbs           []string always
  2 nonResourceURLs []string
}

// Go's ExtraValue is a []string; protobuf wraps it in a message. JSON: the list itself.
message ExtraValue json=unwrap {
  1 items []string
}
`;
