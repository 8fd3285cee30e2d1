// Status conditions as Kubernetes keeps them: one entry per type, lastTransitionTime moving only
// when the status flips, observedGeneration saying which spec the condition describes.
import type { Condition, KubeObject } from '../api/meta.ts';
import type { EventSpec } from './events.ts';

/** The workload serves its clients (enough replicas are ready). */
export const AVAILABLE = 'Available';
/** The workload is moving towards its spec (pods being created, restarted, upgraded). */
export const PROGRESSING = 'Progressing';
/** Something stops the workload from reaching its spec; the message says what to fix. */
export const DEGRADED = 'Degraded';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: string;
  /** A boolean is written as "True" / "False". */
  status: ConditionStatus | boolean;
  /** CamelCase, e.g. "InvalidConfig", as metav1.Condition requires. */
  reason: string;
  message?: string;
  /** The metadata.generation the condition was computed from. */
  observedGeneration?: number;
}

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const REASON_MAX = 1024;
/** The API server rejects longer messages; keep the start, which says the most. */
const MESSAGE_MAX = 32768;

/**
 * `conditions` with `update` applied: the condition of that type is replaced in place (or added
 * at the end). lastTransitionTime is `now` when the condition is new or its status changed, and
 * kept otherwise. When nothing differs the very same array is returned, so `next !== previous`
 * tells whether a status write is needed.
 */
export function setCondition(conditions: Condition[] | undefined, update: ConditionUpdate, now: Date = new Date()): Condition[] {
  const current = conditions ?? [];
  const status = toStatus(update.status);
  if (!REASON.test(update.reason) || update.reason.length > REASON_MAX) {
    throw new RangeError(`condition reason "${update.reason}" must be CamelCase letters and digits (at most ${REASON_MAX} characters)`);
  }
  const index = current.findIndex((c) => c.type === update.type);
  const previous = index < 0 ? undefined : current[index];
  const next: Condition = {
    type: update.type,
    status,
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
    lastTransitionTime: previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : formatTime(now),
    reason: update.reason,
    message: (update.message ?? '').slice(0, MESSAGE_MAX),
  };
  if (previous && sameCondition(previous, next)) return current;
  return index < 0 ? [...current, next] : current.map((c, i) => (i === index ? next : c));
}

/** Any kind's condition: metav1.Condition, or a pod's, a node's, a CRD's ... */
export interface AnyCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** status.conditions of an object of any kind (e.g. a custom resource read without its type); [] when it has none. */
export function conditionsOf(obj: KubeObject | undefined): AnyCondition[] {
  const status = obj?.status;
  const conditions = typeof status === 'object' && status !== null && 'conditions' in status ? status.conditions : undefined;
  return Array.isArray(conditions) ? conditions.filter(isCondition) : [];
}

function isCondition(value: unknown): value is AnyCondition {
  return typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string' && 'status' in value && typeof value.status === 'string';
}

export function getCondition<C extends AnyCondition>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True only when the condition is present with status "True". */
export function isConditionTrue(conditions: readonly AnyCondition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** `conditions` without the condition of `type` (the same array when there was none). */
export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  const current = conditions ?? [];
  return current.some((c) => c.type === type) ? current.filter((c) => c.type !== type) : current;
}

/**
 * The events telling a user what changed in the standard conditions between two status writes,
 * with the conditions' reasons and messages: Available flipping (a Warning when it was lost), and
 * Degraded becoming True or True for another reason (a Warning), or False again.
 */
export function conditionChanges(before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): EventSpec[] {
  const events: EventSpec[] = [];
  const event = (type: EventSpec['type'], c: Condition): EventSpec =>
    ({ type, reason: c.reason || c.type, action: `${c.type}Changed`, note: `${c.type} is ${c.status}${c.message ? `: ${c.message}` : ''}` });
  const [wasAvailable, isAvailable] = [getCondition(before, AVAILABLE), getCondition(after, AVAILABLE)];
  if (isAvailable && wasAvailable?.status !== isAvailable.status) events.push(event(wasAvailable?.status === 'True' ? 'Warning' : 'Normal', isAvailable));
  const [wasDegraded, isDegraded] = [getCondition(before, DEGRADED), getCondition(after, DEGRADED)];
  if (isDegraded?.status === 'True' && (wasDegraded?.status !== 'True' || wasDegraded.reason !== isDegraded.reason)) events.push(event('Warning', isDegraded));
  else if (isDegraded?.status === 'False' && wasDegraded?.status === 'True') events.push(event('Normal', isDegraded));
  return events;
}

export function available(status: boolean, reason: string, message?: string, observedGeneration?: number): ConditionUpdate {
  return { type: AVAILABLE, status, reason, message, observedGeneration };
}

export function progressing(status: boolean, reason: string, message?: string, observedGeneration?: number): ConditionUpdate {
  return { type: PROGRESSING, status, reason, message, observedGeneration };
}

export function degraded(status: boolean, reason: string, message?: string, observedGeneration?: number): ConditionUpdate {
  return { type: DEGRADED, status, reason, message, observedGeneration };
}

function toStatus(status: ConditionStatus | boolean): ConditionStatus {
  if (status === true) return 'True';
  if (status === false) return 'False';
  return status;
}

/** metav1.Time's wire form: RFC 3339 in UTC with whole seconds. */
function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sameCondition(a: Condition, b: Condition): boolean {
  return a.status === b.status && a.reason === b.reason && (a.message ?? '') === (b.message ?? '')
    && a.observedGeneration === b.observedGeneration && a.lastTransitionTime === b.lastTransitionTime;
}
