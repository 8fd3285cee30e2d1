// Kinds whose only special behaviour is what field selectors may use: nodes and events.
import type { KubeObject } from '../../../api/meta.ts';
import type { Strategy } from '../strategy.ts';

type Node = KubeObject & { spec?: { unschedulable?: boolean } };
type CoreEvent = KubeObject & {
  involvedObject?: Record<string, string | undefined>; reason?: string; type?: string; reportingComponent?: string;
  source?: { component?: string };
};

export const nodeStrategy: Strategy = {
  selectableFields: (obj) => ({ 'spec.unschedulable': String((obj as Node).spec?.unschedulable ?? false) }),
};

export const coreEventStrategy: Strategy = {
  nameRule: 'path-segment',
  selectableFields(obj) {
    const e = obj as CoreEvent;
    const involved = e.involvedObject ?? {};
    const fields: Record<string, string> = {
      reason: e.reason ?? '', type: e.type ?? '', reportingComponent: e.reportingComponent ?? '', source: e.source?.component ?? '',
    };
    for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) fields[`involvedObject.${f}`] = involved[f] ?? '';
    return fields;
  },
};

type NewEvent = KubeObject & { regarding?: Record<string, string | undefined>; reason?: string; type?: string; reportingController?: string };

export const eventsV1Strategy: Strategy = {
  nameRule: 'path-segment',
  selectableFields(obj) {
    const e = obj as NewEvent;
    const regarding = e.regarding ?? {};
    const fields: Record<string, string> = { reason: e.reason ?? '', type: e.type ?? '', reportingController: e.reportingController ?? '' };
    for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) fields[`regarding.${f}`] = regarding[f] ?? '';
    return fields;
  },
};

export const defaultStrategy: Strategy = {};
