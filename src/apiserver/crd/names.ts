// From a CustomResourceDefinition to served resources. First the names: a definition's names are
// accepted unless another definition of the same group already holds one of them (as plural,
// singular or short name; as kind or list kind), and a definition whose names are accepted is
// Established. Then each served version of an Established definition becomes one
// ResourceDefinition, under the accepted names.
import type { KubeObject } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { ALL_VERBS, type PrinterColumn, type ResourceDefinition } from '../../api/resources.ts';
import type { CustomResourceDefinition, CustomResourceDefinitionCondition, CustomResourceDefinitionNames } from '../../api/kinds/apiextensions.ts';

export interface CrdNamesStatus {
  acceptedNames: CustomResourceDefinitionNames;
  /** NamesAccepted, then Established (without lastTransitionTime; the caller keeps those). */
  conditions: CustomResourceDefinitionCondition[];
}

/** Names with Kubernetes' defaults: singular is the lower-case kind, listKind the kind + "List". */
export function defaultedNames<T extends Partial<CustomResourceDefinitionNames>>(names: T): T {
  const kind = names.kind ?? '';
  return {
    ...names,
    singular: names.singular || kind.toLowerCase(),
    listKind: names.listKind || (kind ? `${kind}List` : ''),
  };
}

/** spec.names with Kubernetes' defaults applied. */
export function requestedNames(crd: CustomResourceDefinition): CustomResourceDefinitionNames {
  return defaultedNames(crd.spec.names);
}

