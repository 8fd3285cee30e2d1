// What the server and the signers need to know about a PKCS#10 certificate request and the certificates.k8s.io
// names around it: the well-known signers, the key usage names, and parsing a request's PEM.
// x509.ts loads the Reflect metadata API x509 needs and sets its crypto provider.
import './x509.ts';
import * as x509 from '@peculiar/x509';

/** Client certificates for node agents (subject CN=system:node:NAME, O=system:nodes). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** Client certificates for anyone, issued only once a person approves them. */
export const API_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

const SUBJECT_ALT_NAME_OID = '2.5.29.17';

/** The key usages a request may name, as Kubernetes spells them. */
export const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
];

export interface ParsedRequest {
  request: x509.Pkcs10CertificateRequest;
  commonName: string | undefined;
  /** Every subject CN (a valid node request has exactly one). */
  commonNames: string[];
  organizations: string[];
  /** Subject attributes other than CN and O (a node's request has none). */
  otherSubjectAttributes: string[];
  /** DNS names, IP addresses, e-mail addresses and URIs the request asks for. */
  subjectAltNames: string[];
}

/** The PEM text of a request as CertificateSigningRequest spec.request holds it (base64 of the PEM in JSON). */
export function requestPem(base64Request: string): string {
  return Buffer.from(base64Request, 'base64').toString('utf8');
}

/** Parses a "CERTIFICATE REQUEST" PEM block; throws with the reason when it is not one. */
export function parseRequest(pem: string): ParsedRequest {
  const blocks = /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----/.exec(pem);
  if (!blocks) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const request = new x509.Pkcs10CertificateRequest(blocks[0]);
  const commonNames: string[] = [];
  const organizations: string[] = [];
  const otherSubjectAttributes: string[] = [];
  for (const rdn of request.subjectName.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      for (const value of values) {
        if (type === 'CN') commonNames.push(value);
        else if (type === 'O') organizations.push(value);
        else otherSubjectAttributes.push(`${type}=${value}`);
      }
    }
  }
  const sanExtension = request.extensions.find((e) => e.type === SUBJECT_ALT_NAME_OID);
  const san = sanExtension ? new x509.SubjectAlternativeNameExtension(sanExtension.rawData) : undefined;
  return {
    request, commonName: commonNames[0], commonNames, organizations, otherSubjectAttributes,
    subjectAltNames: (san?.names.items ?? []).map((n) => `${n.type}:${n.value}`),
  };
}

/** Whether the request is signed by the key it carries (the requester holds the private key). */
export function verifyRequest(parsed: ParsedRequest): Promise<boolean> {
  return parsed.request.verify();
}
