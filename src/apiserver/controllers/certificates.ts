// The control plane's part of certificates.k8s.io, as kube-controller-manager's csrapproving and
// csrsigning controllers:
// - the approver approves a request for a node's client certificate (signer
//   kubernetes.io/kube-apiserver-client-kubelet, subject exactly CN=system:node:NAME with NAME a
//   valid node name and O=system:nodes, no subject alternative names, usages client auth plus
//   optionally digital signature and key encipherment) when its requester may have it approved:
//   `create` on certificatesigningrequests/nodeclient (bootstrap tokens, by default) for a new
//   node, or certificatesigningrequests/selfnodeclient for a node renewing its own (requester
//   system:node:NAME). Anything else stays Pending for a person to approve or deny.
// - the signer issues, with the cluster CA, the certificate of every Approved request for
//   kube-apiserver-client-kubelet (checked as above) and kube-apiserver-client (client auth
//   usages); a request it cannot honour gets a Failed condition saying why.
import type { CertificateSigningRequest } from '../../api/kinds/certificates.ts';
import type { Logger } from '../../common/log.ts';
import { API_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, parseRequest, requestPem, verifyRequest, type ParsedRequest } from '../../common/certificate-request.ts';
import { ApiError } from '../errors.ts';
import { signClientCertificateForKey, type CertificateAuthority } from '../pki.ts';
import type { Registry } from '../registry/registry.ts';
import type { Authorize } from '../auth/attributes.ts';
import { nodeNameError } from '../auth/node-credentials.ts';
import { NODES_GROUP } from '../auth/node-authorizer.ts';
import { KeyedLoop } from './work-queue.ts';

const CSR_PREFIX = '/certificates.k8s.io/certificatesigningrequests/';
const NODE_USER_PREFIX = 'system:node:';
const CLIENT_USAGES = new Set(['client auth', 'digital signature', 'key encipherment']);
const FIELD_MANAGER = 'certificate-controller';

type Csr = CertificateSigningRequest;

export interface CertificateControllerOptions {
  ca: CertificateAuthority;
  /** The longest certificate the signer issues (a request's expirationSeconds may ask for less). */
  maxDurationSeconds: number;
  /** The server's authorizer, to ask whether a requester may have a node certificate approved. */
  authorize: Authorize;
}

/** Why a request is not one for a node's client certificate, or undefined when it is. */
export function nodeClientRequestError(parsed: ParsedRequest, usages: string[]): string | undefined {
  if (parsed.commonNames.length !== 1 || !parsed.commonName?.startsWith(NODE_USER_PREFIX)) return `subject common name must be ${NODE_USER_PREFIX}<node name>`;
  const invalid = nodeNameError(parsed.commonName.slice(NODE_USER_PREFIX.length));
  if (invalid) return invalid;
  if (parsed.organizations.length !== 1 || parsed.organizations[0] !== NODES_GROUP) return `subject organization must be exactly ${NODES_GROUP}`;
  if (parsed.otherSubjectAttributes.length > 0) return `subject may hold only CN and O, not ${parsed.otherSubjectAttributes.join(', ')}`;
  if (parsed.subjectAltNames.length > 0) return 'a node client certificate has no subject alternative names';
  return clientUsagesError(usages);
}

function clientUsagesError(usages: string[]): string | undefined {
  if (!usages.includes('client auth')) return 'usages must include "client auth"';
  const extra = usages.filter((u) => !CLIENT_USAGES.has(u));
  return extra.length > 0 ? `usages may only be "client auth", "digital signature" and "key encipherment", not ${extra.map((u) => JSON.stringify(u)).join(', ')}` : undefined;
}

