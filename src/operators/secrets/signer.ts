// The signer of secrets.granary.dev/<class>: for each CertificateSigningRequest of one of our
// signers, approves or denies a pod's request (approval.ts), then issues the certificate of every
// approved request with the class's CA for the class's lifetime. A pod's certificate names the
// node's names it asked for plus the class's extra names; a request approved by a person (not a
// pod's) gets the subject and names it asked for. Requests it cannot honour get a Failed condition.
// @peculiar/x509 resolves its parts through a DI container that needs the Reflect metadata API first.
import 'reflect-metadata';
import type { CertificateSigningRequest } from '../../api/kinds/certificates.ts';
import type { Node, Pod } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import { isConflict, isNotFound } from '../../client/errors.ts';
import type { Logger } from '../../common/log.ts';
import { parseRequest, requestPem, verifyRequest, type ParsedRequest } from '../../common/certificate-request.ts';
import { distinguishedName, signLeaf, validityWithin } from '../../common/x509.ts';
import * as x509 from '@peculiar/x509';
import type { SharedCache } from '../../runtime/cache.ts';
import { Controller, type Action } from '../../runtime/controller.ts';
import {
  CERTIFICATE_USAGES, certificateLifetimeSeconds, SECRET_CLASS_API_VERSION, secretClassOfSigner, type SecretClass,
} from '../../runtime/secret-class.ts';
import { decidePodRequest, podRequestOf } from './approval.ts';
import type { ClassCaStore } from './ca.ts';

type Csr = CertificateSigningRequest;
type Condition = NonNullable<NonNullable<Csr['status']>['conditions']>[number];

export const SIGNER_MANAGER = 'secrets-operator';
const RETRY_MS = 5_000;
/** As Kubernetes' CSR cleaner: settled requests go after an hour, pending ones after a day. */
const SETTLED_TTL_MS = 60 * 60 * 1000;
const PENDING_TTL_MS = 24 * 60 * 60 * 1000;

const hasCondition = (csr: Csr, type: string) => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

const EXTENDED_USAGES: Record<string, x509.ExtendedKeyUsage> = {
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
};

