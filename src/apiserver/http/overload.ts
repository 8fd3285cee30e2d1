// Protection against overload, in the spirit of kube-apiserver's max-requests-inflight and
// priority & fairness: caps on requests being served at once (mutating and read-only counted
// apart; watches are long-running and counted per user instead) and a per-user request rate.
// Refusals are 429 TooManyRequests with Retry-After, which clients (kubectl, client-go, ours) retry.
// system:masters is exempt from the per-user limits, as Kubernetes exempts it from fairness.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors.ts';
import type { UserInfo } from '../auth/user.ts';

export interface OverloadLimits {
  /** Mutating requests (POST, PUT, PATCH, DELETE) served at once. */
  maxMutatingInFlight: number;
  /** Other requests, watches excluded, served at once. */
  maxReadOnlyInFlight: number;
  /** Open watches per user. */
  maxWatchesPerUser: number;
  /** Sustained requests per second per user, and the burst allowed above it. */
  requestsPerSecondPerUser: number;
  burstPerUser: number;
}

export const DEFAULT_OVERLOAD_LIMITS: OverloadLimits = {
  maxMutatingInFlight: 200,
  maxReadOnlyInFlight: 400,
  maxWatchesPerUser: 1000,
  requestsPerSecondPerUser: 200,
  burstPerUser: 400,
};

interface Bucket { tokens: number; at: number }

const EXEMPT_GROUP = 'system:masters';
/** Buckets idle this long are full again and can be forgotten. */
const BUCKET_IDLE_MS = 60_000;

export class OverloadGuard {
  private readonly limits: OverloadLimits;
  private mutating = 0;
  private readOnly = 0;
  private readonly watches = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private lastPrune = Date.now();

  constructor(limits: Partial<OverloadLimits> = {}) {
    this.limits = { ...DEFAULT_OVERLOAD_LIMITS, ...limits };
  }

  /**
   * The per-user limits, checked as soon as the user is known: the request rate, and for a watch
   * the user's open watches (counted until its response closes). Throws 429.
   */
  admitUser(res: ServerResponse, user: UserInfo, watch: boolean): void {
    if (user.groups.includes(EXEMPT_GROUP)) return;
    this.takeToken(user.username);
    if (!watch) return;
    const open = this.watches.get(user.username) ?? 0;
    if (open >= this.limits.maxWatchesPerUser) {
      throw errors.tooManyRequests(`too many open watches for user "${user.username}" (limit ${this.limits.maxWatchesPerUser}); close some and retry`, 1);
    }
    this.watches.set(user.username, open + 1);
    res.once('close', () => {
      const left = (this.watches.get(user.username) ?? 1) - 1;
      if (left <= 0) this.watches.delete(user.username);
      else this.watches.set(user.username, left);
    });
  }

  /**
   * Takes an in-flight slot for a request that is ready to be served (its body already read, so a
   * client that sends slowly holds no slot), until its response closes. Watches take none. Throws 429.
   */
  admitInFlight(req: IncomingMessage, res: ServerResponse): void {
    const mutating = req.method !== 'GET' && req.method !== 'HEAD';
    if (mutating ? this.mutating >= this.limits.maxMutatingInFlight : this.readOnly >= this.limits.maxReadOnlyInFlight) {
      throw errors.tooManyRequests('too many requests are being served; please try again later', 1);
    }
    if (mutating) this.mutating++;
    else this.readOnly++;
    res.once('close', () => {
      if (mutating) this.mutating--;
      else this.readOnly--;
    });
  }

  private takeToken(user: string): void {
    const now = Date.now();
    if (now - this.lastPrune > BUCKET_IDLE_MS) {
      for (const [name, b] of this.buckets) if (now - b.at > BUCKET_IDLE_MS) this.buckets.delete(name);
      this.lastPrune = now;
    }
    const bucket = this.buckets.get(user) ?? { tokens: this.limits.burstPerUser, at: now };
    bucket.tokens = Math.min(this.limits.burstPerUser, bucket.tokens + ((now - bucket.at) / 1000) * this.limits.requestsPerSecondPerUser);
    bucket.at = now;
    this.buckets.set(user, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.limits.requestsPerSecondPerUser));
      throw errors.tooManyRequests(`user "${user}" sends more than ${this.limits.requestsPerSecondPerUser} requests per second; slow down`, waitSeconds);
    }
    bucket.tokens -= 1;
  }
}
