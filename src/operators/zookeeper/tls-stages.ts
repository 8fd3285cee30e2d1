// Turning TLS on or off on a running ensemble without losing its quorum, without I/O. A server
// that speaks TLS only and one that speaks plain text only cannot talk, so a change goes through
// stages (ZooKeeper's own no-downtime procedure), each a rolling restart of every server; the
// operator moves to the next stage only when every server runs the current one and the ensemble
// has a quorum. The stage the servers are on is kept in the cluster's status.tls.
//
//   quorum  plain ⇄ unified-plain ⇄ unified-tls ⇄ tls
//     unified-plain  quorum and election ports take TLS and plain-text peers (portUnification);
//                    servers still connect to peers in plain text (sslQuorum=false)
//     unified-tls    they take both and connect with TLS (sslQuorum=true)
//   client  plain ⇄ unified ⇄ tls
//     unified        the plain client port also takes TLS clients (client.portUnification); the
//                    discovery ConfigMap tells clients to switch once every server takes both
//
// Any two neighbouring stages talk to each other, so during each roll the restarted servers and
// the others keep a quorum. Both planes step together: turning everything on or off is three rolls.
import type { ZookeeperCluster } from './crd.ts';
import { tlsSettings, type TlsSettings } from './tls.ts';

export const QUORUM_STAGES = ['plain', 'unified-plain', 'unified-tls', 'tls'] as const;
export const CLIENT_STAGES = ['plain', 'unified', 'tls'] as const;
export type QuorumStage = (typeof QUORUM_STAGES)[number];
export type ClientStage = (typeof CLIENT_STAGES)[number];

/** The stages the servers are built with, and the classes of their certificates (kept while TLS is being turned off). */
export interface TlsStages {
  client: ClientStage;
  quorum: QuorumStage;
  serverSecretClass?: string;
  quorumSecretClass?: string;
}

/** Where the spec wants the servers in the end. */
export function targetStages(tls: TlsSettings): TlsStages {
  return {
    client: tls.server ? 'tls' : 'plain', quorum: tls.quorum ? 'tls' : 'plain',
    ...(tls.server ? { serverSecretClass: tls.server } : {}), ...(tls.quorum ? { quorumSecretClass: tls.quorum } : {}),
  };
}

/**
 * The stages the servers should run now: those in the status; the target when no server runs (new
 * servers start as the spec says), or when the status records none (servers built before stages
 * existed were built as the spec said).
 */
export function currentStages(cluster: ZookeeperCluster, target: TlsStages, serversRun: boolean): TlsStages {
  const recorded = cluster.status?.tls;
  return serversRun && recorded ? recorded : target;
}

/**
 * One step from `current` toward `target` on each plane, or undefined when the servers are there.
 * A quorum class changing under TLS (another CA) steps down to unified-plain, where peers connect
 * in plain text, switches class there, and steps up again. A client class change is one roll.
 */
export function nextStages(current: TlsStages, target: TlsStages): TlsStages | undefined {
  const next: TlsStages = { client: current.client, quorum: current.quorum };
  const step = <S extends string>(stages: readonly S[], from: S, to: S): S => {
    const [i, j] = [stages.indexOf(from), stages.indexOf(to)];
    return stages[i + Math.sign(j - i)];
  };
  // Quorum: which class its certificates come from while they are used.
  const classChanges = target.quorumSecretClass !== undefined && current.quorumSecretClass !== undefined && current.quorumSecretClass !== target.quorumSecretClass;
  if (classChanges && current.quorum !== 'unified-plain') {
    next.quorum = step(QUORUM_STAGES, current.quorum, 'unified-plain');
    next.quorumSecretClass = current.quorumSecretClass;
  } else if (classChanges) {
    next.quorumSecretClass = target.quorumSecretClass;
  } else {
    next.quorum = step(QUORUM_STAGES, current.quorum, target.quorum);
    const quorumClass = target.quorumSecretClass ?? current.quorumSecretClass;
    if (next.quorum !== 'plain' && quorumClass !== undefined) next.quorumSecretClass = quorumClass;
  }
  next.client = step(CLIENT_STAGES, current.client, target.client);
  const serverClass = target.serverSecretClass ?? current.serverSecretClass;
  if (next.client !== 'plain' && serverClass !== undefined) next.serverSecretClass = serverClass;
  return sameStages(next, current) ? undefined : next;
}

export function sameStages(a: TlsStages, b: TlsStages): boolean {
  return a.client === b.client && a.quorum === b.quorum && a.serverSecretClass === b.serverSecretClass && a.quorumSecretClass === b.quorumSecretClass;
}

/** What servers at these stages are built with: their certificate classes and the transition switches; `client` is the spec's client authentication class. */
export function stageSettings(stages: TlsStages, client: string | undefined): TlsSettings {
  const server = stages.client !== 'plain' ? stages.serverSecretClass : undefined;
  const quorum = stages.quorum !== 'plain' ? stages.quorumSecretClass : undefined;
  return {
    ...(server ? { server } : {}),
    ...(quorum ? { quorum } : {}),
    ...(server && client ? { client } : {}),
    ...(server && stages.client === 'unified' ? { clientPlainToo: true } : {}),
    ...(quorum && stages.quorum !== 'tls' ? { quorumPlainToo: true } : {}),
    ...(quorum && stages.quorum === 'unified-plain' ? { quorumConnectsPlain: true } : {}),
  };
}

/** The client stage of servers built with `tls`. */
export function clientStageOf(tls: TlsSettings): ClientStage {
  return !tls.server ? 'plain' : tls.clientPlainToo ? 'unified' : 'tls';
}

/** Which ways into the client port a server at `stage` takes. */
export function clientAccepts(stage: ClientStage): { plain: boolean; tls: boolean } {
  return { plain: stage !== 'tls', tls: stage !== 'plain' };
}

/**
 * Whether clients are told to use TLS, given the client stage of every running server: the one
 * way every server takes; when every server takes both (or none runs), the target's.
 */
export function clientsUseTls(target: ClientStage, running: readonly ClientStage[]): boolean {
  const tls = running.every((s) => clientAccepts(s).tls);
  const plain = running.every((s) => clientAccepts(s).plain);
  return tls !== plain ? tls : target === 'tls';
}

/**
 * How the operator's own clients (znode work, commands) reach every server now: TLS on the tls
 * stage, and on the unified stage when TLS is being turned off (servers not rolled yet take only
 * TLS); plain text otherwise. The server class is the one in use, which outlives the spec's.
 */
export function clientTlsNow(cluster: ZookeeperCluster): { server?: string; client?: string } {
  const wanted = tlsSettings(cluster);
  const target = targetStages(wanted);
  const now = currentStages(cluster, target, true);
  const tls = now.client === 'tls' || (now.client === 'unified' && target.client === 'plain');
  return tls ? { server: now.serverSecretClass, client: wanted.client } : {};
}
