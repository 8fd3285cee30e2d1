// Certificates from the platform: the names every part agrees on. A pod asks for a certificate
// with a CSI ephemeral volume (driver `secrets.granary.dev`, volumeAttributes.secretClass NAME);
// the node's agent makes the key, asks for the certificate with a CertificateSigningRequest for
// signer `secrets.granary.dev/NAME` (annotated with the pod it is for), and the secrets operator
// approves it only for a pod bound to the asking node and only for that node's names, then signs
// it with the class's CA. A SecretClass (cluster-scoped) says where the CA comes from, how long
// certificates live and which names they carry besides the node's; its status publishes the CA
// certificates that holders of its certificates should trust.
import { Type, type Static } from '@sinclair/typebox';
import type { Volume } from '../api/kinds/core.ts';
import { ConditionSchema, kindSchema } from '../api/kinds/meta.ts';
import { customResourceDefinition } from './crd.ts';

export const SECRETS_GROUP = 'secrets.granary.dev';
export const SECRET_CLASS_API_VERSION = `${SECRETS_GROUP}/v1alpha1`;
/** The CSI driver name a pod's volume names. */
export const SECRETS_DRIVER = SECRETS_GROUP;
/** The default class: certificates from the cluster's own CA, which the platform makes. */
export const DEFAULT_SECRET_CLASS = 'tls';
/** Where the platform keeps the CA of classes that do not name one. */
export const DEFAULT_CA_NAMESPACE = 'kube-system';

/** CertificateSigningRequest annotations naming the pod and volume a node asks for. */
export const POD_NAMESPACE_ANNOTATION = `${SECRETS_GROUP}/pod-namespace`;
export const POD_NAME_ANNOTATION = `${SECRETS_GROUP}/pod-name`;
export const POD_UID_ANNOTATION = `${SECRETS_GROUP}/pod-uid`;
export const VOLUME_ANNOTATION = `${SECRETS_GROUP}/volume`;

/** Usages a certificate of a class may have: TLS server and client. */
export const CERTIFICATE_USAGES = ['digital signature', 'key encipherment', 'server auth', 'client auth'];

/** The signer of a class's certificates. */
export function signerName(secretClass: string): string {
  return `${SECRETS_GROUP}/${secretClass}`;
}

/** The class a signer name stands for, or undefined when it is not one of ours. */
export function secretClassOfSigner(signer: string | undefined): string | undefined {
  const prefix = `${SECRETS_GROUP}/`;
  return signer?.startsWith(prefix) && signer.length > prefix.length ? signer.slice(prefix.length) : undefined;
}

/** The CA secret of a class that names none: one per class in kube-system. */
export function defaultCaSecretName(secretClass: string): string {
  return `secret-class-${secretClass}-ca`;
}

const SecretRefSchema = Type.Object({
  name: Type.String({ minLength: 1, description: 'The Secret\'s name.' }),
  namespace: Type.String({ minLength: 1, description: 'The Secret\'s namespace.' }),
}, {
  description: `The Secret holding the CA: tls.crt (its certificate), tls.key (its PKCS#8 private key) and optionally ca.crt (more CA certificates to trust, e.g. the next or the previous CA during a rotation). Default: ${DEFAULT_CA_NAMESPACE}/secret-class-<name>-ca.`,
});

export const SecretClassSchema = kindSchema('Where certificates of a class come from, how long they live and which names they carry.', {
  spec: Type.Object({
    ca: Type.Optional(Type.Object({
      secret: Type.Optional(SecretRefSchema),
      autoGenerate: Type.Optional(Type.Boolean({ description: 'Make the CA when the Secret does not exist (the cluster\'s own CA). False: the Secret is a CA you provide, and certificates wait until it exists. Default true.' })),
      caLifetimeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500, description: 'Validity of a CA the platform makes, in days (default 3650).' })),
    }, { description: 'Where certificates of this class come from.' })),
    certificateLifetimeSeconds: Type.Optional(Type.Integer({ minimum: 15, maximum: 366 * 86400, description: 'Validity of each certificate in seconds (default 86400, a day). Pods are renewed or restarted before it ends.' })),
    extraNames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 64, description: 'DNS names and IP addresses every certificate of this class carries besides the node\'s.' })),
  }),
  status: Type.Optional(Type.Object({
    trustBundle: Type.Optional(Type.String({ description: 'PEM: the CA certificates holders of this class\'s certificates trust (the signing CA and the Secret\'s ca.crt).' })),
    issuer: Type.Optional(Type.String({ description: 'SHA-256 fingerprint of the CA certificate signing now.' })),
    conditions: Type.Optional(Type.Array(ConditionSchema)),
  })),
}, ['spec']);
export type SecretClass = Static<typeof SecretClassSchema>;

export const DEFAULT_CERTIFICATE_LIFETIME_SECONDS = 86_400;

export function certificateLifetimeSeconds(secretClass: SecretClass): number {
  return secretClass.spec.certificateLifetimeSeconds ?? DEFAULT_CERTIFICATE_LIFETIME_SECONDS;
}

/** The Secret a class's CA lives in. */
export function caSecretRef(secretClass: SecretClass): { name: string; namespace: string } {
  return secretClass.spec.ca?.secret ?? { name: defaultCaSecretName(secretClass.metadata.name!), namespace: DEFAULT_CA_NAMESPACE };
}

export const SECRET_CLASS_CRD = customResourceDefinition({
  group: SECRETS_GROUP, kind: 'SecretClass', plural: 'secretclasses', scope: 'Cluster', categories: ['granary'],
  versions: [{
    name: 'v1alpha1', schema: SecretClassSchema, storage: true,
    printerColumns: [
      { name: 'CA', type: 'string', jsonPath: '.spec.ca.secret.name' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  }],
});

/** The class the platform creates when missing: the cluster's own CA, certificates for a day. */
export const DEFAULT_SECRET_CLASS_OBJECT: SecretClass = {
  apiVersion: SECRET_CLASS_API_VERSION, kind: 'SecretClass', metadata: { name: DEFAULT_SECRET_CLASS },
  spec: { ca: { autoGenerate: true } },
};

/** A pod volume that asks for certificates of a class, as the agent and the signer read it. */
export type SecretVolumeSource = Pick<NonNullable<Volume['csi']>, 'driver' | 'volumeAttributes'>;

/** The class a CSI volume asks for, or undefined when the volume is not one of ours. */
export function secretClassOfVolume(csi: SecretVolumeSource | undefined): string | undefined {
  if (!csi || csi.driver !== SECRETS_DRIVER) return undefined;
  return csi.volumeAttributes?.secretClass || DEFAULT_SECRET_CLASS;
}
