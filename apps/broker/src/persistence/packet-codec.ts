/**
 * Turns the packets aedes hands to its persistence into rows (a jsonb header + a bytea payload) and back.
 *
 * aedes and its abstract test suite compare what comes back with what went in field by field, so the
 * round trip must be exact for plain packets: the same own keys (including keys whose value is
 * `undefined`, e.g. aedes-packet's `messageId`), a string payload stays a string, a Buffer payload stays a
 * Buffer. JSON loses `undefined` and Buffers, hence the two reserved keys below.
 */

/** What aedes stores: an aedes-packet, a PUBREL `{cmd, messageId}`, a will, a subscription record. */
export type AnyPacket = Record<string, unknown> & {
  cmd?: string;
  topic?: string;
  payload?: Buffer | Uint8Array | string;
  qos?: number;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
};

export interface EncodedPacket {
  header: Record<string, unknown>;
  payload: Buffer | null;
}

/** Keys of the packet whose value was `undefined` (JSON would drop the key). */
const UNDEFINED_KEYS = '__undefined';
/** Set when the payload was a string (stored as its UTF-8 bytes). */
const PAYLOAD_IS_STRING = '__payloadString';

export function encodePacket(packet: AnyPacket): EncodedPacket {
  const header: Record<string, unknown> = {};
  const undefinedKeys: string[] = [];
  let payload: Buffer | null = null;
  for (const key of Object.keys(packet)) {
    const value = packet[key];
    if (key === 'payload') {
      if (typeof value === 'string') {
        header[PAYLOAD_IS_STRING] = true;
        payload = Buffer.from(value, 'utf8');
      } else if (value instanceof Uint8Array) {
        payload = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      } else if (value === undefined) {
        undefinedKeys.push(key);
      } else if (value !== null) {
        throw new TypeError(`unsupported payload type ${typeof value}`);
      }
      continue;
    }
    if (value === undefined) undefinedKeys.push(key);
    else if (typeof value !== 'function') header[key] = value;
  }
  if (undefinedKeys.length > 0) header[UNDEFINED_KEYS] = undefinedKeys;
  return { header, payload };
}

/** Inverse of `encodePacket`. `header` is the parsed jsonb value (node-postgres parses it). */
export function decodePacket(header: Record<string, unknown>, payload: Buffer | null): AnyPacket {
  const packet: AnyPacket = {};
  const undefinedKeys = header[UNDEFINED_KEYS];
  const payloadIsString = header[PAYLOAD_IS_STRING] === true;
  for (const key of Object.keys(header)) {
    if (key === UNDEFINED_KEYS || key === PAYLOAD_IS_STRING) continue;
    packet[key] = reviveBuffers(header[key]);
  }
  if (Array.isArray(undefinedKeys)) {
    for (const key of undefinedKeys) packet[key as string] = undefined;
  }
  if (payload !== null) packet.payload = payloadIsString ? payload.toString('utf8') : payload;
  return packet;
}

/**
 * JSON turns a Buffer nested in a header (MQTT 5 `properties.correlationData`) into
 * `{type: 'Buffer', data: [...]}`; turn it back.
 */
function reviveBuffers(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(reviveBuffers);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 2 && obj.type === 'Buffer' && Array.isArray(obj.data)) return Buffer.from(obj.data as number[]);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = reviveBuffers(obj[key]);
  return out;
}
