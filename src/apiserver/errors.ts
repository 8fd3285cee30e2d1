// API errors as values: every failure the server reports is an ApiError that renders as a
// metav1.Status with Kubernetes' reason and code, so clients (kubectl included) act on it correctly.
import type { Status, StatusCause, StatusDetails } from '../api/meta.ts';

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict'
  | 'Gone' | 'Expired' | 'Invalid' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge' | 'TooManyRequests' | 'InternalError' | 'Timeout' | 'ServiceUnavailable';

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: this.message, reason: this.reason, details: this.details && withoutEmptyFields(this.details), code: this.code,
    };
  }
}

/** As Go leaves out empty omitempty fields: `"details":{"name":"x","kind":"pods"}`, no `"group":""`. */
function withoutEmptyFields(details: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  for (const [key, value] of Object.entries(details) as [keyof StatusDetails, unknown][]) {
    if (value === undefined || value === '' || value === 0 || (Array.isArray(value) && value.length === 0)) continue;
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

interface Target { group: string; kind: string; name?: string }

const qualified = (t: Target) => (t.group ? `${t.kind}.${t.group}` : t.kind);
/** Kubernetes names the resource in messages as plural[.group], e.g. `pods "x" not found`. */
export const resourceLabel = (plural: string, group: string) => (group ? `${plural}.${group}` : plural);

/**
 * Every error in Kubernetes' form (k8s.io/apimachinery/pkg/api/errors): the message names the
 * resource as plural[.group], and details.kind is that resource ("pods"), except for Invalid,
 * which names the kind ("Pod").
 */
export const errors = {
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  notFound: (plural: string, group: string, name: string) =>
    new ApiError(404, 'NotFound', `${resourceLabel(plural, group)} "${name}" not found`, { name, group, kind: plural }),
  alreadyExists: (plural: string, group: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${resourceLabel(plural, group)} "${name}" already exists`, { name, group, kind: plural }),
  conflict: (plural: string, group: string, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resourceLabel(plural, group)} "${name}": ${why}`, { name, group, kind: plural }),
  invalid: (target: Target, causes: StatusCause[]) => {
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
    const name = target.name ?? '';
    const message = `${qualified(target)} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`;
    return new ApiError(422, 'Invalid', message, { name, group: target.group, kind: target.kind, causes });
  },
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  unsupportedMediaType: (message: string) => new ApiError(415, 'UnsupportedMediaType', message),
  tooLarge: (message: string) => new ApiError(413, 'RequestEntityTooLarge', message),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }),
  internal: (message: string) => new ApiError(500, 'InternalError', message),
  /** NewForbidden: `<resource>[.<group>] ["<name>"] is forbidden: <why>`, or `forbidden: <why>` without a resource. */
  forbidden: (plural: string, group: string, name: string, why: string) => {
    const subject = plural ? (name ? `${resourceLabel(plural, group)} "${name}"` : resourceLabel(plural, group)) : '';
    return new ApiError(403, 'Forbidden', subject ? `${subject} is forbidden: ${why}` : `forbidden: ${why}`, { name, group, kind: plural });
  },
  unauthorized: (message = 'Unauthorized') => new ApiError(401, 'Unauthorized', message),
  timeout: (message: string) => new ApiError(504, 'Timeout', message),
};

/** Builds a field cause in Kubernetes' wording, e.g. field "spec.x", type FieldValueInvalid. */
export function fieldCause(
  type: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid',
  field: string,
  message: string,
): StatusCause {
  return { reason: type, field, message };
}

/** A list of findings for one error message: the first hundred, then how many more. */
export function summarise(messages: string[], limit = 100): string {
  const shown = messages.slice(0, limit).join(', ');
  return messages.length > limit ? `${shown}, and ${messages.length - limit} more` : shown;
}
