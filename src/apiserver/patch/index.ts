// PATCH and server-side apply: JSON patch, merge patch, strategic merge patch, field sets and
// managedFields. Pure, synchronous functions over plain JSON values, driven by the schema of the
// whole object; the registry decides which to call and stores the result.
export { applyJsonPatch, type JsonPatchOperation } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge-patch.ts';
export { FieldSet, pathToString, type FieldPath, type PathElement } from './field-set.ts';
export { fieldsOf, compareValues, type Comparison } from './typed-value.ts';
export { updateManagedFields, decodeManagedFields, encodeManagedFields, type UpdateOptions } from './managed-fields.ts';
export { serverSideApply, LAST_APPLIED_ANNOTATION, type ApplyOptions, type ApplyResult } from './server-side-apply.ts';
