import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from './attributes.ts';
import { admissionChain, nodeRestrictionAdmission, type AdmissionRequest } from './admission.ts';

const attributes: Attributes = { kind: 'resource', verb: 'update', apiGroup: '', apiVersion: 'v1', resource: 'nodes', subresource: '', namespace: '', name: 'n1' };
const request = (user: string, groups: string[] = []): AdmissionRequest => ({ user: { username: user, groups }, attributes, resource: { group: '', plural: 'nodes' } });
const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };

test('an admission chain runs the checks of the plugins that have one, in order, and none when none has', () => {
  const ran: string[] = [];
  const chain = admissionChain([
    () => () => void ran.push('first'),
    () => undefined,
    () => () => void ran.push('third'),
  ]);
  chain(request('alice'))!(node, undefined);
  assert.deepEqual(ran, ['first', 'third']);
  assert.equal(admissionChain([() => undefined])(request('alice')), undefined);
  const failing = admissionChain([() => () => { throw new Error('refused'); }, () => () => void ran.push('after')]);
  assert.throws(() => failing(request('alice'))!(node, undefined), /refused/);
  assert.deepEqual(ran, ['first', 'third'], 'a refusal stops the chain');
});

test('NodeRestriction has a check only for nodes', () => {
  assert.equal(nodeRestrictionAdmission(request('alice')), undefined);
  const check = nodeRestrictionAdmission(request('system:node:n2', ['system:nodes']));
  assert.throws(() => check!(node, undefined), /not allowed to modify node "n1"/);
});
