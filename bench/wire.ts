/**
 * The load generator's MQTT 3.1.1 wire code: a minimal encoder for the packets a client sends
 * (CONNECT, PUBLISH, SUBSCRIBE, PUBACK, PINGREQ, DISCONNECT) and a streaming frame splitter.
 *
 * Why hand-rolled: mqtt.js saturated before Mosquitto did when used as a generator (performance issue),
 * and even mqtt-packet's parser costs ~1.5 µs per small PUBLISH. A generator must be much cheaper than
 * the broker it measures, so it pre-encodes frames once and only splits the incoming byte stream at frame
 * boundaries. mqtt-packet stays the oracle: bench.e2e-spec.ts checks both directions against it.
 */

export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  SUBSCRIBE: 8,
  SUBACK: 9,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

export class MalformedFrameError extends Error {
  constructor(why: string) {
    super(`Malformed MQTT frame: ${why}`);
    this.name = 'MalformedFrameError';
  }
}

/** MQTT's maximum "remaining length" (4 varint bytes). */
const MAX_REMAINING = 268_435_455;

function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, offset: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[offset++] = byte;
  } while (n > 0);
  return offset;
}

/** A frame: fixed-header byte + remaining length + `body` parts, as one Buffer. */
function frame(header: number, parts: Buffer[]): Buffer {
  let remaining = 0;
  for (const p of parts) remaining += p.length;
  if (remaining > MAX_REMAINING) throw new RangeError(`packet too large (${remaining} bytes)`);
  const out = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  out[0] = header;
  let o = writeVarint(out, 1, remaining);
  for (const p of parts) o += p.copy(out, o);
  return out;
}

function str(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (bytes.length > 0xffff) throw new RangeError('string longer than 65535 bytes');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string | Buffer;
  clean?: boolean;
  /** Seconds; 0 disables keep-alive (the bench default: idle connections must stay up). */
  keepalive?: number;
}

export function encodeConnect(o: ConnectOptions): Buffer {
  let flags = o.clean === false ? 0 : 0x02;
  const payload = [str(o.clientId)];
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(str(o.username));
  }
  if (o.password !== undefined) {
    if (o.username === undefined) throw new Error('MQTT 3.1.1 allows a password only with a username');
    flags |= 0x40;
    payload.push(str(o.password));
  }
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, 0, 0]);
  variable.writeUInt16BE(o.keepalive ?? 0, 8);
  return frame(0x10, [variable, ...payload]);
}

export function encodePublish(topic: string | Buffer, payload: Buffer, qos: 0 | 1 = 0, packetId = 0, retain = false): Buffer {
  const header = 0x30 | (qos << 1) | (retain ? 1 : 0);
  if (qos === 0) return frame(header, [str(topic), payload]);
  if (packetId < 1 || packetId > 0xffff) throw new RangeError('QoS 1 needs a packet id 1-65535');
  return frame(header, [str(topic), u16(packetId), payload]);
}

/** Offset of the packet id inside a frame from `encodePublish(topic, …, 1, …)`, to patch ids in place. */
export function publishIdOffset(frameBytes: Buffer): number {
  const lenBytes = remainingLengthBytes(frameBytes);
  const topicLen = frameBytes.readUInt16BE(1 + lenBytes);
  return 1 + lenBytes + 2 + topicLen;
}

function remainingLengthBytes(f: Buffer): number {
  let i = 1;
  while (f[i] & 0x80) i++;
  return i;
}

export function encodeSubscribe(packetId: number, filters: Array<[string, 0 | 1 | 2]>): Buffer {
  const parts = [u16(packetId)];
  for (const [filter, qos] of filters) parts.push(str(filter), Buffer.from([qos]));
  return frame(0x82, parts);
}

export function encodePuback(packetId: number): Buffer {
  return Buffer.from([0x40, 2, packetId >> 8, packetId & 0xff]);
}

/** Writes a PUBACK into `out` at `offset` (batched acks: one write per received chunk). */
export function writePuback(out: Buffer, offset: number, packetId: number): number {
  out[offset] = 0x40;
  out[offset + 1] = 2;
  out[offset + 2] = packetId >> 8;
  out[offset + 3] = packetId & 0xff;
  return offset + 4;
}

export const PINGREQ = Buffer.from([0xc0, 0]);
export const DISCONNECT = Buffer.from([0xe0, 0]);

/**
 * Called once per complete frame with its type (high nibble), flags (low nibble) and its body
 * `buf[start, end)`. The body is only valid during the call (it may be a view of a socket chunk).
 */
export type FrameHandler = (type: number, flags: number, buf: Buffer, start: number, end: number) => void;

/**
 * Splits a byte stream into MQTT frames without decoding them. Frames inside one chunk are handed out as
 * views (no copy); a frame cut by a chunk boundary is assembled once, when its last byte arrives, so the
 * cost stays linear even for frames spanning many chunks.
 */
export class FrameSplitter {
  frames = 0;
  bytes = 0;
  /** Chunks holding the start of an incomplete frame, and how many bytes they hold. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total size of the incomplete frame once its header is known, else 0. */
  private need = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.need <= 0) this.need = frameSize(Buffer.concat(this.pending, this.pendingBytes), 0);
      if (this.need < 0 || this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = 0;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      // Inline varint decode: this loop runs once per received message.
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let complete = false;
      for (let k = 0; k < 4 && j < n; k++) {
        const b = buf[j++];
        len += (b & 0x7f) * mul;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        if (k === 3) throw new MalformedFrameError('remaining length longer than 4 bytes');
        mul *= 128;
      }
      if (!complete || n - j < len) break;
      this.frames++;
      const h = buf[i];
      this.onFrame(h >> 4, h & 0x0f, buf, j, j + len);
      i = j + len;
    }
    if (i < n) {
      const rest = buf.subarray(i);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      this.need = frameSize(rest, 0);
    }
  }
}

/** Total frame size starting at `offset`, or -1 while the remaining-length field is incomplete. */
function frameSize(buf: Buffer, offset: number): number {
  let len = 0;
  let mul = 1;
  for (let k = 0; k < 4; k++) {
    const j = offset + 1 + k;
    if (j >= buf.length) return -1;
    const b = buf[j];
    len += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return 1 + (k + 1) + len;
    mul *= 128;
  }
  throw new MalformedFrameError('remaining length longer than 4 bytes');
}

/** Packet id of a QoS>0 PUBLISH body `buf[start, end)`. */
export function publishPacketId(buf: Buffer, start: number): number {
  const topicLen = (buf[start] << 8) | buf[start + 1];
  const o = start + 2 + topicLen;
  return (buf[o] << 8) | buf[o + 1];
}

/** Start of the payload of a PUBLISH body. */
export function publishPayloadStart(buf: Buffer, start: number, qos: number): number {
  const topicLen = (buf[start] << 8) | buf[start + 1];
  return start + 2 + topicLen + (qos > 0 ? 2 : 0);
}