function hasCondition(csr: Csr, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export class CertificateController {
  private readonly registry: Registry;
  private readonly opts: CertificateControllerOptions;
  private readonly log: Logger;
  private readonly loop: KeyedLoop;
  private stopWatch?: () => void;

  constructor(registry: Registry, opts: CertificateControllerOptions, log: Logger) {
    this.registry = registry;
    this.opts = opts;
    this.log = log;
    this.loop = new KeyedLoop((name) => this.sync(name), (name, err) => log.warn({ csr: name, err: String(err) }, 'certificate signing request not handled; retrying'));
  }

  start(): void {
    const store = this.registry.storageStore('certificates.k8s.io', 'certificatesigningrequests')!;
    for (const entry of store.listForWatch(undefined)) this.loop.add(entry.object.metadata.name!);
    this.stopWatch = this.registry.cache.watch(CSR_PREFIX, this.registry.cache.currentRevision(), (event) => {
      if (event.type !== 'DELETED') this.loop.add(event.entry.object.metadata.name!);
    });
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  private async sync(name: string): Promise<void> {
    // Cluster-scoped keys have an empty namespace segment: PREFIX/NAME.
    const csr = this.registry.cache.get(`${CSR_PREFIX}/${name}`)?.object as Csr | undefined;
    if (!csr || csr.metadata.deletionTimestamp) return;
    if (hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed') || csr.status?.certificate) return;
    const signer = csr.spec?.signerName;
    if (signer !== KUBELET_CLIENT_SIGNER && signer !== API_CLIENT_SIGNER) return;
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(requestPem(csr.spec.request));
      if (!(await verifyRequest(parsed))) throw new Error('the request is not signed by the key it carries');
    } catch (err) {
      if (hasCondition(csr, 'Approved')) await this.fail(csr, `invalid certificate request: ${(err as Error).message}`);
      return;
    }
    if (!hasCondition(csr, 'Approved')) {
      if (signer === KUBELET_CLIENT_SIGNER) await this.maybeApprove(csr, parsed);
      return;
    }
    await this.sign(csr, parsed);
  }

  /** Approves a node's client certificate when its requester may have it approved; otherwise leaves it Pending. */
  private async maybeApprove(csr: Csr, parsed: ParsedRequest): Promise<void> {
    const usages = csr.spec.usages ?? [];
    if (nodeClientRequestError(parsed, usages) !== undefined) return;
    const requester = { username: csr.spec.username ?? '', uid: csr.spec.uid, groups: csr.spec.groups ?? [], extra: csr.spec.extra };
    const renewal = parsed.commonName === requester.username;
    const subresource = renewal ? 'selfnodeclient' : 'nodeclient';
    const decision = this.opts.authorize(requester, {
      kind: 'resource', verb: 'create', apiGroup: 'certificates.k8s.io', apiVersion: 'v1', resource: 'certificatesigningrequests', subresource, namespace: '', name: '',
    });
    if (!decision.allowed) {
      this.log.info({ csr: csr.metadata.name, requester: requester.username, subject: parsed.commonName }, `left pending: the requester may not create certificatesigningrequests/${subresource}`);
      return;
    }
    const message = renewal ? 'Auto approving self kubelet client certificate after SubjectAccessReview.' : 'Auto approving kubelet client certificate after SubjectAccessReview.';
    await this.writeStatus(csr, 'approval', {
      ...csr.status,
      conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message }],
    });
    this.log.info({ csr: csr.metadata.name, node: parsed.commonName, requester: requester.username }, 'approved a node client certificate');
  }

  private async sign(csr: Csr, parsed: ParsedRequest): Promise<void> {
    const usages = csr.spec.usages ?? [];
    const invalid = csr.spec.signerName === KUBELET_CLIENT_SIGNER ? nodeClientRequestError(parsed, usages) : clientUsagesError(usages);
    if (invalid) return this.fail(csr, invalid);
    if (!parsed.commonName) return this.fail(csr, 'the subject has no common name to be the user name');
    const seconds = Math.min(csr.spec.expirationSeconds ?? Infinity, this.opts.maxDurationSeconds);
    const certPem = await signClientCertificateForKey(this.opts.ca, {
      commonName: parsed.commonName, organizations: parsed.organizations, publicKey: parsed.request.publicKey, seconds,
    });
    await this.writeStatus(csr, 'status', { ...csr.status, certificate: Buffer.from(certPem, 'utf8').toString('base64') });
    this.log.info({ csr: csr.metadata.name, subject: parsed.commonName, seconds }, 'issued a certificate');
  }

  private async fail(csr: Csr, message: string): Promise<void> {
    await this.writeStatus(csr, 'status', {
      ...csr.status,
      conditions: [...(csr.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message }],
    });
    this.log.info({ csr: csr.metadata.name, reason: message }, 'refused to sign a certificate signing request');
  }

  private async writeStatus(csr: Csr, subresource: 'status' | 'approval', status: Csr['status']): Promise<void> {
    const store = this.registry.storageStore('certificates.k8s.io', 'certificatesigningrequests')!;
    try {
      await store.update(undefined, csr.metadata.name!, { ...csr, status }, { warnings: [], fieldManager: FIELD_MANAGER }, subresource);
    } catch (err) {
      // A newer version exists: its own event brings it back here.
      if (!(err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'NotFound'))) throw err;
    }
  }
}

