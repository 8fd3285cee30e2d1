import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { negotiateOutput, parseAccept } from './negotiation.ts';

test('clauses are ordered by q-value, then specificity, then as written', () => {
  const order = parseAccept('*/*;q=0.5, application/*, application/yaml;q=0.9, application/json, text/plain;q=bad')
    .map((c) => `${c.type}/${c.subtype}${c.q === 1 ? '' : `;q=${c.q}`}`);
  assert.deepEqual(order, ['application/json', 'application/*', 'application/yaml;q=0.9', '*/*;q=0.5', 'text/plain;q=0']);
});

test('the first clause the endpoint can serve wins', () => {
  assert.deepEqual(negotiateOutput(undefined, 'object'), { format: 'json' });
  assert.deepEqual(negotiateOutput('application/yaml', 'object'), { format: 'yaml' });
  assert.deepEqual(negotiateOutput('application/yaml, application/json;q=0.5', 'watch'), { format: 'json' }, 'watches stream JSON only');
  assert.deepEqual(negotiateOutput('application/json;as=Table;g=meta.k8s.io;v=v1beta1', 'list'), { format: 'json', as: 'Table', version: 'v1beta1' });
  assert.deepEqual(negotiateOutput('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json', 'object'), { format: 'json' });
  assert.deepEqual(negotiateOutput('application/json;as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2', 'discovery').as, 'APIGroupDiscoveryList');
  assert.throws(() => negotiateOutput('application/vnd.kubernetes.protobuf', 'object'), (e: ApiError) => e.code === 406);
  assert.throws(() => negotiateOutput('application/json;as=Table;g=meta.k8s.io;v=v2', 'list'), (e: ApiError) => e.code === 406);
});
