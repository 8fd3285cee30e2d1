// Admission: the checks a write must pass beyond authorization, run by the store on the object it
// would store (and the one it replaces). Each plugin looks at the request and returns its check,
// or nothing when the write is none of its business; the chain runs every check it got, in order.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { Attributes, Authorize } from './attributes.ts';
import { certificateAdmission } from './certificate-admission.ts';
import type { EscalationGuard, WriteCheck } from './escalation.ts';
import { nodeNameOf } from './node-authorizer.ts';
import { nodeRestriction } from './node-restriction.ts';
import type { UserInfo } from './user.ts';

/** A write as admission sees it: who makes it, what the request asks, and to which resource. */
export interface AdmissionRequest {
  user: UserInfo;
  attributes: Attributes;
  resource: Pick<ResourceDefinition, 'group' | 'plural'>;
}

export type AdmissionPlugin = (request: AdmissionRequest) => WriteCheck | undefined;

/** One plugin made of `plugins`: the checks of all that have one, run in order. */
export function admissionChain(plugins: readonly AdmissionPlugin[]): AdmissionPlugin {
  return (request) => {
    const checks = plugins.map((plugin) => plugin(request)).filter((check) => check !== undefined);
    if (checks.length <= 1) return checks[0];
    return (obj, old) => checks.forEach((check) => check(obj, old));
  };
}

/** RBAC writes may grant only what the writer holds (or may bind or escalate). */
export function escalationAdmission(guard: EscalationGuard): AdmissionPlugin {
  return ({ user, resource }) => guard.checkFor(user, resource);
}

/** Who may create, approve or sign a CertificateSigningRequest, and for which signer. */
export function certificateSigningRequestAdmission(authorize: Authorize): AdmissionPlugin {
  return ({ user, attributes, resource }) => (resource.group === 'certificates.k8s.io' && resource.plural === 'certificatesigningrequests' && attributes.kind === 'resource'
    ? certificateAdmission(user, attributes.subresource, authorize)
    : undefined);
}

/** NodeRestriction: a node writes only its own Node and Lease, and the status of its own pods. */
export const nodeRestrictionAdmission: AdmissionPlugin = ({ user, attributes }) => {
  const node = nodeNameOf(user);
  return node !== undefined && attributes.kind === 'resource' ? nodeRestriction(node, attributes) : undefined;
};
