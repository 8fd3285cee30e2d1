// PKCS#12 (RFC 7292) keystores and truststores as Java reads them: a keystore holds one private
// key (shrouded with PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC) with its certificate chain; a
// truststore holds CA certificates, each marked with the attribute through which Java's
// PKCS12 KeyStore treats a certificate as trusted (without it a truststore loads empty). Both
// carry an HMAC-SHA256 integrity MAC keyed by the password.
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { ContentInfo, id_data } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe, CertBag, id_certBag, id_pkcs8ShroudedKeyBag, id_x509Certificate, MacData, PFX, PKCS12Attribute, SafeBag, SafeContents,
} from '@peculiar/asn1-pfx';
import { EncryptedData, EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { DigestInfo, sha256 } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';

const ID_PBES2 = '1.2.840.113549.1.5.13';
const ID_PBKDF2 = '1.2.840.113549.1.5.12';
const ID_HMAC_SHA256 = '1.2.840.113549.2.9';
const ID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
const ID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const ID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
/** Oracle's "trusted key usage" bag attribute: Java's PKCS12 KeyStore loads such a certificate as a trusted entry. */
const ID_JAVA_TRUSTED_KEY_USAGE = '2.16.840.1.113894.746875.1.1';
const ID_ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const ITERATIONS = 10_000;
/** The password of the stores Granary writes: Java's format needs one; the files' mode protects the key. */
export const STORE_PASSWORD = 'changeit';

const der = (value: unknown): ArrayBuffer => AsnConvert.serialize(value);
const buffer = (view: Uint8Array): ArrayBuffer => view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;

/** The DER certificates of the PEM blocks in `pem`, in order. */
export function pemCertificates(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block).raw);
}

/** The DER of the PKCS#8 PEM key in `pem`. */
function pemPrivateKey(pem: string): Buffer {
  const match = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  if (!match) throw new Error('the key is not a PKCS#8 "PRIVATE KEY" PEM block');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

function attribute(id: string, value: ArrayBuffer): PKCS12Attribute {
  // PKCS12Attribute's constructor (asn1-pfx 2.11) drops its parameters: set the fields.
  return Object.assign(new PKCS12Attribute(), { attrId: id, attrValues: [value] });
}

const friendlyName = (alias: string) => attribute(ID_FRIENDLY_NAME, new asn1js.BmpString({ value: alias }).toBER());

function certBag(certificate: Buffer, attributes: PKCS12Attribute[]): SafeBag {
  return new SafeBag({ bagId: id_certBag, bagValue: der(new CertBag({ certId: id_x509Certificate, certValue: der(new OctetString(buffer(certificate))) })), bagAttributes: attributes });
}

/** PBES2 encryption of a PKCS#8 key: PBKDF2-HMAC-SHA256 and AES-256-CBC. */
function shroudKey(keyDer: Buffer, password: string): EncryptedPrivateKeyInfo {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(keyDer), cipher.final()]);
  const params = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: ID_PBKDF2 }),
          new asn1js.Sequence({
            value: [
              new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: ITERATIONS }), new asn1js.Integer({ value: 32 }),
              new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ID_HMAC_SHA256 }), new asn1js.Null()] }),
            ],
          }),
        ],
      }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ID_AES256_CBC }), new asn1js.OctetString({ valueHex: iv })] }),
    ],
  });
  return new EncryptedPrivateKeyInfo({
    encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: ID_PBES2, parameters: params.toBER() }),
    encryptedData: new EncryptedData(buffer(encrypted)),
  });
}

/** RFC 7292 appendix B.2: the key derivation PKCS#12 MACs use, with SHA-256 (id 3: MAC key). */
function pkcs12Kdf(password: string, salt: Buffer, iterations: number, id: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const pass = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const fill = (data: Buffer) => {
    if (data.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length];
    return out;
  };
  let input = Buffer.concat([fill(salt), fill(pass)]);
  const d = Buffer.alloc(v, id);
  const result: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = createHash('sha256').update(d).update(input).digest();
    for (let i = 1; i < iterations; i++) a = createHash('sha256').update(a).digest();
    result.push(a);
    const b = fill(a);
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of the input.
    const next = Buffer.alloc(input.length);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k] + b[k] + carry;
        next[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
    input = next;
  }
  return Buffer.concat(result).subarray(0, length);
}

function pfx(bags: SafeBag[], password: string): Buffer {
  const contents = der(new SafeContents(bags));
  const authSafe = der(new AuthenticatedSafe([new ContentInfo({ contentType: id_data, content: der(new OctetString(contents)) })]));
  const salt = randomBytes(16);
  const mac = createHmac('sha256', pkcs12Kdf(password, salt, ITERATIONS, 3, 32)).update(Buffer.from(authSafe)).digest();
  const result = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: der(new OctetString(authSafe)) }),
    macData: new MacData({ mac: new DigestInfo({ digestAlgorithm: sha256, digest: new OctetString(buffer(mac)) }), macSalt: new OctetString(buffer(salt)), iterations: ITERATIONS }),
  });
  return Buffer.from(der(result));
}

/** A keystore with the key of `keyPem` (PKCS#8) under `alias` and the certificate chain of `chainPem` (leaf first). */
export function pkcs12Keystore(keyPem: string, chainPem: string, password: string, alias = 'tls'): Buffer {
  const chain = pemCertificates(chainPem);
  if (chain.length === 0) throw new Error('a keystore needs the key\'s certificate');
  const localKeyId = attribute(ID_LOCAL_KEY_ID, der(new OctetString(buffer(createHash('sha1').update(chain[0]).digest()))));
  const keyBag = new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: der(shroudKey(pemPrivateKey(keyPem), password)), bagAttributes: [friendlyName(alias), localKeyId] });
  const certs = chain.map((cert, i) => certBag(cert, i === 0 ? [friendlyName(alias), localKeyId] : []));
  return pfx([keyBag, ...certs], password);
}

/** A truststore trusting every CA certificate of `caPem`, aliased ca-0, ca-1, ... */
export function pkcs12Truststore(caPem: string, password: string): Buffer {
  const bags = pemCertificates(caPem).map((cert, i) => certBag(cert, [
    friendlyName(`ca-${i}`), attribute(ID_JAVA_TRUSTED_KEY_USAGE, new asn1js.ObjectIdentifier({ value: ID_ANY_EXTENDED_KEY_USAGE }).toBER()),
  ]));
  return pfx(bags, password);
}
