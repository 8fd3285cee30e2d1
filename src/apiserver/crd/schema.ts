// Processing a custom resource against one version's structural schema, in the order Kubernetes
// applies it to a request body: prune unknown fields (pruneUnknownFields), apply defaults
// (applyDefaults), then validate (validateObject). Reads from storage prune and default again, so
// objects written under an older schema come back in the current shape.
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import type { ScaleSubresource } from '../../api/resources.ts';
import { fieldError, formatNumber, isRecord } from '../validation/field.ts';
import { validateValue } from './openapi-validation.ts';
import { validateEmbeddedResources } from './embedded.ts';
import { validateListTypes } from './list-types.ts';

export { pruneUnknownFields } from './pruning.ts';
export { applyDefaults } from './defaulting.ts';

/**
 * Validates `obj` against `schema`: OpenAPI value validation, embedded resources, and list-set /
 * list-map uniqueness. `path` prefixes the fields of the causes ("" when `obj` is a whole object).
 * The root metadata is left to validateObjectMeta.
 */
export function validateObject(obj: unknown, schema: JSONSchemaProps, path: string): StatusCause[] {
  return [
    ...validateValue(obj, schema, path),
    ...validateEmbeddedResources(obj, schema, path),
    ...validateListTypes(obj, schema, path),
  ];
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * With the scale subresource enabled, the replica counts at its paths must be non-negative int32
 * values (when present), and the label selector a string. Fields are named by those JSON paths.
 */
export function validateScaleReplicas(obj: unknown, scale: ScaleSubresource): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const path of [scale.specReplicasPath, scale.statusReplicasPath]) {
    const value = valueAt(obj, path);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      causes.push(fieldError.invalid(path, 0, accessorError(path, value, 'int64')));
    } else if (value < 0) {
      causes.push(fieldError.invalid(path, value, 'should be a non-negative integer'));
    } else if (value > INT32_MAX) {
      causes.push(fieldError.invalid(path, value, `should be less than or equal to ${INT32_MAX}`));
    }
  }
  const selectorPath = scale.labelSelectorPath;
  if (selectorPath) {
    const selector = valueAt(obj, selectorPath);
    if (selector !== undefined && selector !== null && typeof selector !== 'string') {
      causes.push(fieldError.invalid(selectorPath, '', accessorError(selectorPath, selector, 'string')));
    }
  }
  return causes;
}

/** The value at a simple JSON path such as ".spec.replicas". */
function valueAt(obj: unknown, path: string): unknown {
  let current = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Kubernetes' wording when a field holds the wrong JSON type for its accessor. */
function accessorError(path: string, value: unknown, expected: string): string {
  const dotted = path.startsWith('.') ? path : `.${path}`;
  const shown = typeof value === 'string' ? value : typeof value === 'number' ? formatNumber(value) : JSON.stringify(value);
  return `${dotted} accessor error: ${shown} is of the type ${goTypeName(value)}, expected ${expected}`;
}

function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
