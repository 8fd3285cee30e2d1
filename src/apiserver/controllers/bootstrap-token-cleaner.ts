// Deletes bootstrap token Secrets once they expire, as kube-controller-manager's token cleaner: an
// expired token is refused anyway, this keeps kube-system from filling up with dead ones. The
// delete carries the Secret's uid and resourceVersion as preconditions, so a Secret renewed
// (given a later expiration) in the meantime is kept.
import type { Logger } from '../../common/log.ts';
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_TYPE } from '../auth/bootstrap-tokens.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { KeyedLoop } from './work-queue.ts';
import type { Secret } from '../../api/kinds/core.ts';

const PREFIX = `/core/secrets/${BOOTSTRAP_TOKEN_NAMESPACE}/`;
/** Timers are 32-bit: a token expiring later than this is looked at again then. */
const MAX_WAIT_MS = 2 ** 31 - 1;


export class BootstrapTokenCleaner {
  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly loop: KeyedLoop;
  private stopWatch?: () => void;

  constructor(registry: Registry, log: Logger) {
    this.registry = registry;
    this.log = log;
    this.loop = new KeyedLoop((name) => this.sync(name), (name, err) => log.warn({ secret: name, err: String(err) }, 'could not delete an expired bootstrap token; retrying'));
  }

  start(): void {
    const secrets = this.registry.storageStore('', 'secrets')!;
    for (const entry of secrets.listForWatch(BOOTSTRAP_TOKEN_NAMESPACE)) this.consider(entry.object as Secret);
    this.stopWatch = this.registry.cache.watch(PREFIX, this.registry.cache.currentRevision(), (event) => {
      if (event.type !== 'DELETED') this.consider(event.entry.object as Secret);
    });
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  private consider(secret: Secret): void {
    if (secret.type === BOOTSTRAP_TOKEN_SECRET_TYPE) this.loop.add(secret.metadata.name!);
  }

  private async sync(name: string) {
    const secret = this.registry.cache.get(`${PREFIX}${name}`)?.object as Secret | undefined;
    if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata.deletionTimestamp) return;
    const expiration = secret.data?.expiration === undefined ? undefined : Date.parse(Buffer.from(secret.data.expiration, 'base64').toString('utf8'));
    if (expiration === undefined || Number.isNaN(expiration)) return;
    const left = expiration - Date.now();
    if (left > 0) return { requeueAfterMs: Math.min(left + 100, MAX_WAIT_MS) };
    try {
      await this.registry.storageStore('', 'secrets')!.delete(BOOTSTRAP_TOKEN_NAMESPACE, name, {
        preconditions: { uid: secret.metadata.uid, resourceVersion: secret.metadata.resourceVersion },
      }, { warnings: [] });
      this.log.info({ secret: name }, 'deleted an expired bootstrap token');
    } catch (err) {
      // Gone already, or changed (a new version comes back through the watch).
      if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
    }
  }
}
