// CertificateSigningRequests, as Kubernetes keeps them: the spec is fixed at creation (a main
// update keeps the stored spec, whatever the body says) and its requester fields are the server's
// to set; approval (Approved/Denied conditions) goes through the approval subresource only, the
// certificate and Failed through status; conditions are never removed, Approved and Denied exclude
// each other, and an issued certificate never changes.
import type { StatusCause, Unvalidated } from '../../../api/meta.ts';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from '../../../api/kinds/certificates.ts';
import { KEY_USAGES, parseRequest, requestPem } from '../../../common/certificate-request.ts';
import { fieldCause } from '../../errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import type { Strategy } from '../strategy.ts';

type Csr = Unvalidated<CertificateSigningRequest>;

const MIN_EXPIRATION_SECONDS = 600;
const FINAL_CONDITIONS = ['Approved', 'Denied', 'Failed'];
const APPROVAL_CONDITIONS = ['Approved', 'Denied'];
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?-----END CERTIFICATE-----/g;

function conditionsOf(csr: Csr, type?: string): CertificateSigningRequestCondition[] {
  return (csr.status?.conditions ?? []).filter((c) => type === undefined || c.type === type);
}

/** Fills lastUpdateTime, and lastTransitionTime (kept from the old condition of that type while its status holds). */
function populateConditionTimestamps(csr: Csr, old: Csr): void {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const condition of conditionsOf(csr)) {
    condition.lastUpdateTime ||= now;
    if (condition.lastTransitionTime) continue;
    const before = conditionsOf(old, condition.type)[0];
    condition.lastTransitionTime = before && before.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now;
  }
}

function validateSpec(csr: Csr): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = csr.spec;
  if (!spec) return [fieldCause('FieldValueRequired', 'spec', 'Required value')];
  if (!spec.request) {
    causes.push(fieldCause('FieldValueRequired', 'spec.request', 'Required value'));
  } else {
    try {
      parseRequest(requestPem(spec.request));
    } catch (err) {
      causes.push(fieldCause('FieldValueInvalid', 'spec.request', `Invalid value: "<request>": ${(err as Error).message}`));
    }
  }
  if (!spec.signerName) {
    causes.push(fieldCause('FieldValueRequired', 'spec.signerName', 'Required value'));
  } else if (!spec.signerName.includes('/') || isQualifiedName(spec.signerName).length > 0) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.signerName', `Invalid value: ${JSON.stringify(spec.signerName)}: must be a fully qualified domain and path of the form 'example.com/signer-name'`));
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds < MIN_EXPIRATION_SECONDS) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.expirationSeconds', `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 600 seconds (10 minutes)`));
  }
  if (!spec.usages || spec.usages.length === 0) causes.push(fieldCause('FieldValueRequired', 'spec.usages', 'Required value'));
  (spec.usages ?? []).forEach((usage, i) => {
    if (!KEY_USAGES.includes(usage)) causes.push(fieldCause('FieldValueNotSupported', `spec.usages[${i}]`, `Unsupported value: ${JSON.stringify(usage)}: supported values: ${KEY_USAGES.map((u) => JSON.stringify(u)).join(', ')}`));
  });
  return causes;
}

function validateStatus(csr: Csr): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  conditionsOf(csr).forEach((c, i) => {
    const at = `status.conditions[${i}]`;
    if (!c.type) causes.push(fieldCause('FieldValueRequired', `${at}.type`, 'Required value'));
    if (seen.has(c.type)) causes.push(fieldCause('FieldValueDuplicate', `${at}.type`, `Duplicate value: ${JSON.stringify(c.type)}`));
    seen.add(c.type);
    if (FINAL_CONDITIONS.includes(c.type) && c.status !== 'True') {
      causes.push(fieldCause('FieldValueNotSupported', `${at}.status`, `Unsupported value: ${JSON.stringify(c.status ?? '')}: supported values: "True"`));
    } else if (!['True', 'False', 'Unknown'].includes(c.status)) {
      causes.push(fieldCause('FieldValueNotSupported', `${at}.status`, `Unsupported value: ${JSON.stringify(c.status ?? '')}: supported values: "False", "True", "Unknown"`));
    }
  });
  if (seen.has('Approved') && seen.has('Denied')) {
    causes.push(fieldCause('FieldValueInvalid', 'status.conditions', 'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive'));
  }
  const certificate = csr.status?.certificate;
  if (certificate) {
    const pem = Buffer.from(certificate, 'base64').toString('utf8');
    if ((pem.match(CERTIFICATE_PEM) ?? []).length === 0) {
      causes.push(fieldCause('FieldValueInvalid', 'status.certificate', 'Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block'));
    }
  }
  return causes;
}

export const certificateSigningRequestStrategy: Strategy = {
  nameRule: 'path-segment',
  prepareForCreate(obj) {
    const csr = obj as Csr;
    delete csr.status;
    // Who asked is the server's to say (admission fills it in from the authenticated user).
    if (csr.spec) {
      delete csr.spec.username;
      delete csr.spec.uid;
      delete csr.spec.groups;
      delete csr.spec.extra;
    }
  },
  prepareForUpdate(obj, old) {
    (obj as Csr).spec = structuredClone((old as Csr).spec);
  },
  prepareForSubresourceUpdate(subresource, obj, old) {
    const csr = obj as Csr;
    const before = old as Csr;
    if (subresource === 'status') {
      // Approval is the approval subresource's: a status write keeps the approval conditions as they were.
      const kept = conditionsOf(before).filter((c) => APPROVAL_CONDITIONS.includes(c.type));
      const rest = conditionsOf(csr).filter((c) => !APPROVAL_CONDITIONS.includes(c.type));
      csr.status = { ...csr.status, conditions: [...kept, ...rest] };
      if (csr.status.conditions!.length === 0) delete csr.status.conditions;
    }
    populateConditionTimestamps(csr, before);
  },
  validate: (obj) => [...validateSpec(obj as Csr), ...validateStatus(obj as Csr)],
  validateUpdate(obj, old) {
    const csr = obj as Csr;
    const before = old as Csr;
    const causes: StatusCause[] = [];
    for (const type of FINAL_CONDITIONS) {
      if (conditionsOf(csr, type).length < conditionsOf(before, type).length) {
        causes.push(fieldCause('FieldValueForbidden', 'status.conditions', `Forbidden: updates may not remove a condition of type ${JSON.stringify(type)}`));
      }
    }
    if (before.status?.certificate && csr.status?.certificate !== before.status.certificate) {
      causes.push(fieldCause('FieldValueInvalid', 'status.certificate', 'Invalid value: "[omitted]": updates may not modify existing certificate content'));
    }
    return causes;
  },
  selectableFields: (obj) => ({ 'spec.signerName': (obj as Csr).spec?.signerName ?? '' }),
};
