import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carriesNoData, readFields, WireError, WireReader, WIRE_FIXED32, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './wire.ts';
import { hex, message } from './test-bytes.ts';

test('varints decode up to 64 bits, including the 10-byte form of negative numbers', () => {
  assert.equal(new WireReader(hex('00')).varint(), 0n);
  assert.equal(new WireReader(hex('ac02')).varint(), 300n);
  assert.equal(new WireReader(hex('ffffffffffffffffff01')).varint(), 0xffffffffffffffffn);
});

test('a varint that never ends or runs past 10 bytes is refused with its offset', () => {
  assert.throws(() => new WireReader(hex('0a ff'), 100).field(), (err: WireError) => err instanceof WireError && /inside a varint/.test(err.message) && err.offset === 101);
  assert.throws(() => new WireReader(hex('ffffffffffffffffffff01')).varint(), /longer than 10 bytes/);
});

test('fields come back with their number, wire type, value and offset', () => {
  const bytes = message([1, 'ab'], [2, 7], [3, new Uint8Array([1, 2])]);
  const fields = readFields(bytes, 10);
  assert.deepEqual(fields.map((f) => [f.fieldNumber, f.value.wireType, f.offset]), [[1, WIRE_LENGTH_DELIMITED, 10], [2, WIRE_VARINT, 14], [3, WIRE_LENGTH_DELIMITED, 16]]);
  assert.deepEqual(fields[0].value.wireType === WIRE_LENGTH_DELIMITED && Buffer.from(fields[0].value.bytes).toString(), 'ab');
  assert.equal(fields[1].value.wireType === WIRE_VARINT && fields[1].value.varint, 7n);
});

test('fixed-width values are read, and cut-off ones refused', () => {
  const [f] = readFields(hex('0d 01000000'));
  assert.equal(f.value.wireType, WIRE_FIXED32);
  assert.throws(() => readFields(hex('0d 0100')), /ends 2 bytes early/);
  assert.throws(() => readFields(hex('09 01')), /ends 7 bytes early/);
});

test('a length that runs past the data, a group and field number 0 are refused', () => {
  assert.throws(() => readFields(hex('0a 05 6162')), /length 5 runs past the end of the data \(2 bytes left\)/);
  assert.throws(() => readFields(hex('0b')), /wire type 3, which Kubernetes never sends/);
  assert.throws(() => readFields(hex('02 00')), /invalid field number 0/);
});

test('zero values carry no data', () => {
  const [zero, one, empty, text] = readFields(message([1, 0], [1, 1], [2, ''], [2, 'x']));
  assert.equal(carriesNoData(zero.value), true);
  assert.equal(carriesNoData(one.value), false);
  assert.equal(carriesNoData(empty.value), true);
  assert.equal(carriesNoData(text.value), false);
  assert.equal(carriesNoData(readFields(hex('0d 00000000'))[0].value), true);
});