/** Decides which of `crd`'s names it may use, given the other definitions' accepted names. */
export function crdNamesStatus(obj: KubeObject, others: KubeObject[]): CrdNamesStatus {
  const crd = obj as CustomResourceDefinition;
  const requested = requestedNames(crd);
  const accepted: Partial<CustomResourceDefinitionNames> = crd.status?.acceptedNames ?? {};
  const next: CustomResourceDefinitionNames = { plural: accepted.plural ?? '', kind: accepted.kind ?? '', ...withoutEmpty(accepted) };

  const resourcesInUse = new Set<string>();
  const kindsInUse = new Set<string>();
  for (const other of others as CustomResourceDefinition[]) {
    if (other.spec?.group !== crd.spec.group || other.metadata?.name === crd.metadata?.name) continue;
    const names: Partial<CustomResourceDefinitionNames> = other.status?.acceptedNames ?? {};
    for (const n of [names.plural, names.singular, ...(names.shortNames ?? [])]) if (n) resourcesInUse.add(n);
    for (const n of [names.kind, names.listKind]) if (n) kindsInUse.add(n);
  }

  let conflict: { reason: string; message: string } | undefined;
  const take = (field: 'plural' | 'singular' | 'kind' | 'listKind', inUse: Set<string>, reason: string) => {
    const wanted = requested[field] ?? '';
    if (wanted === (accepted[field] ?? '') || !inUse.has(wanted)) next[field] = wanted;
    else conflict = { reason, message: `"${wanted}" is already in use` };
  };
  take('plural', resourcesInUse, 'PluralConflict');
  take('singular', resourcesInUse, 'SingularConflict');
  const wantedShortNames = requested.shortNames ?? [];
  if (JSON.stringify(wantedShortNames) !== JSON.stringify(accepted.shortNames ?? [])) {
    const held = new Set(accepted.shortNames ?? []);
    const taken = wantedShortNames.filter((n) => !held.has(n) && resourcesInUse.has(n));
    if (taken.length > 0) {
      const messages = taken.map((n) => `"${n}" is already in use`);
      conflict = { reason: 'ShortNamesConflict', message: messages.length === 1 ? messages[0] : `[${messages.join(', ')}]` };
    } else {
      next.shortNames = requested.shortNames;
    }
  }
  take('kind', kindsInUse, 'KindConflict');
  take('listKind', kindsInUse, 'ListKindConflict');
  next.categories = requested.categories;

  const namesAccepted: CustomResourceDefinitionCondition = conflict
    ? { type: 'NamesAccepted', status: 'False', ...conflict }
    : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
  const previous = (crd.status?.conditions ?? []).find((c) => c.type === 'Established');
  let established: CustomResourceDefinitionCondition;
  if (previous?.status === 'True') {
    // Once served, a definition stays served; a later name conflict only keeps the new names out.
    established = { type: 'Established', status: 'True', reason: previous.reason, message: previous.message };
  } else if (namesAccepted.status === 'True') {
    established = { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' };
  } else {
    established = { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
  }
  return { acceptedNames: withoutEmpty(next) as CustomResourceDefinitionNames, conditions: [namesAccepted, established] };
}

/** Drops unset optional names, so that accepted names compare equal to what was stored. */
function withoutEmpty(names: Partial<CustomResourceDefinitionNames>): Partial<CustomResourceDefinitionNames> {
  const out = { ...names };
  for (const k of Object.keys(out) as (keyof CustomResourceDefinitionNames)[]) {
    const v = out[k];
    const empty = v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
    if (empty && k !== 'plural' && k !== 'kind') delete out[k];
  }
  return out;
}

/** One ResourceDefinition per served version, named by the accepted names. */
export function crdResourceDefinitions(obj: KubeObject): ResourceDefinition[] {
  const crd = obj as CustomResourceDefinition;
  const requested = requestedNames(crd);
  const accepted: Partial<CustomResourceDefinitionNames> = crd.status?.acceptedNames ?? {};
  const names = {
    plural: accepted.plural || requested.plural,
    singular: accepted.singular || requested.singular!,
    kind: accepted.kind || requested.kind,
    listKind: accepted.listKind || requested.listKind!,
    shortNames: accepted.shortNames ?? requested.shortNames,
    categories: accepted.categories ?? requested.categories,
  };
  const group = crd.spec.group;
  const storageVersion = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name ?? '';
  return crd.spec.versions.filter((v) => v.served).map((v): ResourceDefinition => {
    const hasStatus = v.subresources?.status !== undefined && v.subresources.status !== null;
    const scale = v.subresources?.scale;
    return {
      group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind,
      plural: names.plural,
      singular: names.singular,
      namespaced: crd.spec.scope === 'Namespaced',
      ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories?.length ? { categories: names.categories } : {}),
      verbs: [...ALL_VERBS],
      subresources: [...(hasStatus ? ['status'] : []), ...(scale ? ['scale'] : [])],
      ...(scale ? { scale: { specReplicasPath: scale.specReplicasPath, statusReplicasPath: scale.statusReplicasPath, ...(scale.labelSelectorPath ? { labelSelectorPath: scale.labelSelectorPath } : {}) } } : {}),
      schema: resourceSchema(v.schema?.openAPIV3Schema),
      printerColumns: (v.additionalPrinterColumns ?? []).map((c): PrinterColumn => ({
        name: c.name,
        type: c.type as PrinterColumn['type'],
        jsonPath: c.jsonPath,
        ...(c.description ? { description: c.description } : {}),
        ...(c.format ? { format: c.format } : {}),
        ...(c.priority ? { priority: c.priority } : {}),
      })),
      storageVersion,
      hasStatus,
      openapiPrefix: `${group.split('.').reverse().join('.')}.${v.name}`,
    };
  });
}

/** The version's schema, completed with the apiVersion, kind and metadata every object has. */
function resourceSchema(schema: JSONSchemaProps | undefined): JSONSchemaProps {
  const root: JSONSchemaProps = structuredClone(schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  const properties = root.properties ?? {};
  root.type ??= 'object';
  root.properties = {
    apiVersion: properties.apiVersion ?? { type: 'string', description: 'The versioned schema of this object: group/version.' },
    kind: properties.kind ?? { type: 'string', description: 'The kind of this object, in CamelCase.' },
    metadata: properties.metadata ?? { type: 'object', description: 'Standard object metadata.' },
    ...properties,
  };
  return root;
}
