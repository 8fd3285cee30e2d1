// Namespaces: Active until deleted, then Terminating while the namespace controller empties them;
// the "kubernetes" entry in spec.finalizers holds the deletion until then.
import type { KubeObject } from '../../../api/meta.ts';
import type { Strategy } from '../strategy.ts';

export const NAMESPACE_FINALIZER = 'kubernetes';
/** Namespaces the control plane relies on; deleting them is refused, as Kubernetes does. */
export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

interface NamespaceFields { spec?: { finalizers?: string[] }; status?: { phase?: string } }

export const namespaceStrategy: Strategy = {
  nameRule: 'dns1123label',
  prepareForCreate(obj) {
    const ns = obj as KubeObject & NamespaceFields;
    ns.spec = { ...ns.spec, finalizers: [NAMESPACE_FINALIZER] };
    ns.status = { phase: 'Active' };
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through the finalize subresource.
    (obj as NamespaceFields).spec = structuredClone((old as NamespaceFields).spec);
    if ((obj as NamespaceFields).spec === undefined) delete (obj as NamespaceFields).spec;
  },
  forbidDelete(obj) {
    return PROTECTED_NAMESPACES.has(obj.metadata.name ?? '') ? 'this namespace may not be deleted' : undefined;
  },
  onDeleteRequested(obj) {
    (obj as NamespaceFields).status = { ...(obj as NamespaceFields).status, phase: 'Terminating' };
  },
  deletionBlocked(obj) {
    return ((obj as NamespaceFields).spec?.finalizers ?? []).length > 0;
  },
  selectableFields(obj) {
    return { 'status.phase': (obj as NamespaceFields).status?.phase ?? '' };
  },
};
