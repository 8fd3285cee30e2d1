// Cluster IPs and node ports of Services, allocated as Kubernetes allocates them: from the service
// IP range (--service-cluster-ip-range) and the node port range (--service-node-port-range), each
// address or port used by one Service at a time, at random unless the client asks for one.
//
// Granary proxies nothing, so these addresses and ports carry no traffic; they exist because
// clients expect them (kubectl shows them, tools read them, manifests set them). What is in use is
// read from the watch cache, plus what this server handed out moments ago and does not see yet.
// Two API servers sharing etcd could hand out the same value to two Services created in the same
// instant; with a random pick from a large range that is unlikely, and it breaks nothing here.
import { randomInt } from 'node:crypto';
import type { Service } from '../../api/kinds/service.ts';
import type { KubeObject } from '../../api/meta.ts';
import { errors } from '../errors.ts';
import type { WatchCache } from '../storage/cache.ts';
import { fieldError } from '../validation/field.ts';
import { formatIp, parseCidr, parseIp, type Cidr, type IpFamily } from '../validation/network.ts';

export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

export interface ServiceRanges {
  /** A CIDR, e.g. 10.96.0.0/12; at most 2^20 addresses. */
  clusterIpRange: string;
  /** FIRST-LAST, e.g. 30000-32767. */
  nodePortRange: string;
}

/** What this server allocated and the watch cache may not show yet is held this long. */
const RESERVATION_MS = 60_000;

/** A value handed out to a Service (namespace/name) that the watch cache may not show yet. */
interface Reservation {
  owner: string;
  until: number;
}
const MAX_RANGE_SIZE = 1n << 20n;


export function parseNodePortRange(text: string): { first: number; last: number } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last > 65535 || first > last) throw new Error(`--service-node-port-range must be FIRST-LAST within 1-65535 (e.g. 30000-32767), got ${JSON.stringify(text)}`);
  return { first, last };
}

export function parseServiceIpRange(text: string): Cidr {
  const range = parseCidr(text.trim());
  if (!range) throw new Error(`--service-cluster-ip-range must be a CIDR (e.g. 10.96.0.0/12), got ${JSON.stringify(text)}`);
  if (range.size > MAX_RANGE_SIZE) throw new Error(`--service-cluster-ip-range ${text} is too large: at most 2^20 addresses (/12 for IPv4, /108 for IPv6)`);
  if (range.size < 4n) throw new Error(`--service-cluster-ip-range ${text} is too small: at least 4 addresses`);
  return range;
}

export class ServiceAllocator {
  readonly family: IpFamily;
  readonly ipRangeText: string;
  readonly nodePortRangeText: string;
  private readonly ipRange: Cidr;
  private readonly ports: { first: number; last: number };
  private readonly cache: WatchCache;
  private readonly reservedIps = new Map<string, Reservation>();
  private readonly reservedPorts = new Map<number, Reservation>();

  constructor(cache: WatchCache, ranges: ServiceRanges) {
    this.cache = cache;
    this.ipRange = parseServiceIpRange(ranges.clusterIpRange);
    this.ports = parseNodePortRange(ranges.nodePortRange);
    this.family = this.ipRange.family;
    this.ipRangeText = `${formatIp({ family: this.family, value: this.ipRange.base })}/${this.ipRange.prefix}`;
    this.nodePortRangeText = `${this.ports.first}-${this.ports.last}`;
  }

