// discovery.k8s.io/v1 (k8s.io/api/discovery/v1): endpoint slices.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const DISCOVERY_V1 = `
package discovery

message EndpointSlice {
  1 metadata    meta.ObjectMeta
  4 addressType string          always
  2 endpoints   []Endpoint      always
  3 ports       []EndpointPort  always
}

message Endpoint {
  1 addresses          []string            always
  2 conditions         EndpointConditions
  3 hostname           *string
  4 targetRef          *core.ObjectReference
  5 deprecatedTopology map<string>
  6 nodeName           *string
  7 zone               *string
  8 hints              *EndpointHints
}

message EndpointConditions {
  1 ready       *bool
  2 serving     *bool
  3 terminating *bool
}

message EndpointHints {
  1 forZones []ForZone
  2 forNodes []ForNode
}

message ForZone {
  1 name string always
}

message ForNode {
  1 name string always
}

message EndpointPort {
  1 name        *string
  2 protocol    *string
  3 port        *int32
  4 appProtocol *string
}
`;
