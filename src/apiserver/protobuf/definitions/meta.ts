// k8s.io/apimachinery: object metadata and options (pkg/apis/meta/v1), Quantity (pkg/api/resource)
// and IntOrString (pkg/util/intstr), shared by every API group.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const META_V1 = `
package meta

message ObjectMeta {
   1 name                       string
   2 generateName               string
   3 namespace                  string
   4 selfLink                   string
   5 uid                        string
   6 resourceVersion            string
   7 generation                 int64
   8 creationTimestamp          Time                 omitzero
   9 deletionTimestamp          *Time
  10 deletionGracePeriodSeconds *int64
  11 labels                     map<string>
  12 annotations                map<string>
  13 ownerReferences            []OwnerReference
  14 finalizers                 []string
  17 managedFields              []ManagedFieldsEntry
}

message OwnerReference {
  1 kind               string always
  3 name               string always
  4 uid                string always
  5 apiVersion         string always
  6 controller         *bool
  7 blockOwnerDeletion *bool
}

message ManagedFieldsEntry {
  1 manager     string
  2 operation   string
  3 apiVersion  string
  4 time        *Time
  6 fieldsType  string
  7 fieldsV1    *FieldsV1
  8 subresource string
}

// The field set travels as its JSON text in bytes.
message FieldsV1 json=rawJson {
  1 Raw bytes
}

// google.protobuf.Timestamp's layout. JSON: RFC 3339 in whole seconds, null when zero.
message Time json=time {
  1 seconds int64
  2 nanos   int32
}

// Same layout as Time. JSON: RFC 3339 with microseconds.
message MicroTime json=microTime {
  1 seconds int64
  2 nanos   int32
}

message LabelSelector {
  1 matchLabels      map<string>
  2 matchExpressions []LabelSelectorRequirement
}

message LabelSelectorRequirement {
  1 key      string   always
  2 operator string   always
  3 values   []string
}

message FieldSelectorRequirement {
  1 key      string   always
  2 operator string   always
  3 values   []string
}

message Condition {
  1 type               string always
  2 status             string always
  3 observedGeneration int64
  4 lastTransitionTime Time   always
  5 reason             string always
  6 message            string always
}

message DeleteOptions {
  1 gracePeriodSeconds                               *int64
  2 preconditions                                    *Preconditions
  3 orphanDependents                                 *bool
  4 propagationPolicy                                *string
  5 dryRun                                           []string
  6 ignoreStoreReadErrorWithClusterBreakingPotential *bool
}

message Preconditions {
  1 uid             *string
  2 resourceVersion *string
}

package resource

// JSON: the quantity's string, e.g. "500m".
message Quantity json=quantity {
  1 string string always
}

package intstr

// type 0 carries intVal, type 1 strVal. JSON: a number or a string.
message IntOrString json=intOrString {
  1 type   int64
  2 intVal int32
  3 strVal string
}
`;
