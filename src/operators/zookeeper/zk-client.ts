// A ZooKeeper session for the operator's own znode work (node-zookeeper-client, the pure
// JavaScript client), with promises and a bound on how long connecting may take, over TLS when
// the cluster's client port speaks it.
import { connect as connectTls } from 'node:tls';
import zookeeper from 'node-zookeeper-client';
import type { ClientTls } from './four-letter.ts';

/**
 * The client connects with net.connect in its connection manager (1.1.x); over TLS that one step
 * becomes tls.connect, and the session starts once the handshake is done. The rest of the
 * protocol runs unchanged on the TLS socket.
 */
interface ConnectionManager {
  socket: import('node:net').Socket;
  connectTimeoutHandler: NodeJS.Timeout;
  connectTimeout: number;
  setState(state: number): void;
  findNextServer(callback: (server: { host: string; port: number }) => void): void;
  onSocketConnectTimeout(): void;
  onSocketConnected(): void;
  onSocketData(data: Buffer): void;
  onSocketDrain(): void;
  onSocketClosed(hadError: boolean): void;
  onSocketError(err: Error): void;
}
const CONNECTING = 1;

function useTls(client: zookeeper.Client, tls: ClientTls): void {
  const manager = (client as unknown as { connectionManager: ConnectionManager }).connectionManager;
  if (typeof manager?.findNextServer !== 'function' || typeof manager.onSocketConnected !== 'function') {
    throw new Error('node-zookeeper-client changed: its connection manager cannot be given a TLS socket');
  }
  (manager as unknown as { connect: () => void }).connect = function connect(this: ConnectionManager) {
    this.setState(CONNECTING);
    this.findNextServer((server) => {
      const socket = connectTls({ host: server.host, port: server.port, ...tls });
      this.socket = socket;
      this.connectTimeoutHandler = setTimeout(this.onSocketConnectTimeout.bind(this), this.connectTimeout);
      socket.setNoDelay();
      socket.on('secureConnect', this.onSocketConnected.bind(this));
      socket.on('data', this.onSocketData.bind(this));
      socket.on('drain', this.onSocketDrain.bind(this));
      socket.on('close', this.onSocketClosed.bind(this));
      socket.on('error', this.onSocketError.bind(this));
    });
  }.bind(manager);
}

/** The error ZooKeeper gives for a path that does not exist. */
function isNoNode(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'getCode' in err && (err as zookeeper.Exception).getCode() === zookeeper.Exception.NO_NODE;
}

export class ZooKeeperSession {
  private readonly client: zookeeper.Client;

  private constructor(client: zookeeper.Client) {
    this.client = client;
  }

  /** Connects to `connectionString` (host:port,...[/chroot]), over TLS when `tls` is given; rejects after `timeoutMs`. */
  static connect(connectionString: string, timeoutMs = 10_000, tls?: ClientTls): Promise<ZooKeeperSession> {
    const client = zookeeper.createClient(connectionString, { sessionTimeout: 10_000, spinDelay: 500, retries: 1 });
    if (tls) useTls(client, tls);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(new Error(`could not connect to ZooKeeper at ${connectionString} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve(new ZooKeeperSession(client));
      });
      client.connect();
    });
  }

  /** Creates the path and its missing parents; succeeds when it exists already. */
  mkdirp(path: string, data?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err: unknown) => (err ? reject(err) : resolve());
      if (data) this.client.mkdirp(path, data, done);
      else this.client.mkdirp(path, done);
    });
  }

  /** Creates one znode; rejects (NODE_EXISTS) when it exists. */
  create(path: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.create(path, data, (err) => (err ? reject(err) : resolve()));
    });
  }

  getData(path: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.client.getData(path, (err, data) => {
        if (isNoNode(err)) resolve(undefined);
        else if (err) reject(err);
        else resolve(data ?? Buffer.alloc(0));
      });
    });
  }

  children(path: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.client.getChildren(path, (err, children) => {
        if (isNoNode(err)) resolve([]);
        else if (err) reject(err);
        else resolve(children);
      });
    });
  }

  /** Removes the path and everything below it; succeeds when it is not there. */
  async removeRecursive(path: string): Promise<void> {
    for (const child of await this.children(path)) await this.removeRecursive(`${path === '/' ? '' : path}/${child}`);
    await new Promise<void>((resolve, reject) => {
      this.client.remove(path, (err) => {
        if (err && !isNoNode(err)) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/** Runs `work` in a session (over TLS when `tls` is given) that is closed afterwards. */
export async function withZooKeeper<T>(connectionString: string, work: (zk: ZooKeeperSession) => Promise<T>, tls?: ClientTls): Promise<T> {
  const zk = await ZooKeeperSession.connect(connectionString, 10_000, tls);
  try {
    return await work(zk);
  } finally {
    zk.close();
  }
}
