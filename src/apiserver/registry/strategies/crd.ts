// CustomResourceDefinitions: validated as Kubernetes validates them; a new definition carries the
// cleanup finalizer so its custom resources are removed before it goes.
import type { Strategy } from '../strategy.ts';
import { defaultCrd, validateCrd, validateCrdUpdate } from '../../crd/validation.ts';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export const crdStrategy: Strategy = {
  defaults: (obj) => defaultCrd(obj),
  prepareForCreate(obj) {
    obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER])];
    obj.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
  },
  validate: (obj) => validateCrd(obj),
  validateUpdate: (obj, old) => validateCrdUpdate(obj, old),
};
