import { decodePacket, encodePacket } from './packet-codec.js';

function roundTrip(packet: Record<string, unknown>): Record<string, unknown> {
  const { header, payload } = encodePacket(packet);
  // What PostgreSQL gives back: the header through JSON, the payload as a Buffer.
  return decodePacket(JSON.parse(JSON.stringify(header)), payload === null ? null : Buffer.from(payload));
}

describe('packet codec', () => {
  it('round-trips a queued publish, keeping keys whose value is undefined', () => {
    const packet = { cmd: 'publish', topic: 'a/b', payload: Buffer.from([0, 1, 255]), qos: 1, retain: false, dup: false, brokerId: 'b1', brokerCounter: 7, messageId: undefined };
    const back = roundTrip(packet);
    expect(back).toStrictEqual(packet);
    expect(Object.keys(back)).toContain('messageId');
  });

  it('keeps a string payload a string and a Buffer payload a Buffer', () => {
    expect(roundTrip({ topic: 't', payload: 'wörld' }).payload).toBe('wörld');
    const bin = roundTrip({ topic: 't', payload: Buffer.from('x') }).payload;
    expect(Buffer.isBuffer(bin)).toBe(true);
  });

  it('stores a Uint8Array payload as bytes and returns a Buffer', () => {
    const { payload } = encodePacket({ payload: new Uint8Array([1, 2, 3]) });
    expect(payload).toEqual(Buffer.from([1, 2, 3]));
  });

  it('round-trips a PUBREL exactly (no payload key appears)', () => {
    expect(roundTrip({ cmd: 'pubrel', messageId: 42 })).toStrictEqual({ cmd: 'pubrel', messageId: 42 });
  });

  it('revives Buffers nested in MQTT 5 properties', () => {
    const back = roundTrip({ topic: 't', payload: Buffer.alloc(0), properties: { correlationData: Buffer.from('id'), userProperties: { a: 'b' } } });
    expect(back.properties).toStrictEqual({ correlationData: Buffer.from('id'), userProperties: { a: 'b' } });
  });

  it('rejects a payload that is neither bytes nor text', () => {
    expect(() => encodePacket({ payload: 42 as unknown as string })).toThrow('unsupported payload type number');
  });
});