  /**
   * A cluster IP for `service`: `requested` when it is free and in range (422 otherwise), else a
   * random free one. `path` and `shown` are where a refusal points and the value it shows.
   */
  allocateIp(service: KubeObject, requested: string | undefined, dryRun: boolean, shown: unknown): string {
    const used = this.usedIps(service);
    if (requested) {
      const ip = parseIp(requested);
      const fail = (why: string) => errors.invalid(target(service), [fieldError.invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: ${why}`)]);
      if (!ip || ip.family !== this.family || !this.usable(ip.value)) throw fail(`provided IP is not in the valid range. The range of valid IPs is ${this.ipRangeText}`);
      const text = formatIp(ip);
      if (used.has(text)) throw fail('provided IP is already allocated');
      if (!dryRun) this.reservedIps.set(text, reservation(service));
      return text;
    }
    const size = this.ipRange.size;
    const start = BigInt(randomInt(Number(size)));
    for (let i = 0n; i < size; i++) {
      const value = this.ipRange.base + ((start + i) % size);
      if (!this.usable(value)) continue;
      const text = formatIp({ family: this.family, value });
      if (used.has(text)) continue;
      if (!dryRun) this.reservedIps.set(text, reservation(service));
      return text;
    }
    throw errors.internal(`failed to allocate a serviceIP: range is full`);
  }

  /** A node port: `requested` when free and in range (422 at `path` otherwise), else a random free one not in `taken`. */
  allocateNodePort(service: KubeObject, requested: number | undefined, taken: Set<number>, dryRun: boolean, path: string): number {
    const used = this.usedPorts(service);
    if (requested) {
      const fail = (why: string) => errors.invalid(target(service), [fieldError.invalid(path, requested, why)]);
      if (requested < this.ports.first || requested > this.ports.last) throw fail(`provided port is not in the valid range. The range of valid ports is ${this.nodePortRangeText}`);
      if (used.has(requested)) throw fail('provided port is already allocated');
      if (!dryRun) this.reservedPorts.set(requested, reservation(service));
      return requested;
    }
    const size = this.ports.last - this.ports.first + 1;
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const port = this.ports.first + ((start + i) % size);
      if (used.has(port) || taken.has(port)) continue;
      if (!dryRun) this.reservedPorts.set(port, reservation(service));
      return port;
    }
    throw errors.internal('failed to allocate a nodePort: range is full');
  }

  /** Whether an address may be handed out: in range, not the network address, not IPv4's broadcast. */
  private usable(value: bigint): boolean {
    const offset = value - this.ipRange.base;
    if (offset <= 0n || offset >= this.ipRange.size) return false;
    return !(this.family === 'IPv4' && offset === this.ipRange.size - 1n);
  }

  private usedIps(except: KubeObject): Set<string> {
    const used = new Set<string>();
    const byOwner = new Map<string, Set<string>>();
    for (const svc of this.services()) {
      const values = new Set(svc.spec?.clusterIPs ?? []);
      byOwner.set(ownerOf(svc), values);
      if (ownerOf(svc) !== ownerOf(except)) for (const ip of values) used.add(ip);
    }
    return withReservations(used, this.reservedIps, byOwner, ownerOf(except));
  }

  private usedPorts(except: KubeObject): Set<number> {
    const used = new Set<number>();
    const byOwner = new Map<string, Set<number>>();
    for (const svc of this.services()) {
      const values = new Set<number>();
      for (const p of svc.spec?.ports ?? []) if (p.nodePort) values.add(p.nodePort);
      if (svc.spec?.healthCheckNodePort) values.add(svc.spec.healthCheckNodePort);
      byOwner.set(ownerOf(svc), values);
      if (ownerOf(svc) !== ownerOf(except)) for (const port of values) used.add(port);
    }
    return withReservations(used, this.reservedPorts, byOwner, ownerOf(except));
  }

  private services(): Service[] {
    return this.cache.list('/core/services/').map((entry) => entry.object as Service);
  }
}

/**
 * Adds the live reservations of other Services to `used`. A reservation ends when it expires or
 * once the cache shows its owner holding the value (from then on the cache is the record).
 */
function withReservations<T>(used: Set<T>, reserved: Map<T, Reservation>, stored: Map<string, Set<T>>, except: string): Set<T> {
  const now = Date.now();
  for (const [value, { owner, until }] of reserved) {
    if (until < now || stored.get(owner)?.has(value)) reserved.delete(value);
    else if (owner !== except) used.add(value);
  }
  return used;
}

function reservation(service: KubeObject): Reservation {
  return { owner: ownerOf(service), until: Date.now() + RESERVATION_MS };
}

function ownerOf(service: KubeObject): string {
  return `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`;
}

function target(service: KubeObject) {
  return { group: '', kind: 'Service', name: service.metadata.name };
}
