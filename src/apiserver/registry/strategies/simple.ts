// Nodes and Events: the fields their selectors may use, and the two views of Events.
import type { CoreEvent, Node, ObjectReference } from '../../../api/kinds/core.ts';
import type { Event } from '../../../api/kinds/events.ts';
import type { KubeObject } from '../../../api/meta.ts';
import type { Strategy } from '../strategy.ts';

/** The fields of an event's object reference that selectors may use. */
const REFERENCE_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'] as const satisfies readonly (keyof ObjectReference)[];

export const nodeStrategy: Strategy = {
  selectableFields: (obj) => ({ 'spec.unschedulable': String((obj as Node).spec?.unschedulable ?? false) }),
};

export const coreEventStrategy: Strategy = {
  nameRule: 'path-segment',
  selectableFields(obj) {
    const e = obj as CoreEvent;
    const involved: ObjectReference = e.involvedObject ?? {};
    const fields: Record<string, string> = {
      reason: e.reason ?? '', type: e.type ?? '', reportingComponent: e.reportingComponent ?? '', source: e.source?.component ?? '',
    };
    for (const f of REFERENCE_FIELDS) fields[`involvedObject.${f}`] = involved[f] ?? '';
    return fields;
  },
};

/** events.k8s.io/v1 field ↔ core/v1 field, for the fields whose names differ. */
const RENAMED: [string, string][] = [
  ['regarding', 'involvedObject'], ['note', 'message'], ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'], ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'],
];
const SHARED = ['metadata', 'reason', 'type', 'eventTime', 'series', 'related', 'reportingInstance', 'action'];

function rename(obj: KubeObject, pairs: [string, string][], apiVersion: string): KubeObject {
  const out: Record<string, unknown> = { apiVersion, kind: 'Event' };
  for (const f of SHARED) if (obj[f] !== undefined) out[f] = obj[f];
  for (const [from, to] of pairs) if (obj[from] !== undefined) out[to] = obj[from];
  return out as KubeObject;
}

/** Kubernetes keeps one set of Events: events.k8s.io/v1 is a view of core/v1 Events. */
const eventConversion = {
  toStorage: (obj: KubeObject) => rename(obj, RENAMED, 'v1'),
  fromStorage: (obj: KubeObject) => rename(obj, RENAMED.map(([a, b]) => [b, a]), 'events.k8s.io/v1'),
};

export const eventsV1Strategy: Strategy = {
  nameRule: 'path-segment',
  conversion: eventConversion,
  // Selectors see the stored (core/v1) object.
  selectableFields(obj) {
    const e = eventConversion.fromStorage(obj) as Event;
    const regarding: ObjectReference = e.regarding ?? {};
    const fields: Record<string, string> = { reason: e.reason ?? '', type: e.type ?? '', reportingController: e.reportingController ?? '' };
    for (const f of REFERENCE_FIELDS) fields[`regarding.${f}`] = regarding[f] ?? '';
    return fields;
  },
};

export const defaultStrategy: Strategy = {};
