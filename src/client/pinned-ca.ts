// Trusting a server's certificate authority on first contact only when it matches a pin, as
// `kubeadm join --discovery-token-ca-cert-hash` does. The pin is the SHA-256 of the CA
// certificate's DER SubjectPublicKeyInfo, written "sha256:<64 hex digits>" (kubeadm's format, so
// `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` computes it too).
//
// kubeadm reads the CA from the cluster-info ConfigMap, which it fetches without credentials.
// Here the CA comes from the TLS handshake itself: a Granary API server sends its CA certificate
// after its serving certificate. Only a server holding the CA's key can present a serving
// certificate the pinned CA signed, so nothing (above all no bootstrap token) is sent to a server
// before it has passed this check.
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

const HASH_PATTERN = /^sha256:([0-9a-f]{64})$/;

/** The pin of a CA certificate (PEM or DER): "sha256:" and the hex SHA-256 of its SubjectPublicKeyInfo. */
export function caCertHash(cert: string | Buffer | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** A pin as typed by a user, in canonical form, or undefined when it is not "sha256:" and 64 hex digits. */
export function parseCaCertHash(value: string): string | undefined {
  const normalized = value.trim().toLowerCase();
  return HASH_PATTERN.test(normalized) ? normalized : undefined;
}

export class PinnedCaError extends Error {}

function pemOf(cert: X509Certificate): string {
  return cert.toString();
}

/** The certificates a TLS peer sent, leaf first (Node links them through issuerCertificate). */
function presentedChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: PeerCertificate | undefined = peer;
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = (current as DetailedPeerCertificate).issuerCertificate;
  }
  return chain;
}

function hostAndPort(server: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new PinnedCaError(`${JSON.stringify(server)} is not a URL; give the API server as https://HOST:PORT`);
  }
  if (url.protocol !== 'https:') throw new PinnedCaError(`the API server must be reached over https://, not ${url.protocol}//`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port || 443) };
}

/** One TLS handshake; resolves with what the peer sent, or rejects with why it failed. */
function handshake(host: string, port: number, opts: { ca?: string; timeoutMs: number }): Promise<DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host, port, servername: isIP(host) ? undefined : host,
      ca: opts.ca, rejectUnauthorized: opts.ca !== undefined, ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = socket.getPeerCertificate(true);
      socket.end();
      resolve(peer);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/**
 * The CA certificate (PEM) of the server at `server` (https://HOST:PORT) whose pin is one of
 * `pins`, after checking that it signed the server's certificate and that the server's
 * certificate is valid for HOST under it. Throws a PinnedCaError saying what did not match.
 */
export function discoverPinnedCa(server: string, pins: string[], timeoutMs = 10_000): Promise<string> {
  if (pins.length === 0) throw new PinnedCaError('no CA hash to check the server against');
  return discoverCa(server, pins, timeoutMs);
}

/**
 * The CA certificate of whatever server answers at `server`, unchecked: whoever can intercept the
 * connection can be trusted this way. Only for `--unsafe-skip-ca-verification`.
 */
export function discoverUnpinnedCa(server: string, timeoutMs = 10_000): Promise<string> {
  return discoverCa(server, undefined, timeoutMs);
}

async function discoverCa(server: string, pins: string[] | undefined, timeoutMs: number): Promise<string> {
  const { host, port } = hostAndPort(server);
  let peer: DetailedPeerCertificate;
  try {
    peer = await handshake(host, port, { timeoutMs });
  } catch (err) {
    throw new PinnedCaError(`cannot reach the API server at ${server}: ${(err as Error).message}`);
  }
  const chain = presentedChain(peer);
  if (chain.length === 0) throw new PinnedCaError(`the server at ${server} presented no certificate`);
  const [leaf, ...issuers] = chain;
  const authorities = issuers.filter((cert) => cert.ca && leaf.checkIssued(cert) && leaf.verify(cert.publicKey));
  if (authorities.length === 0) {
    throw new PinnedCaError(`the server at ${server} did not send the certificate authority that signed its serving certificate, so it cannot be checked against the CA hash (is it a Granary API server?); nothing was sent to it`);
  }
  const pinned = pins ? authorities.find((cert) => pins.includes(caCertHash(cert))) : authorities[0];
  if (!pinned) {
    throw new PinnedCaError(`the server at ${server} is not the control plane you pinned: its CA has hash ${caCertHash(authorities[0])}, not ${pins!.join(' or ')}. Compare with the hash \`granary init\` printed on the control plane host; nothing was sent to this server`);
  }
  const caPem = pemOf(pinned);
  try {
    await handshake(host, port, { ca: caPem, timeoutMs });
  } catch (err) {
    throw new PinnedCaError(`the server at ${server} has a certificate from the pinned CA, but it is not valid for ${host}: ${(err as Error).message}`);
  }
  return caPem;
}
