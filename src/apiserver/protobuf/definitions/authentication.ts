// authentication.k8s.io/v1 (k8s.io/api/authentication/v1): token requests and reviews.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const AUTHENTICATION_V1 = `
package authentication

message TokenRequest {
  1 metadata meta.ObjectMeta
  2 spec     TokenRequestSpec
  3 status   TokenRequestStatus
}

message TokenRequestSpec {
  1 audiences         []string              always
  3 boundObjectRef    *BoundObjectReference
  4 expirationSeconds *int64
  5 attestations      map<AttestationValue>
}

message BoundObjectReference {
  1 kind       string
  2 apiVersion string
  3 name       string
  4 uid        string
}

message TokenRequestStatus {
  1 token               string    always
  2 expirationTimestamp meta.Time
}

message TokenReview {
  1 metadata meta.ObjectMeta
  2 spec     TokenReviewSpec
  3 status   TokenReviewStatus
}

message TokenReviewSpec {
  1 token     string
  2 audiences []string
}

message TokenReviewStatus {
  1 authenticated bool
  2 user          UserInfo
  3 error         string
  4 audiences     []string
}

message UserInfo {
  1 username string
  2 uid      string
  3 groups   []string
  4 extra    map<ExtraValue>
}

message SelfSubjectReview {
  1 metadata meta.ObjectMeta
  2 status   SelfSubjectReviewStatus
}

message SelfSubjectReviewStatus {
  1 userInfo UserInfo
}

// Go's ExtraValue and AttestationValue are []string; protobuf wraps each in a message.
// JSON: the list itself.
message ExtraValue json=unwrap {
  1 items []string
}

message AttestationValue json=unwrap {
  1 items []string
}
`;
