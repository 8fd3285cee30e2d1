// Label and field selectors of a list or watch, turned into one predicate over objects.
// Every kind supports metadata.name and metadata.namespace; strategies add their own fields.
import type { KubeObject } from '../../api/meta.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '../../api/selectors.ts';
import { errors } from '../errors.ts';
import type { ResourceStore } from '../registry/store.ts';

export function buildFilter(selectors: { labelSelector?: string; fieldSelector?: string }, store: ResourceStore): ((obj: KubeObject) => boolean) | undefined {
  const labelText = selectors.labelSelector ?? '';
  const fieldText = selectors.fieldSelector ?? '';
  if (labelText === '' && fieldText === '') return undefined;
  const fieldsOf = (obj: KubeObject): Record<string, string> => ({
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
    ...store.strategy.selectableFields?.(obj),
  });
  try {
    const labels = labelText ? parseLabelSelector(labelText) : undefined;
    const supported = store.strategy.selectableFields ? undefined : ['metadata.name', 'metadata.namespace'];
    const fields = fieldText ? parseFieldSelector(fieldText, supported ?? selectableFieldNames(store)) : undefined;
    return (obj) => (!labels || matchesLabels(labels, obj.metadata.labels)) && (!fields || matchesFields(fields, fieldsOf(obj)));
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

/** The field names a kind's strategy offers, read off a blank object. */
function selectableFieldNames(store: ResourceStore): string[] {
  const blank = { apiVersion: '', kind: '', metadata: {} } as KubeObject;
  return ['metadata.name', 'metadata.namespace', ...Object.keys(store.strategy.selectableFields?.(blank) ?? {})];
}
