// JSON Merge Patch (RFC 7386, application/merge-patch+json): objects merge key by key, null
// deletes, and anything else (lists included) replaces the target value. Keys are read and
// written as own properties only, so no key of a patch reaches a prototype.
import { ownValue, setOwn } from '../../common/own-properties.ts';
import { isJsonObject, type JsonObject } from './json-value.ts';

/** Applies a merge patch to a copy of `doc` and returns the result. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return mergeInto(structuredClone(doc), patch);
}

/** Merges `patch` into `target` (which it may change) and returns the result. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const out: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else setOwn(out, key, mergeInto(ownValue(out, key), value));
  }
  return out;
}
