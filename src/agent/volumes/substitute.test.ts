import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substituteInFile, substituteVariables } from './substitute.ts';

const variables = { packageroot: '/pkg/zk/3.9', configroot: '/pods/u/config', logroot: '/pods/u/log', dataroot: '/pods/u/data', volumeroot: '/agent/volumes' };

test('replaces the five path variables and nothing else', () => {
  assert.equal(
    substituteVariables('dataDir={{dataroot}}/zk\nlog={{logroot}} {{configroot}} {{packageroot}}/bin {{volumeroot}}/zk', variables),
    'dataDir=/pods/u/data/zk\nlog=/pods/u/log /pods/u/config /pkg/zk/3.9/bin /agent/volumes/zk',
  );
  for (const literal of ['{{ .Values.x }}', '{{', 'a {{unknown}} b', '{{packageroot}', '{packageroot}}', '{{PACKAGEROOT}}', '{{volumeroot }}']) {
    assert.equal(substituteVariables(literal, variables), literal);
  }
  assert.equal(substituteVariables('{{{{dataroot}}}}', variables), '{{/pods/u/data}}');
});

test('file contents: text is substituted, other bytes are left alone', () => {
  assert.equal(substituteInFile(Buffer.from('x={{logroot}}'), variables).toString(), 'x=/pods/u/log');
  const binary = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{{logroot}}')]);
  assert.deepEqual(substituteInFile(binary, variables), binary);
});
