// Client certificate authentication: a certificate the TLS layer verified against the cluster CA
// names the user in its subject common name and the user's groups in its organizations, as in
// Kubernetes. The answer is kept per connection, since a connection keeps its certificate.
import type { TLSSocket } from 'node:tls';
import type { CredentialResult } from './authenticator.ts';

const CLIENT_AUTH_USAGE = '1.3.6.1.5.5.7.3.2';

const bySocket = new WeakMap<TLSSocket, CredentialResult>();

/** The user of the connection's client certificate; undefined when the client sent none. */
export function authenticateClientCertificate(socket: TLSSocket): CredentialResult {
  if (bySocket.has(socket)) return bySocket.get(socket);
  const result = fromPeerCertificate(socket);
  bySocket.set(socket, result);
  return result;
}

function fromPeerCertificate(socket: TLSSocket): CredentialResult {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  if (!socket.authorized) return { error: `client certificate not accepted: ${String(socket.authorizationError ?? 'not signed by the cluster CA')}` };
  // A certificate limited to other uses (a serving certificate) is not a client credential.
  if (peer.ext_key_usage && !peer.ext_key_usage.includes(CLIENT_AUTH_USAGE)) {
    return { error: 'client certificate is not valid for client authentication (extended key usage)' };
  }
  const username = values(peer.subject?.CN)[0];
  if (!username) return { error: 'client certificate has no subject common name to use as the user name' };
  return { user: { username, groups: values(peer.subject?.O) } };
}

/** Node gives a repeated subject attribute as an array and a single one as a string. */
function values(field: string | string[] | undefined): string[] {
  if (field === undefined) return [];
  return (Array.isArray(field) ? field : [field]).filter((v) => v.length > 0);
}