export function signerController({ client, cache, log, cas }: { client: KubeClient; cache?: SharedCache; log: Logger; cas: ClassCaStore }): Controller<Csr> {
  const csrs = client.resource<Csr>('certificates.k8s.io/v1', 'CertificateSigningRequest');
  const pods = client.resource<Pod>('v1', 'Pod');
  const classes = client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass');

  const controller: Controller<Csr> = new Controller<Csr>({
    name: 'secrets-signer', client, cache, log, apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
    reconcile: async (csr) => reconcile(csr),
  }).watches('v1', 'Node', () => []);

  async function reconcile(csr: Csr): Promise<Action> {
    const className = secretClassOfSigner(csr.spec?.signerName);
    if (!className || csr.metadata.deletionTimestamp) return undefined;
    const settled = hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed') || Boolean(csr.status?.certificate);
    const age = Date.now() - Date.parse(csr.metadata.creationTimestamp ?? new Date().toISOString());
    const ttl = settled ? SETTLED_TTL_MS : PENDING_TTL_MS;
    if (age >= ttl) {
      await csrs.delete(csr.metadata.name!).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
      return undefined;
    }
    if (settled) return { requeueAfterMs: ttl - age };
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(requestPem(csr.spec.request));
      if (!(await verifyRequest(parsed))) throw new Error('the request is not signed by the key it carries');
    } catch (err) {
      return deny(csr, 'InvalidRequest', `invalid certificate request: ${(err as Error).message}`);
    }
    let secretClass: SecretClass;
    try {
      secretClass = await classes.get(className);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return deny(csr, 'UnknownSecretClass', `SecretClass ${className} does not exist`);
    }
    const podRequest = podRequestOf(csr);
    let hosts: string[];
    let subject: string;
    if (podRequest) {
      const pod = await pods.get(podRequest.name, podRequest.namespace).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      const decision = decidePodRequest({
        secretClass: className, requester: { username: csr.spec.username ?? '', groups: csr.spec.groups ?? [] }, usages: csr.spec.usages ?? [],
        parsed, request: podRequest, pod, nodes: controller.storeOf<Node>('v1', 'Node').list(),
      });
      if (!decision.approved) return deny(csr, decision.reason, decision.message);
      hosts = [...new Set([...decision.hosts, ...(secretClass.spec.extraNames ?? [])])];
      subject = distinguishedName(podRequest.name);
      if (!hasCondition(csr, 'Approved')) {
        csr = await writeConditions(csr, 'approval', { type: 'Approved', status: 'True', reason: 'PodOnRequestingNode', message: `pod ${podRequest.namespace}/${podRequest.name} is bound to the requesting node, and the names are the node's` });
        log.info({ csr: csr.metadata.name, pod: `${podRequest.namespace}/${podRequest.name}`, hosts }, 'approved a pod certificate');
      }
    } else {
      // Not a pod's: someone with `approve` on this signer vouches for it, or it stays Pending.
      if (!hasCondition(csr, 'Approved')) return { requeueAfterMs: PENDING_TTL_MS - age };
      const extra = (csr.spec.usages ?? []).filter((u) => !CERTIFICATE_USAGES.includes(u));
      if (extra.length > 0) return fail(csr, `usages may only be ${CERTIFICATE_USAGES.join(', ')}`);
      if (!parsed.commonName) return fail(csr, 'the subject has no common name');
      hosts = parsed.subjectAltNames.filter((n) => n.startsWith('dns:') || n.startsWith('ip:')).map((n) => n.slice(n.indexOf(':') + 1));
      subject = distinguishedName(parsed.commonName, parsed.organizations);
    }
    const ca = await cas.get(secretClass);
    if (!ca.ok) {
      log.info({ csr: csr.metadata.name, secretClass: className, reason: ca.message }, 'cannot sign yet');
      return { requeueAfterMs: RETRY_MS };
    }
    const usages = (csr.spec.usages ?? []).flatMap((u) => (EXTENDED_USAGES[u] ? [EXTENDED_USAGES[u]] : []));
    const seconds = Math.min(csr.spec.expirationSeconds ?? Infinity, certificateLifetimeSeconds(secretClass));
    const certPem = await signLeaf(ca.value.ca, {
      subject, publicKey: parsed.request.publicKey, valid: validityWithin(ca.value.ca, seconds),
      usages: usages.length > 0 ? usages : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], hosts,
    });
    const written = await write(csr, 'status', { ...csr.status, certificate: Buffer.from(certPem).toString('base64') });
    if (written !== csr) log.info({ csr: csr.metadata.name, secretClass: className, seconds }, 'issued a certificate');
    return undefined;
  }

  async function deny(csr: Csr, reason: string, message: string): Promise<Action> {
    await writeConditions(csr, 'approval', { type: 'Denied', status: 'True', reason, message });
    log.info({ csr: csr.metadata.name, requester: csr.spec?.username, reason, message }, 'denied a certificate signing request');
    return undefined;
  }

  async function fail(csr: Csr, message: string): Promise<Action> {
    await writeConditions(csr, 'status', { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message });
    return undefined;
  }

  async function writeConditions(csr: Csr, subresource: 'approval' | 'status', condition: Condition): Promise<Csr> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return write(csr, subresource, { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { ...condition, lastUpdateTime: now, lastTransitionTime: now }] });
  }

  /** The request as written, or `csr` itself when a newer version was there first. */
  async function write(csr: Csr, subresource: 'approval' | 'status', status: Csr['status']): Promise<Csr> {
    try {
      return await client.request<Csr>('PUT', await csrs.path(undefined, csr.metadata.name, subresource), {
        body: { ...csr, apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', status }, query: { fieldManager: SIGNER_MANAGER },
      });
    } catch (err) {
      // A newer version exists: its own event brings the request back here.
      if (isConflict(err) || isNotFound(err)) return csr;
      throw err;
    }
  }

  return controller;
}
