// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews the
// lease every retry period; others take it over once it has not been renewed for its duration.
// Only the holder runs the work; a holder that cannot renew within the renew deadline stops it.
import type { Lease } from '../api/kinds/coordination.ts';
import type { KubeClient } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import { sleep } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import { runtimeMetrics } from './metrics.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'log' | 'client'>> & Pick<LeaderElectionOptions, 'log' | 'client'>;
  private readonly leases;

  constructor(opts: LeaderElectionOptions) {
    // Defaults apply to options left out and to those passed as undefined alike: an undefined lease
    // duration would make a lease its holder did not release never expire for its successors.
    this.o = {
      ...opts,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? 15, renewDeadlineMs: opts.renewDeadlineMs ?? 10_000, retryPeriodMs: opts.retryPeriodMs ?? 2_000,
    };
    this.leases = opts.client.resource<Lease>('coordination.k8s.io/v1', 'Lease');
  }

  /**
   * Campaigns until `signal` aborts; whenever this process leads, runs `work` with a signal that
   * aborts when leadership is lost. On abort, releases the lease so a successor need not wait.
   */
  async run(work: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await sleep(this.o.retryPeriodMs, signal);
        continue;
      }
      this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became leader');
      runtimeMetrics.leader.set({ name: this.o.name }, 1);
      const leading = new AbortController();
      const stopLeading = () => leading.abort();
      signal.addEventListener('abort', stopLeading, { once: true });
      const running = work(leading.signal).catch((err) => this.o.log.error({ err: String(err) }, 'leader work failed'));
      await this.renewWhileLeading(leading.signal);
      leading.abort();
      signal.removeEventListener('abort', stopLeading);
      await running;
      runtimeMetrics.leader.set({ name: this.o.name }, 0);
      if (signal.aborted) {
        await this.release();
        return;
      }
      this.o.log.warn({ lease: `${this.o.namespace}/${this.o.name}` }, 'lost leadership');
    }
  }

  private async renewWhileLeading(leading: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!leading.aborted) {
      await sleep(this.o.retryPeriodMs, leading);
      if (leading.aborted) return;
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (err) {
        this.o.log.warn({ err: String(err) }, 'lease renewal failed');
      }
      if (renewed) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.o.renewDeadlineMs) return;
    }
  }

  /** One round: creates the lease, renews ours, or takes over an expired one. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: Lease;
    try {
      lease = await this.leases.get(this.o.name, this.o.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.leases.create({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: this.o.leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        if (isAlreadyExists(createErr)) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const ours = spec.holderIdentity === this.o.identity;
    const renewedAt = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = !spec.holderIdentity || renewedAt + (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000 < now.getTime();
    if (!ours && !expired) return false;
    const next: Lease = {
      ...lease,
      spec: {
        holderIdentity: this.o.identity, leaseDurationSeconds: this.o.leaseDurationSeconds,
        acquireTime: ours ? spec.acquireTime : microTime(now), renewTime: microTime(now),
        leaseTransitions: ours ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await this.leases.update(next);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.leases.get(this.o.name, this.o.namespace);
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() } });
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'could not release the lease; a successor will wait for it to expire');
    }
  }
}
