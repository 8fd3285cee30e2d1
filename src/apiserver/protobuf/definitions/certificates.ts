// certificates.k8s.io/v1 (k8s.io/api/certificates/v1): certificate signing requests.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const CERTIFICATES_V1 = `
package certificates

message CertificateSigningRequest {
  1 metadata meta.ObjectMeta
  2 spec     CertificateSigningRequestSpec
  3 status   CertificateSigningRequestStatus
}

message CertificateSigningRequestSpec {
  1 request           bytes                  always
  7 signerName        string                 always
  8 expirationSeconds *int32
  5 usages            []string
  2 username          string
  3 uid               string
  4 groups            []string
  6 extra             map<ExtraValue>
}

message CertificateSigningRequestStatus {
  1 conditions  []CertificateSigningRequestCondition
  2 certificate bytes
}

message CertificateSigningRequestCondition {
  1 type               string    always
  6 status             string    always
  2 reason             string
  3 message            string
  4 lastUpdateTime     meta.Time
  5 lastTransitionTime meta.Time
}

// Go's ExtraValue is a []string; protobuf wraps it in a message. JSON: the list itself.
message ExtraValue json=unwrap {
  1 items []string
}
`;
