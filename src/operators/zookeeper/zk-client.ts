// A ZooKeeper session for the operator's own znode work (node-zookeeper-client, the pure
// JavaScript client), with promises and a bound on how long connecting may take.
import zookeeper from 'node-zookeeper-client';

/** The error ZooKeeper gives for a path that does not exist. */
function isNoNode(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'getCode' in err && (err as zookeeper.Exception).getCode() === zookeeper.Exception.NO_NODE;
}

export class ZooKeeperSession {
  private readonly client: zookeeper.Client;

  private constructor(client: zookeeper.Client) {
    this.client = client;
  }

  /** Connects to `connectionString` (host:port,...[/chroot]); rejects after `timeoutMs`. */
  static connect(connectionString: string, timeoutMs = 10_000): Promise<ZooKeeperSession> {
    const client = zookeeper.createClient(connectionString, { sessionTimeout: 10_000, spinDelay: 500, retries: 1 });
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

/** Runs `work` in a session that is closed afterwards. */
export async function withZooKeeper<T>(connectionString: string, work: (zk: ZooKeeperSession) => Promise<T>): Promise<T> {
  const zk = await ZooKeeperSession.connect(connectionString);
  try {
    return await work(zk);
  } finally {
    zk.close();
  }
}
