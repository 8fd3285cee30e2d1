// Asking ZooKeeper itself how the ensemble is: the `srvr` four-letter word on each server's
// client port says whether it serves and as what (leader, follower, standalone).
import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** How to reach a client port over TLS: the CA to trust and, for mutual TLS, the client's key and certificate. */
export type ClientTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key'>;

export type ServerMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';

/** A server's answer to srvr: its mode and last zxid, or why it does not serve. */
export type ServerState = { serving: true; mode: ServerMode; zxid: string } | { serving: false; reason: string };

/** Sends a four-letter word (over TLS when `tls` is given) and returns the whole answer (the server closes the connection after it). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2000, tls?: ClientTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls ? connectTls({ host, port, ...tls }) : connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${word} from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.end(word));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export async function serverState(host: string, port: number, tls?: ClientTls): Promise<ServerState> {
  let answer: string;
  try {
    answer = await fourLetterWord(host, port, 'srvr', 2000, tls);
  } catch (err) {
    return { serving: false, reason: `${host}:${port} cannot be reached: ${(err as Error).message}` };
  }
  const mode = /^Mode: (\S+)/m.exec(answer)?.[1];
  if (!mode) {
    const firstLine = answer.trim().split('\n')[0];
    return { serving: false, reason: `${host}:${port} does not serve${firstLine ? `: ${firstLine}` : ''}` };
  }
  return { serving: true, mode: mode as ServerMode, zxid: /^Zxid: (\S+)/m.exec(answer)?.[1] ?? '' };
}

export interface QuorumHealth {
  healthy: boolean;
  /** Server ids by what they said. */
  leader?: number;
  followers: number[];
  down: { id: number; reason: string }[];
  message: string;
}

/**
 * The ensemble has a quorum when exactly one server leads and the leader with its followers
 * make a majority of `servers` (the members the cluster should have now). Each server is asked
 * over its own `clientTls`, or `tls`, or in plain text.
 */
export async function quorumHealth(servers: readonly { id: number; address: string; clientPort: number; clientTls?: ClientTls }[], tls?: ClientTls): Promise<QuorumHealth> {
  const states = await Promise.all(servers.map(async (s) => ({ id: s.id, state: await serverState(s.address, s.clientPort, s.clientTls ?? tls) })));
  const leaders = states.filter((s) => s.state.serving && s.state.mode === 'leader').map((s) => s.id);
  const followers = states.filter((s) => s.state.serving && s.state.mode === 'follower').map((s) => s.id);
  const standalone = states.filter((s) => s.state.serving && s.state.mode === 'standalone').map((s) => s.id);
  const down = states.flatMap((s) => (s.state.serving ? [] : [{ id: s.id, reason: s.state.reason }]));
  const majority = Math.floor(servers.length / 2) + 1;
  if (servers.length === 1 && standalone.length === 1) {
    return { healthy: true, leader: standalone[0], followers: [], down, message: `server ${standalone[0]} serves alone` };
  }
  const healthy = leaders.length === 1 && 1 + followers.length >= majority;
  const message = healthy
    ? `server ${leaders[0]} leads ${followers.length} follower(s) of ${servers.length} servers`
    : leaders.length > 1
      ? `servers ${leaders.join(', ')} all claim to lead`
      : `no quorum: ${leaders.length === 1 ? `server ${leaders[0]} leads ${followers.length} follower(s)` : 'no leader'}, ${majority} of ${servers.length} servers needed${down.length ? `; ${down.map((d) => `server ${d.id}: ${d.reason}`).join('; ')}` : ''}`;
  return { healthy, leader: leaders[0], followers, down, message };
}
