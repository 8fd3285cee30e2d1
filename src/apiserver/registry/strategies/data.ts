// ConfigMaps and Secrets: key names, the 1 MiB size bound, `immutable`, and Secret's stringData
// (a write-only convenience folded into base64 data).
import type { ConfigMap, Secret } from '../../../api/kinds/core.ts';
import type { StatusCause } from '../../../api/meta.ts';
import { fieldCause } from '../../errors.ts';
import type { Strategy } from '../strategy.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_DATA_BYTES = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes a value holds as Kubernetes counts them: UTF-8 for strings, decoded bytes for base64 data. */
const utf8Bytes = (value: string) => Buffer.byteLength(value, 'utf8');
const base64Bytes = (value: string) => Math.floor((value.length * 3) / 4) - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);

function validateKeys(obj: Pick<ConfigMap, 'data' | 'binaryData'>, fields: ('data' | 'binaryData')[], bytesOf: (field: 'data' | 'binaryData', value: string) => number, sizeField: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let size = 0;
  const seen = new Set<string>();
  for (const field of fields) {
    for (const [key, value] of Object.entries(obj[field] ?? {})) {
      if (!KEY.test(key) || key.length > 253) {
        causes.push(fieldCause('FieldValueInvalid', `${field}[${key}]`, `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`));
      }
      if (seen.has(key)) causes.push(fieldCause('FieldValueInvalid', `${field}[${key}]`, `Invalid value: ${JSON.stringify(key)}: duplicate of key present in ${fields[0]}`));
      seen.add(key);
      if (typeof value !== 'string') causes.push(fieldCause('FieldValueTypeInvalid', `${field}[${key}]`, 'Invalid value: the value must be a string'));
      else size += bytesOf(field, value);
    }
  }
  if (size > MAX_DATA_BYTES) causes.push(fieldCause('FieldValueTooLong', sizeField, `Too long: must have at most ${MAX_DATA_BYTES} bytes`));
  return causes;
}

function immutableCauses(obj: ConfigMap | Secret, old: ConfigMap | Secret, fields: string[]): StatusCause[] {
  if (old.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (obj.immutable !== true) causes.push(fieldCause('FieldValueForbidden', 'immutable', 'Forbidden: field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (JSON.stringify((obj as Record<string, unknown>)[f] ?? {}) !== JSON.stringify((old as Record<string, unknown>)[f] ?? {})) {
      causes.push(fieldCause('FieldValueForbidden', f, 'Forbidden: field is immutable when `immutable` is set'));
    }
  }
  return causes;
}

export const configMapStrategy: Strategy = {
  validate: (obj) => validateKeys(obj as ConfigMap, ['data', 'binaryData'], (field, value) => (field === 'data' ? utf8Bytes(value) : base64Bytes(value)), ''),
  validateUpdate: (obj, old) => immutableCauses(obj as ConfigMap, old as ConfigMap, ['data', 'binaryData']),
};

export const secretStrategy: Strategy = {
  defaults(obj) {
    const secret = obj as Secret;
    secret.type ??= 'Opaque';
    if (secret.stringData && typeof secret.stringData === 'object') {
      secret.data = { ...secret.data };
      for (const [k, v] of Object.entries(secret.stringData)) secret.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    }
    delete secret.stringData;
  },
  validate(obj) {
    const secret = obj as Secret;
    const causes = validateKeys(secret, ['data'], (_field, value) => base64Bytes(value), 'data');
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      if (typeof value === 'string' && !BASE64.test(value)) {
        causes.push(fieldCause('FieldValueInvalid', `data[${key}]`, 'Invalid value: "<secret contents redacted>": illegal base64 data'));
      }
    }
    return causes;
  },
  validateUpdate(obj, old) {
    const causes = immutableCauses(obj as Secret, old as Secret, ['data']);
    if ((obj as Secret).type !== (old as Secret).type) causes.push(fieldCause('FieldValueInvalid', 'type', `Invalid value: ${JSON.stringify((obj as Secret).type)}: field is immutable`));
    return causes;
  },
  selectableFields: (obj) => ({ type: (obj as Secret).type ?? '' }),
};
