// Namespaces: Active until deleted, then Terminating while the namespace controller empties them;
// the "kubernetes" entry in spec.finalizers holds the deletion until then.
import type { Namespace } from '../../../api/kinds/core.ts';
import type { Strategy } from '../strategy.ts';

export const NAMESPACE_FINALIZER = 'kubernetes';
/** Namespaces the control plane relies on; deleting them is refused, as Kubernetes does. */
export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export const namespaceStrategy: Strategy = {
  nameRule: 'dns1123label',
  prepareForCreate(obj) {
    const ns = obj as Namespace;
    ns.spec = { ...ns.spec, finalizers: [NAMESPACE_FINALIZER] };
    ns.status = { phase: 'Active' };
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through the finalize subresource.
    (obj as Namespace).spec = structuredClone((old as Namespace).spec);
    if ((obj as Namespace).spec === undefined) delete (obj as Namespace).spec;
  },
  forbidDelete(obj) {
    return PROTECTED_NAMESPACES.has(obj.metadata.name ?? '') ? 'this namespace may not be deleted' : undefined;
  },
  onDeleteRequested(obj) {
    (obj as Namespace).status = { ...(obj as Namespace).status, phase: 'Terminating' };
  },
  deletionBlocked(obj) {
    return ((obj as Namespace).spec?.finalizers ?? []).length > 0;
  },
  selectableFields(obj) {
    return { 'status.phase': (obj as Namespace).status?.phase ?? '' };
  },
};
