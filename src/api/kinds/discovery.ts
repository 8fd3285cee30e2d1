// discovery.k8s.io/v1 EndpointSlice: where the endpoints of a service are, and whether they are
// ready. Kubernetes' controllers write them for services with a selector; Granary's operators
// write them for what runs on bare metal, and tools such as Prometheus read them.
import { Type, type Static } from '@sinclair/typebox';
import { boolean, describe, int32, list, object, oneOf, string, stringMap } from './fields.ts';
import { kindSchema } from './meta.ts';
import { ObjectReferenceSchema } from './core.ts';
import { PROTOCOLS } from './service.ts';

export const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

export const EndpointConditionsSchema = object('The state of an endpoint.', {
  ready: boolean('Whether the endpoint takes traffic; unknown when unset (consumers treat that as ready). Never true while terminating.'),
  serving: boolean('Like ready, but also set while the endpoint is terminating.'),
  terminating: boolean('Whether the endpoint is terminating.'),
});

export const EndpointHintsSchema = object('How the endpoint should be consumed.', {
  forZones: list(object('A zone that should consume the endpoint.', { name: string('Name of the zone.') }, ['name']), 'Zones that should consume the endpoint.'),
  forNodes: list(object('A node that should consume the endpoint.', { name: string('Name of the node.') }, ['name']), 'Nodes that should consume the endpoint.'),
});

export const EndpointSchema = object('One backend of a service.', {
  addresses: list(Type.String(), 'Addresses of the endpoint, of the slice\'s addressType; 1 to 100.', { listType: 'set' }),
  conditions: describe(EndpointConditionsSchema, 'The state of the endpoint.'),
  hostname: string('Host name of the endpoint, a DNS label (e.g. for DNS records of the service).'),
  targetRef: describe(ObjectReferenceSchema, 'The object the endpoint is, usually a Pod.'),
  deprecatedTopology: stringMap('Topology of the v1beta1 API; not writable through v1.'),
  nodeName: string('The node the endpoint is on.'),
  zone: string('The zone the endpoint is in.'),
  hints: describe(EndpointHintsSchema, 'How the endpoint should be consumed.'),
}, ['addresses']);
export type Endpoint = Static<typeof EndpointSchema>;

export const EndpointPortSchema = object('A port of the endpoints of a slice.', {
  name: string('Name of the port, empty or a DNS label, unique in the slice; matches the name of the service port.'),
  protocol: oneOf(PROTOCOLS, 'IP protocol: TCP (the default), UDP or SCTP.'),
  port: int32('The port number; when unset, the port is not restricted.'),
  appProtocol: string('Application protocol of the port, a label-style name such as http.'),
});
export type EndpointPort = Static<typeof EndpointPortSchema>;

export const EndpointSliceSchema = kindSchema('A set of endpoints of a service, all with addresses of one type.', {
  addressType: oneOf(ADDRESS_TYPES, 'Type of every address in the slice: IPv4, IPv6 or FQDN. Immutable.'),
  endpoints: list(EndpointSchema, 'The endpoints, at most 1000.'),
  ports: list(EndpointPortSchema, 'The ports every endpoint exposes, at most 100; none means no ports are defined.'),
}, ['addressType', 'endpoints']);
export type EndpointSlice = Static<typeof EndpointSliceSchema>;
