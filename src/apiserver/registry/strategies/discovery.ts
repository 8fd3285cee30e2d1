// EndpointSlices as Kubernetes keeps them (pkg/registry/discovery/endpointslice and discovery
// validation): port defaults, deprecatedTopology not writable through v1, Kubernetes' limits and
// checks per address type, an immutable addressType. One difference: loopback addresses are
// allowed, because Granary proxies nothing and its nodes may be loopback addresses.
import type { StatusCause, Unvalidated } from '../../../api/meta.ts';
import type { Endpoint, EndpointSlice } from '../../../api/kinds/discovery.ts';
import { ADDRESS_TYPES } from '../../../api/kinds/discovery.ts';
import { child, fieldError, index } from '../../validation/field.ts';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../../validation/names.ts';
import { validateFullyQualifiedDomainName, validateIpv4, validateIpv6, validateNonSpecialIp, validateProtocol } from '../../validation/network.ts';
import { validateLabels } from '../../validation/objectmeta.ts';
import type { Strategy } from '../strategy.ts';

type Slice = Unvalidated<EndpointSlice>;

const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;
const MAX_TOPOLOGY_LABELS = 16;
const MAX_HINTS = 8;

function validateAddress(addressType: string | undefined, address: string, path: string): StatusCause[] {
  switch (addressType) {
    case 'IPv4': {
      const bad = validateIpv4(path, address);
      return bad.length > 0 ? bad : validateNonSpecialIp(path, address, { allowLoopback: true });
    }
    case 'IPv6': {
      const bad = validateIpv6(path, address);
      return bad.length > 0 ? bad : validateNonSpecialIp(path, address, { allowLoopback: true });
    }
    case 'FQDN':
      return validateFullyQualifiedDomainName(path, address);
    default:
      return [];
  }
}

function validateEndpoint(endpoint: Endpoint, addressType: string | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const addresses = endpoint.addresses ?? [];
  const addressesPath = child(path, 'addresses');
  if (addresses.length === 0) causes.push(fieldError.required(addressesPath, 'must contain at least 1 address'));
  else if (addresses.length > MAX_ADDRESSES) causes.push(fieldError.tooMany(addressesPath, addresses.length, MAX_ADDRESSES));
  addresses.forEach((address, i) => causes.push(...validateAddress(addressType, address, index(addressesPath, i))));
  const topology = endpoint.deprecatedTopology ?? {};
  if (Object.keys(topology).length > MAX_TOPOLOGY_LABELS) causes.push(fieldError.tooMany(child(path, 'deprecatedTopology'), Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
  causes.push(...validateLabels(topology, child(path, 'deprecatedTopology')));
  if (endpoint.hostname !== undefined) causes.push(...isDns1123Label(endpoint.hostname).map((msg) => fieldError.invalid(child(path, 'hostname'), endpoint.hostname, msg)));
  if (endpoint.nodeName !== undefined) causes.push(...isDns1123Subdomain(endpoint.nodeName).map((msg) => fieldError.invalid(child(path, 'nodeName'), endpoint.nodeName, msg)));
  for (const hint of ['forZones', 'forNodes'] as const) {
    const values = endpoint.hints?.[hint] ?? [];
    if (values.length > MAX_HINTS) causes.push(fieldError.tooMany(child(child(path, 'hints'), hint), values.length, MAX_HINTS));
  }
  return causes;
}

function validate(slice: Slice): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!slice.addressType) causes.push(fieldError.required('addressType'));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(slice.addressType)) causes.push(fieldError.notSupported('addressType', slice.addressType, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) causes.push(fieldError.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  else endpoints.forEach((endpoint, i) => causes.push(...validateEndpoint(endpoint, slice.addressType, index('endpoints', i))));
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) return [...causes, fieldError.tooMany('ports', ports.length, MAX_PORTS)];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const path = index('ports', i);
    const name = port.name ?? '';
    if (name) causes.push(...isDns1123Label(name).map((msg) => fieldError.invalid(child(path, 'name'), name, msg)));
    if (names.has(name)) causes.push(fieldError.duplicate(child(path, 'name'), name));
    names.add(name);
    causes.push(...validateProtocol(child(path, 'protocol'), port.protocol));
    if (port.appProtocol !== undefined) causes.push(...isQualifiedName(port.appProtocol).map((msg) => fieldError.invalid(child(path, 'appProtocol'), port.appProtocol, msg)));
  });
  return causes;
}

/** deprecatedTopology is the v1beta1 API's; writes through v1 drop it (unless they leave the endpoints as they were). */
function dropDeprecatedTopology(slice: Slice, old: Slice | undefined): void {
  if (old && JSON.stringify(old.endpoints ?? null) === JSON.stringify(slice.endpoints ?? null)) return;
  for (const endpoint of slice.endpoints ?? []) delete endpoint.deprecatedTopology;
}

export const endpointSliceStrategy: Strategy = {
  defaults(obj) {
    for (const port of (obj as Slice).ports ?? []) {
      if (typeof port !== 'object' || port === null) continue;
      port.name ??= '';
      port.protocol ??= 'TCP';
    }
  },
  prepareForCreate: (obj) => dropDeprecatedTopology(obj as Slice, undefined),
  prepareForUpdate: (obj, old) => dropDeprecatedTopology(obj as Slice, old as Slice),
  validate: (obj) => validate(obj as Slice),
  validateUpdate(obj, old) {
    const { addressType } = obj as Slice;
    return addressType === (old as Slice).addressType ? [] : [fieldError.invalid('addressType', addressType ?? '', 'field is immutable')];
  },
};
