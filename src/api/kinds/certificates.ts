// certificates.k8s.io/v1 CertificateSigningRequest: a request for an x509 certificate from a
// signer, approved or denied (the approval subresource) and then issued (the status subresource).
// Node agents get their client certificates this way.
import { Type, type Static } from '@sinclair/typebox';
import { base64, describe, int32, list, mapOf, object, string, timestamp } from './fields.ts';
import { kindSchema } from './meta.ts';

export const CertificateSigningRequestSpecSchema = object('The certificate request. Immutable after creation; username, uid, groups and extra are set by the server.', {
  request: base64('An x509 certificate signing request in a "CERTIFICATE REQUEST" PEM block (base64 in JSON).'),
  signerName: string('The signer asked to issue the certificate, e.g. kubernetes.io/kube-apiserver-client-kubelet.'),
  expirationSeconds: int32('Requested validity of the certificate, at least 600; the signer may issue a shorter one.'),
  usages: list(Type.String(), 'Key usages requested, e.g. "digital signature", "key encipherment", "client auth".'),
  username: string('The user who created the request (set by the server).'),
  uid: string('The uid of the user who created the request (set by the server).'),
  groups: list(Type.String(), 'The groups of the user who created the request (set by the server).'),
  extra: mapOf(list(Type.String(), 'Values of one key.'), 'Further attributes of the user who created the request (set by the server).'),
}, ['request', 'signerName']);
export type CertificateSigningRequestSpec = Static<typeof CertificateSigningRequestSpecSchema>;

export const CertificateSigningRequestConditionSchema = object('A state of the request: Approved, Denied or Failed.', {
  type: string('Approved, Denied or Failed.'),
  status: string('True (Approved, Denied and Failed may be nothing else), False or Unknown.'),
  reason: string('A brief reason, in CamelCase.'),
  message: string('Details for a human.'),
  lastUpdateTime: timestamp('When the condition was last updated.'),
  lastTransitionTime: timestamp('When the condition last changed status.'),
}, ['type', 'status']);
export type CertificateSigningRequestCondition = Static<typeof CertificateSigningRequestConditionSchema>;

export const CertificateSigningRequestSchema = kindSchema('A request for a certificate, approved or denied, then issued by its signer.', {
  spec: describe(CertificateSigningRequestSpecSchema, 'The request.'),
  status: describe(object('Whether the request is approved or denied, and the certificate issued.', {
    conditions: list(CertificateSigningRequestConditionSchema, 'Approved, Denied and Failed conditions; none may be removed once added.', { listType: 'map', keys: ['type'] }),
    certificate: base64('The issued certificate, PEM (base64 in JSON); immutable once set.'),
  }), 'Set through the approval and status subresources.'),
}, ['spec']);
export type CertificateSigningRequest = Static<typeof CertificateSigningRequestSchema>;
