// How OpenAPI names things: definitions (io.k8s.api.core.v1.Pod), operation ids
// (listCoreV1NamespacedPod) and tags (core_v1), following Kubernetes' conventions so that
// clients keyed on those names (kubectl explain, generated clients) find what they expect.
import type { GroupVersionKind } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';

/** The prefix shared definitions from k8s.io/apimachinery's meta/v1 package are named under. */
export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/**
 * A resource with an `openapiPrefix` is a built-in kind: its definitions are named under that
 * prefix and it accepts strategic merge patches. One without is a custom resource, named by its
 * reversed group (zookeeper.granary.dev/v1alpha1 → dev.granary.zookeeper.v1alpha1), which
 * Kubernetes patches with JSON patch, merge patch and apply only.
 */
export function isBuiltin(r: Pick<ResourceDefinition, 'openapiPrefix'>): boolean {
  return r.openapiPrefix !== undefined && r.openapiPrefix !== '';
}

function definitionPrefix(r: Pick<ResourceDefinition, 'group' | 'version' | 'openapiPrefix'>): string {
  if (isBuiltin(r)) return r.openapiPrefix!;
  if (r.group === '') return `io.k8s.api.core.${r.version}`;
  return `${r.group.split('.').reverse().join('.')}.${r.version}`;
}

export function kindDefinitionName(r: Pick<ResourceDefinition, 'group' | 'version' | 'kind' | 'openapiPrefix'>): string {
  return `${definitionPrefix(r)}.${r.kind}`;
}

export function listDefinitionName(r: Pick<ResourceDefinition, 'group' | 'version' | 'listKind' | 'openapiPrefix'>): string {
  return `${definitionPrefix(r)}.${r.listKind}`;
}

/** The value of `x-kubernetes-group-version-kind` on a definition: a list, as one Go type may serve several kinds. */
export function gvkList(gvk: GroupVersionKind): GroupVersionKind[] {
  return [{ group: gvk.group, version: gvk.version, kind: gvk.kind }];
}

/** Camel-cases a name the way Kubernetes builds operation ids: separators dropped, the letter after each capitalised. */
function camel(text: string, capitalizeFirst: boolean): string {
  let out = '';
  let upper = capitalizeFirst;
  let position = 0;
  for (const ch of text) {
    const first = position++ === 0;
    if (/[\p{L}_]/u.test(ch) || (!first && /\d/.test(ch))) {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    } else {
      upper = true;
    }
  }
  return out;
}

/** The group as operation ids spell it: "" → core, "coordination.k8s.io" → coordination. */
function groupLabel(group: string): string {
  return group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
}

/** `list` + core/v1 + `NamespacedPod` → `listCoreV1NamespacedPod`. */
export function operationId(verb: string, group: string, version: string, rest: string): string {
  return `${verb}${camel(groupLabel(group), true)}${camel(version, true)}${camel(rest, true)}`;
}

/** core/v1 → core_v1; zookeeper.granary.dev/v1alpha1 → zookeeperGranaryDev_v1alpha1. */
export function operationTag(group: string, version: string): string {
  return `${camel(groupLabel(group), false)}_${camel(version, false)}`;
}

/** "status" → "Status": the suffix a subresource adds to operation ids. */
export function titleCase(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
