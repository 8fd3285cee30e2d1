// Adding and removing a finalizer with a JSON patch whose `test` operation makes it safe against
// concurrent writers: if the finalizer list changed since it was read, the patch fails (422 / 409)
// and the caller's next reconcile tries again on fresh data.
import type { KubeObject } from '../api/meta.ts';
import type { ResourceApi } from '../client/resource.ts';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

export async function addFinalizer<T extends KubeObject>(api: ResourceApi<T>, obj: T, finalizer: string): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  const current = obj.metadata.finalizers;
  const ops = current === undefined
    ? [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }]
    : [{ op: 'test', path: '/metadata/finalizers', value: current }, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }];
  return api.patch(obj.metadata.name!, obj.metadata.namespace, ops, 'json');
}

export async function removeFinalizer<T extends KubeObject>(api: ResourceApi<T>, obj: T, finalizer: string): Promise<T> {
  const current = obj.metadata.finalizers ?? [];
  const index = current.indexOf(finalizer);
  if (index < 0) return obj;
  return api.patch(obj.metadata.name!, obj.metadata.namespace, [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ], 'json');
}
