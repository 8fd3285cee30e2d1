// Admission for CertificateSigningRequests, as Kubernetes' (the registry's requester fields and
// the CertificateApproval and CertificateSigning plugins): a new request records who asked, from
// the authenticated user, whatever the body said; approving or denying (the approval subresource)
// needs `approve` on certificates.k8s.io `signers` named after the request's signer (or its
// domain/*), and setting the certificate (the status subresource) needs `sign` on it — so the right
// to update CSRs alone does not make someone a certificate authority's approver.
import type { CertificateSigningRequest as Csr } from '../../api/kinds/certificates.ts';
import type { Authorize } from './attributes.ts';
import { errors } from '../errors.ts';
import type { WriteCheck } from './escalation.ts';
import type { UserInfo } from './user.ts';

const GROUP = 'certificates.k8s.io';

/** Whether `user` may `verb` (approve, sign) for `signerName`, by its name or its domain's wildcard. */
export function allowedForSigner(authorize: Authorize, user: UserInfo, verb: 'approve' | 'sign', signerName: string): boolean {
  const names = [signerName, `${signerName.split('/')[0]}/*`];
  return names.some((name) => authorize(user, { kind: 'resource', verb, apiGroup: GROUP, apiVersion: '*', resource: 'signers', subresource: '', namespace: '', name }).allowed);
}

export function certificateAdmission(user: UserInfo, subresource: string, authorize: Authorize): WriteCheck {
  return (obj, old) => {
    const csr = obj as Csr;
    if (!old) return recordRequester(user, csr);
    const signerName = csr.spec?.signerName ?? '';
    const refuse = (verb: string) => errors.forbidden('certificatesigningrequests', GROUP, csr.metadata.name ?? '', `user not permitted to ${verb} requests with signerName ${JSON.stringify(signerName)}`);
    if (subresource === 'approval' && !allowedForSigner(authorize, user, 'approve', signerName)) throw refuse('approve');
    if (subresource === 'status' && csr.status?.certificate !== (old as Csr).status?.certificate && !allowedForSigner(authorize, user, 'sign', signerName)) throw refuse('sign');
  };
}

function recordRequester(user: UserInfo, csr: Csr): void {
  // A request without a spec is refused by validation afterwards, which names what is missing.
  const spec = (csr.spec ??= {} as Csr['spec']);
  spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length > 0) spec.extra = structuredClone(user.extra);
  else delete spec.extra;
}
