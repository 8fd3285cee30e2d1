import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { decodeMessage } from './decode.ts';
import { KUBERNETES_SCHEMA } from './kinds.ts';
import { Schema } from './schema.ts';
import { META_V1 } from './definitions/meta.ts';
import { entry, hex, message } from './test-bytes.ts';

const DEMO = new Schema([META_V1, `
package demo
message Thing {
  1 name     string
  2 kind     string            always
  3 count    int32
  4 size     *int32
  5 ready    *bool
  6 tags     []string
  7 required []string          always
  8 labels   map<string>
  9 blobs    map<bytes>
 10 inner    Inner
 11 maybe    *Inner
 12 flat     Inner             inline
 13 numbers  []int64
 14 big      int64
 15 data     bytes
 16 when     meta.Time         omitzero
 17 stamp    meta.Time
 18 micro    *meta.MicroTime
 19 amounts  map<resource.Quantity>
 20 port     intstr.IntOrString
 21 fields   *meta.FieldsV1
 22 nested   []Inner
}
message Inner {
  1 value string
  2 note  string always
}
`]);

const thing = (bytes: Uint8Array) => decodeMessage(DEMO, 'demo.Thing', bytes) as Record<string, unknown>;

test('an empty message gives what Go writes for a zero struct', () => {
  assert.deepEqual(thing(new Uint8Array(0)), {
    kind: '', required: null, inner: { note: '' }, note: '', stamp: null, port: 0,
  });
});

test('omitempty values drop their zeros, pointers keep them, fields without omitempty always appear', () => {
  const got = thing(message([1, ''], [2, ''], [3, 0], [4, 0], [5, false], [14, 0]));
  assert.equal('name' in got, false, 'empty string under omitempty is dropped');
  assert.equal(got.kind, '');
  assert.equal('count' in got, false);
  assert.equal(got.size, 0, 'a pointer to zero is kept');
  assert.equal(got.ready, false);
  assert.equal('big' in got, false);
  assert.deepEqual(thing(message([1, 'x'], [3, 5], [14, 2 ** 40])).name, 'x');
  assert.equal(thing(message([14, 2 ** 40])).big, 2 ** 40);
});

test('the last occurrence of a scalar wins; numbers keep their sign', () => {
  const got = thing(message([1, 'first'], [1, 'second'], [3, -7], [14, -(2 ** 40)]));
  assert.equal(got.name, 'second');
  assert.equal(got.count, -7);
  assert.equal(got.big, -(2 ** 40));
});

test('lists: repeated values in order, packed numbers, null for an empty list without omitempty', () => {
  const got = thing(message([6, 'a'], [6, ''], [6, 'c'], [13, 1], [13, { packed: [2, -3] }], [7, 'r']));
  assert.deepEqual(got.tags, ['a', '', 'c']);
  assert.deepEqual(got.numbers, [1, 2, -3]);
  assert.deepEqual(got.required, ['r']);
  assert.equal('tags' in thing(new Uint8Array(0)), false);
  assert.deepEqual(thing(message([22, message([1, 'a'])], [22, message()])).nested, [{ value: 'a', note: '' }, { note: '' }]);
});

test('maps: entries in order, bytes values in base64, missing keys and values as zero values', () => {
  const got = thing(message([8, entry('a', '1')], [8, entry('b', '')], [8, message([1, 'c'])], [8, message([2, 'v'])], [9, entry('bin', new Uint8Array([0, 1, 255]))]));
  assert.deepEqual(got.labels, { a: '1', b: '', c: '', '': 'v' });
  assert.deepEqual(got.blobs, { bin: 'AAH/' });
  assert.deepEqual(thing(message([19, entry('cpu', message([1, '500m']))], [19, message([1, 'memory'])])).amounts, { cpu: '500m', memory: '0' });
});

test('structs always appear, pointers only when sent, inline fields join the parent', () => {
  const got = thing(message([10, message([1, 'in'])], [11, message()], [12, message([1, 'flat'], [2, 'n'])]));
  assert.deepEqual(got.inner, { value: 'in', note: '' });
  assert.deepEqual(got.maybe, { note: '' });
  assert.equal(got.value, 'flat');
  assert.equal(got.note, 'n');
  assert.equal('maybe' in thing(new Uint8Array(0)), false);
});

test('several occurrences of one message field merge', () => {
  const got = thing(message([11, message([1, 'a'])], [11, message([2, 'b'])]));
  assert.deepEqual(got.maybe, { value: 'a', note: 'b' });
});

