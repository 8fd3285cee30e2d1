// Network values as Kubernetes validates them (k8s.io/apimachinery/pkg/util/validation and
// core validation): IP addresses, CIDRs, port numbers and names, protocols, domain names. Each
// check returns field errors in Kubernetes' wording.
import { isIPv4, isIPv6 } from 'node:net';
import type { StatusCause } from '../../api/meta.ts';
import { fieldError } from './field.ts';
import { isDns1123Subdomain } from './names.ts';

export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;

/** An IPv4 or IPv6 address without a zone, as Kubernetes accepts it. */
export function isIpAddress(value: string): boolean {
  return isIPv4(value) || (isIPv6(value) && !value.includes('%'));
}

export function validateIp(path: string, value: string): StatusCause[] {
  return isIpAddress(value) ? [] : [fieldError.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateIpv4(path: string, value: string): StatusCause[] {
  return isIPv4(value) ? [] : [fieldError.invalid(path, value, 'must be a valid IPv4 address')];
}

export function validateIpv6(path: string, value: string): StatusCause[] {
  return isIPv6(value) && !value.includes('%') ? [] : [fieldError.invalid(path, value, 'must be a valid IPv6 address')];
}

export function validateCidr(path: string, value: string): StatusCause[] {
  return parseCidr(value) ? [] : [fieldError.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * Addresses that never name a remote endpoint: unspecified, link-local and link-local multicast.
 * Kubernetes also refuses loopback addresses, because kube-proxy would forward traffic to the
 * node's own loopback; Granary forwards nothing, and its nodes may themselves be loopback
 * addresses (`granary up` runs three on 127.0.0.2-4), so loopback is allowed when `allowLoopback`.
 */
export function validateNonSpecialIp(path: string, value: string, opts: { allowLoopback?: boolean } = {}): StatusCause[] {
  const ip = parseIp(value);
  if (!ip) return [];
  const fail = (detail: string) => [fieldError.invalid(path, value, detail)];
  if (ip.value === 0n) return fail('may not be unspecified (0.0.0.0)');
  if (!opts.allowLoopback && inRange(ip, LOOPBACK)) return fail('may not be in the loopback range (127.0.0.0/8, ::1/128)');
  if (inRange(ip, LINK_LOCAL)) return fail('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
  if (inRange(ip, LINK_LOCAL_MULTICAST)) return fail('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  return [];
}

export function validatePortNumber(path: string, port: unknown): StatusCause[] {
  return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535
    ? [] : [fieldError.invalid(path, port, 'must be between 1 and 65535, inclusive')];
}

/** A port name (IANA_SVC_NAME, RFC 6335): what a container port's name and a named targetPort must be. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** A port given as a number or a name (int-or-string, e.g. a service's targetPort). */
export function validatePortNumberOrName(path: string, port: unknown): StatusCause[] {
  if (typeof port === 'number') return validatePortNumber(path, port);
  if (typeof port === 'string') return portNameErrors(port).map((msg) => fieldError.invalid(path, port, msg));
  return [fieldError.typeInvalid(path, port, 'must be an integer or a string')];
}

export function validateProtocol(path: string, protocol: unknown): StatusCause[] {
  if (protocol === undefined || protocol === '') return [fieldError.required(path)];
  return (PORT_PROTOCOLS as readonly unknown[]).includes(protocol) ? [] : [fieldError.notSupported(path, protocol, PORT_PROTOCOLS)];
}

/** A DNS name with at least two labels; a trailing dot is allowed. */
export function validateFullyQualifiedDomainName(path: string, value: string): StatusCause[] {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const causes = isDns1123Subdomain(name).map((msg) => fieldError.invalid(path, value, msg));
  if (causes.length === 0 && !name.includes('.')) causes.push(fieldError.invalid(path, value, 'should be a domain with at least two segments separated by dots'));
  return causes;
}

// ---------------------------------------------------------------------------------------------
// Addresses as numbers, for ranges and allocation.

export type IpFamily = 'IPv4' | 'IPv6';

export interface Ip {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  base: bigint;
  prefix: number;
  /** Addresses in the range. */
  size: bigint;
}

const bits = (family: IpFamily) => (family === 'IPv4' ? 32 : 128);

export function parseIp(text: string): Ip | undefined {
  if (isIPv4(text)) {
    return { family: 'IPv4', value: text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  // URL canonicalises an IPv6 address (and turns an embedded IPv4 tail into hex groups).
  const canonical = new URL(`http://[${text}]`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return { family: 'IPv6', value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatIp(ip: Ip): string {
  if (ip.family === 'IPv4') return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join('.');
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((ip.value >> shift) & 0xffffn).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const width = bits(ip.family);
  if (prefix > width) return undefined;
  const size = 1n << BigInt(width - prefix);
  return { family: ip.family, base: ip.value - (ip.value % size), prefix, size };
}

export function inRange(ip: Ip, ranges: readonly Cidr[]): boolean {
  return ranges.some((r) => r.family === ip.family && ip.value >= r.base && ip.value < r.base + r.size);
}

const cidrs = (...texts: string[]) => texts.map((t) => parseCidr(t)!);
const LOOPBACK = cidrs('127.0.0.0/8', '::1/128');
const LINK_LOCAL = cidrs('169.254.0.0/16', 'fe80::/10');
const LINK_LOCAL_MULTICAST = cidrs('224.0.0.0/24', 'ff02::/16');
