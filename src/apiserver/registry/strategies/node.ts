// node.k8s.io RuntimeClasses as Kubernetes keeps them (pkg/apis/node/validation): the handler is
// a DNS label and never changes; overhead holds non-negative quantities of container resources;
// scheduling's node selector holds valid labels and its tolerations valid tolerations.
import type { StatusCause, Unvalidated } from '../../../api/meta.ts';
import type { RuntimeClass } from '../../../api/kinds/node.ts';
import type { Toleration } from '../../../api/kinds/core.ts';
import { parseQuantity } from '../../../api/quantity.ts';
import { child, fieldError, index, key } from '../../validation/field.ts';
import { isDns1123Label, isLabelValue, isQualifiedName } from '../../validation/names.ts';
import { validateLabels } from '../../validation/objectmeta.ts';
import type { Strategy } from '../strategy.ts';

type Rc = Unvalidated<RuntimeClass>;

const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

/** A resource list of container resources (Kubernetes' ValidateResourceRequirements on limits). */
function validateResourceList(resources: Record<string, unknown>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [name, value] of Object.entries(resources)) {
    const at = key(path, name);
    const nameErrors = isQualifiedName(name);
    causes.push(...nameErrors.map((msg) => fieldError.invalid(at, name, msg)));
    if (nameErrors.length === 0 && !name.includes('/') && !STANDARD_CONTAINER_RESOURCES.includes(name) && !name.startsWith('hugepages-')) {
      causes.push(fieldError.invalid(at, name, 'must be a standard resource for containers'));
    }
    const amount = typeof value === 'string' || typeof value === 'number' ? parseQuantity(value) : undefined;
    if (amount === undefined) causes.push(fieldError.invalid(at, value, `quantities must match the regular expression '${QUANTITY_PATTERN}'`));
    else if (amount < 0) causes.push(fieldError.invalid(at, value, 'must be greater than or equal to 0'));
  }
  return causes;
}

/** Tolerations as Kubernetes' ValidateTolerations checks them. */
function validateTolerations(tolerations: Toleration[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  tolerations.forEach((t, i) => {
    const at = index(path, i);
    if (t.key) causes.push(...isQualifiedName(t.key).map((msg) => fieldError.invalid(child(at, 'key'), t.key, msg)));
    if (!t.key && t.operator !== 'Exists') {
      causes.push(fieldError.invalid(child(at, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      causes.push(fieldError.invalid(child(at, 'effect'), t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    if (t.operator === undefined || t.operator === 'Equal') {
      if (t.value) causes.push(...isLabelValue(t.value).map((msg) => fieldError.invalid(child(at, 'value'), t.value, msg)));
    } else if (t.operator === 'Exists') {
      if (t.value) causes.push(fieldError.invalid(child(at, 'operator'), t.value, 'value must be empty when `operator` is \'Exists\''));
    } else {
      causes.push(fieldError.notSupported(child(at, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) {
      if (!TAINT_EFFECTS.includes(t.effect)) causes.push(fieldError.notSupported(child(at, 'effect'), t.effect, TAINT_EFFECTS));
    }
  });
  return causes;
}

export const runtimeClassStrategy: Strategy = {
  validate(obj) {
    const rc = obj as Rc;
    const causes: StatusCause[] = [];
    const handler = rc.handler ?? '';
    causes.push(...isDns1123Label(handler).map((msg) => fieldError.invalid('handler', handler, msg)));
    if (rc.overhead?.podFixed) causes.push(...validateResourceList(rc.overhead.podFixed, 'overhead.podFixed'));
    if (rc.scheduling?.nodeSelector) causes.push(...validateLabels(rc.scheduling.nodeSelector, 'scheduling.nodeSelector'));
    if (rc.scheduling?.tolerations) causes.push(...validateTolerations(rc.scheduling.tolerations, 'scheduling.tolerations'));
    return causes;
  },
  validateUpdate(obj, old) {
    const handler = (obj as Rc).handler ?? '';
    return handler === ((old as Rc).handler ?? '') ? [] : [fieldError.invalid('handler', handler, 'field is immutable')];
  },
};