test('bytes become base64, an empty bytes field under omitempty disappears', () => {
  assert.equal(thing(message([15, new Uint8Array([104, 105])])).data, 'aGk=');
  assert.equal('data' in thing(message([15, new Uint8Array(0)])), false);
});

test('times: whole seconds in RFC 3339, null or left out when zero, microseconds for MicroTime', () => {
  const at = 1704164645; // 2024-01-02T03:04:05Z
  const got = thing(message([16, message([1, at], [2, 999_999_999])], [17, message([1, at])], [18, message([1, at], [2, 123_456_789])]));
  assert.equal(got.when, '2024-01-02T03:04:05Z', 'nanoseconds of a Time are dropped, as Kubernetes does');
  assert.equal(got.stamp, '2024-01-02T03:04:05Z');
  assert.equal(got.micro, '2024-01-02T03:04:05.123456Z');
  const zero = thing(message([16, message()], [17, message()], [18, message()]));
  assert.equal('when' in zero, false, 'omitzero leaves a zero time out');
  assert.equal(zero.stamp, null);
  assert.equal(zero.micro, null);
  assert.equal(thing(message([17, message([1, 0])])).stamp, '1970-01-01T00:00:00Z', 'an explicit epoch is not the zero time');
  assert.equal(thing(message([18, message([1, at], [2, 5000])])).micro, '2024-01-02T03:04:05.000005Z');
  assert.equal(thing(message([17, message([1, -62135596800])])).stamp, '0001-01-01T00:00:00Z');
});

test('a time outside the years 0 to 9999 is refused', () => {
  assert.throws(() => thing(message([17, message([1, 253402300800])])), (err: ApiError) => err.code === 400 && /at stamp.*outside the years 0 to 9999/.test(err.message));
});

test('IntOrString becomes a number or a string by its type', () => {
  assert.equal(thing(message([20, message([1, 0], [2, 8080], [3, '']) ])).port, 8080);
  assert.equal(thing(message([20, message([1, 1], [2, 0], [3, 'http'])])).port, 'http');
  assert.equal(thing(message([20, message([1, 1])])).port, '');
});

test('FieldsV1 holds JSON text that becomes the JSON value', () => {
  assert.deepEqual(thing(message([21, message([1, Buffer.from('{"f:data":{".":{},"f:a":{}}}')])])).fields, { 'f:data': { '.': {}, 'f:a': {} } });
  assert.throws(() => thing(message([21, message([1, Buffer.from('{nope')])])), (err: ApiError) => err.code === 400 && /\(at fields\): meta.FieldsV1 must hold JSON/.test(err.message));
});

test('unknown fields: zero values are skipped, values with data are refused', () => {
  assert.deepEqual(thing(message([99, ''], [98, 0], [2, 'k'])).kind, 'k');
  assert.throws(() => thing(message([10, message([7, 'x'])])),
    (err: ApiError) => err.code === 400 && /at inner, byte 2\).*field number 7 of demo.Inner is not known to this server.*application\/json/.test(err.message));
});

test('a wrong wire type or truncated data names the field path and byte', () => {
  assert.throws(() => thing(message([1, 5])), (err: ApiError) => err.code === 400 && /at name, byte 0\).*field 1 of demo.Thing has wire type 0, expected 2/.test(err.message));
  assert.throws(() => thing(message([3, 'x'])), /field 3 of demo.Thing has wire type 2, expected 0/);
  const nested = message([22, message([1, 'ok'])], [22, hex('0a 09 6162')]);
  assert.throws(() => thing(nested), (err: ApiError) => err.code === 400 && /at nested\[1\], byte 11\): length 9 runs past the end/.test(err.message));
  assert.throws(() => thing(message([13, hex('ff')])), /at numbers.*inside a varint/);
  assert.throws(() => thing(message([8, message([3, 'x'])])), /at labels.*map entry holds field 3/);
});

test('Kubernetes unwrapped lists: ExtraValue is its list of strings', () => {
  const spec = decodeMessage(KUBERNETES_SCHEMA, 'authorization.SubjectAccessReviewSpec', message(
    [3, 'alice'],
    [5, entry('scopes', message([1, 'a'], [1, 'b']))],
    [5, message([1, 'empty'])],
  ));
  assert.deepEqual(spec, { user: 'alice', extra: { scopes: ['a', 'b'], empty: null } });
});
