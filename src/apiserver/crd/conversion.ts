// Conversion of custom resources between the versions of a definition with strategy None: all
// versions share one shape, so converting only rewrites apiVersion (of a list's items too).
import type { KubeObject } from '../../api/meta.ts';
import { formatApiVersion, parseApiVersion } from '../../api/meta.ts';

/** A copy of `obj` (or of a list of such objects) in `toVersion` of its group. */
export function convertCustomResource<T extends KubeObject>(obj: T, toVersion: string): T {
  const apiVersion = formatApiVersion(parseApiVersion(obj.apiVersion).group, toVersion);
  const converted: T = { ...obj, apiVersion };
  if (obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    (converted as KubeObject).items = (obj.items as KubeObject[]).map((item) => ({ ...item, apiVersion: formatApiVersion(parseApiVersion(item.apiVersion).group, toVersion) }));
  }
  return converted;
}
