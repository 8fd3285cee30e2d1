// events.k8s.io/v1 (k8s.io/api/events/v1).
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const EVENTS_V1 = `
package events

message Event {
   1 metadata                 meta.ObjectMeta
   2 eventTime                meta.MicroTime
   3 series                   *EventSeries
   4 reportingController      string
   5 reportingInstance        string
   6 action                   string
   7 reason                   string
   8 regarding                core.ObjectReference
   9 related                  *core.ObjectReference
  10 note                     string
  11 type                     string
  12 deprecatedSource         core.EventSource
  13 deprecatedFirstTimestamp meta.Time
  14 deprecatedLastTimestamp  meta.Time
  15 deprecatedCount          int32
}

message EventSeries {
  1 count            int32          always
  2 lastObservedTime meta.MicroTime
}
`;
