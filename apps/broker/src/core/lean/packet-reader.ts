import { checkParsedStrings } from '../mqtt-packet-strings.js';
import { Buffer, isUtf8 } from 'node:buffer';
import mqttPacket from 'mqtt-packet';

/**
 * Incremental MQTT packet reader for the lean core: one per connection, fed each socket chunk.
 *
 * Why not mqtt-packet's streaming Parser per connection: it costs ~1.46 µs per small PUBLISH (a `bl`
 * BufferList walk, a state machine dispatched by name, an EventEmitter) and a `bl` Duplex stream per
 * connection (~0.5 KB heap). Here the hot packets of MQTT 3.1/3.1.1 (PUBLISH, PUBACK, PUBREC, PUBREL,
 * PUBCOMP, PINGREQ, DISCONNECT) are decoded by offset straight from the chunk; every other packet, and
 * every packet of an MQTT 5 connection, is handed as one complete frame to a Parser shared by all
 * connections, so the only per-connection state is an incomplete frame and a few numbers.
 *
 * Output is what mqtt-packet's parser emits, with these deliberate differences (mostly the reader being
 * stricter where MQTT requires the receiver to close the connection, 3.1.1 §4.8, 5.0 §4.13):
 * - Fast-path packets are plain objects of one shape {cmd, retain, qos, dup, length, topic, payload,
 *   messageId} (the fields mqtt-packet's Packet has, same values), with `messageId: undefined` where
 *   mqtt-packet has no such property (QoS 0 PUBLISH, PINGREQ, DISCONNECT).
 * - Strings (topic names and filters, ClientId, username, will topic, MQTT 5 string properties) that are
 *   ill-formed UTF-8 or contain U+0000 are an error [MQTT-1.5.3-1, -2]; mqtt-packet maps bad bytes to
 *   U+FFFD and passes U+0000.
 * - A PUBLISH with DUP set at QoS 0 is an error [MQTT-3.3.1-2]; mqtt-packet accepts it.
 * - PUBACK/PUBREC/PUBREL/PUBCOMP whose remaining length is not 2, and PINGREQ/DISCONNECT whose remaining
 *   length is not 0, are errors (3.1.1 §3.4.1, §3.12.1, §3.14.1); mqtt-packet ignores extra bytes and,
 *   when the frame is too short, reads the packet identifier from the next frame's bytes or yields -1.
 * - A QoS 1/2 PUBLISH whose frame ends inside the packet identifier is an error (mqtt-packet reads past
 *   the frame, or yields messageId -1), as is packet identifier 0 on a QoS>0 PUBLISH, SUBSCRIBE or
 *   UNSUBSCRIBE [MQTT-2.3.1-1].
 * - A SUBSCRIBE or UNSUBSCRIBE without any topic filter is an error [MQTT-3.8.3-3, MQTT-3.10.3-2];
 *   mqtt-packet emits it with an empty list.
 * - Frames given to mqtt-packet are parsed on their own. Where mqtt-packet, streaming, would read past
 *   the end of a frame into the next one's bytes, a field cut short by the frame's end is an error here
 *   (see checkBounds; this includes a CONNACK cut before its return code). The converse: an MQTT 5
 *   DISCONNECT/AUTH with remaining length 0 or 1 is read as the spec says (reason code 0 / no
 *   properties), where mqtt-packet takes them from the next frame and then usually fails.
 * - Packet types 0 and invalid fixed-header flags are rejected as soon as the first byte arrives
 *   (mqtt-packet also rejects them on the first byte, except type 0, which it rejects after the frame).
 */

export interface PacketSink {
  /** Called synchronously, in order, for each complete packet. Return false to stop: the rest of the input is dropped (the connection is being closed). */
  onPacket(packet: MqttPacket): boolean | void;
}

export type MqttPacket = Record<string, any> & { cmd: string }; // same shapes mqtt-packet's parser emits

/** The frame is not well-formed MQTT (or breaks a rule the receiver must close the connection for). */
export class MalformedPacketError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedPacketError';
  }
}

/** The fixed header announced a remaining length above the limit; raised before the body is buffered. */
export class PacketTooLargeError extends Error {
  constructor(
    readonly announced: number,
    readonly limit: number,
  ) {
    super(`packet of ${announced} bytes exceeds the limit of ${limit}`);
    this.name = 'PacketTooLargeError';
  }
}

const CMD = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];

/**
 * 1 for every first byte that may start a frame: the flags of 3.1.1 Table 2.2 (and 5.0 Table 2-3), the
 * same table mqtt-packet checks, plus the two PUBLISH rules (QoS 3 is malformed; DUP needs QoS > 0).
 * Checked as soon as a frame's first byte arrives, so garbage (an HTTP request, TLS) fails at once.
 */
const FIRST_BYTE_OK = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const type = b >> 4;
  const flags = b & 0x0f;
  if (type === 0) continue;
  if (type === 3) {
    const qos = (flags >> 1) & 3;
    FIRST_BYTE_OK[b] = qos === 3 || (qos === 0 && (flags & 0x08) !== 0) ? 0 : 1;
  } else {
    FIRST_BYTE_OK[b] = flags === (type === 6 || type === 8 || type === 10 ? 2 : 0) ? 1 : 0;
  }
}

function firstByteError(first: number): MalformedPacketError {
  const type = first >> 4;
  if (type === 0) return new MalformedPacketError('reserved packet type 0');
  if (type === 3) {
    return new MalformedPacketError(
      ((first >> 1) & 3) === 3 ? 'PUBLISH must not have both QoS bits set to 1' : 'PUBLISH at QoS 0 must not have DUP set [MQTT-3.3.1-2]',
    );
  }
  return new MalformedPacketError(`invalid fixed-header flags 0x${(first & 0x0f).toString(16)} for ${CMD[type]} [MQTT-2.2.2-2]`);
}

/** Largest frame that gets a buffer of its full size as soon as its header is known; larger ones grow as bytes arrive. */
const PREALLOCATE_MAX = 4096;

/** Set by decodeHeader: the remaining length it decoded. Read immediately by the caller (no reentrancy in between). */
let decodedLength = 0;

/**
 * Decodes the fixed header of the frame at buf[pos]: returns its size in bytes (2–5) and sets
 * `decodedLength`; 0 when the header is not complete before `end`; -1 for a remaining length longer than
 * four bytes (what mqtt-packet also rejects). Non-minimal encodings are accepted, as mqtt-packet does.
 */
function decodeHeader(buf: Buffer, pos: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let i = 1; i <= 4; i++) {
    if (pos + i >= end) return 0;
    const b = buf[pos + i];
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      decodedLength = value;
      return i + 1;
    }
    mul *= 128;
  }
  return -1;
}

/** The one object shape every fast-path packet has, in mqtt-packet's field order. */
function makePacket(
  cmd: string,
  first: number,
  length: number,
  topic: string | null,
  payload: Buffer | null,
  messageId: number | undefined,
): MqttPacket {
  return {
    cmd,
    retain: (first & 0x01) !== 0,
    qos: (first >> 1) & 3,
    dup: (first & 0x08) !== 0,
    length,
    topic,
    payload,
    messageId,
  };
}

/** A UTF-8 string field's bytes → its text, or the error [MQTT-1.5.3-1, -2]. Topics are nearly always ASCII. */
function readString(buf: Buffer, start: number, end: number): string | MalformedPacketError {
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 0) return new MalformedPacketError('U+0000 in a string field [MQTT-1.5.3-2]');
    if (b >= 0x80) return readNonAscii(buf.subarray(start, end));
  }
  // ASCII: latin1 decodes it identically, to a one-byte string, without UTF-8 validation.
  return buf.toString('latin1', start, end);
}

function readNonAscii(bytes: Buffer): string | MalformedPacketError {
  // isUtf8 rejects overlong forms and surrogates, so a well-formed string has 0x00 only as U+0000.
  if (!isUtf8(bytes)) return new MalformedPacketError('ill-formed UTF-8 in a string field [MQTT-1.5.3-1]');
  if (bytes.includes(0)) return new MalformedPacketError('U+0000 in a string field [MQTT-1.5.3-2]');
  return bytes.toString('utf8');
}

/**
 * PUBLISH of MQTT 3.1/3.1.1 from buf[body, end). `owned`: buf is the reader's private copy of the frame,
 * so the payload may point into it; otherwise buf is the caller's chunk and the payload is copied.
 */
function readPublish(first: number, buf: Buffer, body: number, end: number, owned: boolean): MqttPacket | MalformedPacketError {
  const length = end - body;
  if (length < 2) return new MalformedPacketError('PUBLISH too short for its topic length');
  let pos = body + 2 + ((buf[body] << 8) | buf[body + 1]);
  if (pos > end) return new MalformedPacketError('PUBLISH topic longer than the packet');
  const topic = readString(buf, body + 2, pos);
  if (typeof topic !== 'string') return topic;
  let messageId: number | undefined = undefined;
  if ((first & 0x06) !== 0) {
    if (pos + 2 > end) return new MalformedPacketError('PUBLISH at QoS > 0 without a packet identifier');
    messageId = (buf[pos] << 8) | buf[pos + 1];
    if (messageId === 0) return new MalformedPacketError('packet identifier 0 [MQTT-2.3.1-1]');
    pos += 2;
  }
  let payload: Buffer;
  if (owned) payload = buf.subarray(pos, end);
  else {
    // The core may keep the payload (retained, offline queues) long after the chunk is reused.
    payload = Buffer.allocUnsafe(end - pos);
    buf.copy(payload, 0, pos, end);
  }
  return makePacket('publish', first, length, topic, payload, messageId);
}

/** The fast path for MQTT 3.1/3.1.1; undefined for a type it leaves to mqtt-packet. */
function readFast(first: number, buf: Buffer, body: number, end: number, owned: boolean): MqttPacket | MalformedPacketError | undefined {
  const type = first >> 4;
  switch (type) {
    case 3:
      return readPublish(first, buf, body, end, owned);
    case 4:
    case 5:
    case 6:
    case 7:
      if (end - body !== 2) return new MalformedPacketError(`${CMD[type]} remaining length must be 2, not ${end - body}`);
      return makePacket(CMD[type], first, 2, null, null, (buf[body] << 8) | buf[body + 1]);
    case 12:
    case 14:
      if (end !== body) return new MalformedPacketError(`${CMD[type]} remaining length must be 0, not ${end - body}`);
      return makePacket(CMD[type], first, 0, null, null, undefined);
    default:
      return undefined;
  }
}

// ---- The fallback: mqtt-packet's Parser, shared by all connections, fed one complete frame at a time.

/** The parts of mqtt-packet 9's Parser (parser.js) this file relies on. */
interface SharedParser {
  parse(buf: Buffer): number;
  on(event: 'packet', fn: (packet: MqttPacket) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  /** Options it was created with; parsing a CONNECT replaces it with that CONNECT packet. */
  settings: unknown;
  error: Error | null;
  packet: { cmd: string | null };
  _parseString(): string | null;
  _parseNum(): number;
  _parse4ByteNum(): number;
  _parseByte(): number | undefined;
  _parseVarByteNum(fullInfoFlag?: boolean): unknown;
  _emitError(err: Error): void;
  _pos: number;
  _list: { length: number; slice(start: number, end: number): Buffer };
}

/** What the current fallback parse produced; set by the parser's listeners, synchronously inside parse(). */
let fallbackPacket: MqttPacket | null = null;
let fallbackError: Error | null = null;

/** Shared parsers by settings: index (protocolVersion 3/4/5) * 2 + bridgeMode. Replaced after an error. */
const parsers: Array<SharedParser | undefined> = [];
const parserSettings: Array<Readonly<{ protocolVersion: number; bridgeMode: boolean }>> = [];
for (const v of [3, 4, 5]) {
  for (const bridgeMode of [false, true]) parserSettings[v * 2 + (bridgeMode ? 1 : 0)] = Object.freeze({ protocolVersion: v, bridgeMode });
}

function createParser(settings: object): SharedParser {
  const p = mqttPacket.parser(settings) as unknown as SharedParser;
  if (
    typeof p.parse !== 'function' ||
    typeof p._parseString !== 'function' ||
    typeof p._parseNum !== 'function' ||
    typeof p._parse4ByteNum !== 'function' ||
    typeof p._parseByte !== 'function' ||
    typeof p._parseVarByteNum !== 'function' ||
    typeof p._emitError !== 'function' ||
    typeof p._list?.slice !== 'function'
  ) {
    throw new Error('mqtt-packet internals changed: Parser._parseString / _parseNum / _parseByte / _parseVarByteNum / _emitError / _list (see packet-reader.ts)');
  }
  p.on('packet', (packet) => {
    fallbackPacket = packet;
  });
  p.on('error', (err) => {
    fallbackError ??= err;
  });
  // Ill-formed UTF-8 / U+0000 in any string field fails the parse (same patch as on aedes' parsers).
  checkParsedStrings(p, (why) => new MalformedPacketError(why));
  checkBounds(p);
  return p;
}

/**
 * mqtt-packet bounds its field reads by what it has buffered, not by the frame, and takes "no bytes left"
 * as a sentinel (-1, undefined, false) that several callers do not check: a frame cut short inside a
 * packet identifier yields messageId -1, a cut MQTT 5 property length reads as "no properties", a cut
 * boolean property reads as true. Streaming, it would read those bytes from the next frame instead. We
 * give it exactly one frame, so any such short read is a field running past the end of the frame: fail it.
 * The one exception is what MQTT 5 lets a DISCONNECT or AUTH omit at its very end: the property length
 * (§3.14.2.2.1, §3.15.2.2.1), which mqtt-packet reads only to find nothing there.
 */
function checkBounds(parser: SharedParser): void {
  const pastEnd = (): MalformedPacketError => new MalformedPacketError(`${parser.packet.cmd} field runs past the end of the packet`);
  const parseNum = parser._parseNum;
  parser._parseNum = function checkedParseNum(this: SharedParser): number {
    const n = parseNum.call(this);
    if (n === -1 && !this.error) this._emitError(pastEnd());
    return n;
  };
  const parse4ByteNum = parser._parse4ByteNum;
  parser._parse4ByteNum = function checkedParse4ByteNum(this: SharedParser): number {
    const n = parse4ByteNum.call(this);
    if (n === -1 && !this.error) this._emitError(pastEnd());
    return n;
  };
  const parseByte = parser._parseByte;
  parser._parseByte = function checkedParseByte(this: SharedParser): number | undefined {
    const n = parseByte.call(this);
    if (n === undefined && !this.error) this._emitError(pastEnd());
    return n;
  };
  const parseVarByteNum = parser._parseVarByteNum;
  parser._parseVarByteNum = function checkedParseVarByteNum(this: SharedParser, fullInfoFlag?: boolean): unknown {
    const at = this._pos;
    const n = parseVarByteNum.call(this, fullInfoFlag);
    // fullInfoFlag: the fixed header's remaining length, always complete here (we decoded it first).
    if (n === false && !fullInfoFlag && !this.error) {
      const cmd = this.packet.cmd;
      if (at < this._list.length || (cmd !== 'disconnect' && cmd !== 'auth')) this._emitError(pastEnd());
    }
    return n;
  };
}

// Fail at import, not on the first CONNECT, if mqtt-packet's internals moved.
parsers[4 * 2] = createParser(parserSettings[4 * 2]);

/** `frame` is exactly one complete frame that nothing else references (mqtt-packet may keep views into it). */
function readWithParser(frame: Buffer, protocolVersion: number, bridgeMode: boolean): MqttPacket | Error {
  const key = (protocolVersion === 5 || protocolVersion === 3 ? protocolVersion : 4) * 2 + (bridgeMode ? 1 : 0);
  const parser = (parsers[key] ??= createParser(parserSettings[key]));
  fallbackPacket = null;
  fallbackError = null;
  try {
    parser.parse(frame);
  } catch (err) {
    // mqtt-packet can throw on some malformed frames (e.g. a RangeError reading past its list).
    fallbackError ??= err instanceof Error ? err : new Error(String(err));
  }
  // Parsing a CONNECT makes the parser keep that packet as its settings (its protocolVersion and
  // bridgeMode then steer later parses): undo it, so no connection's CONNECT leaks into another's packets.
  parser.settings = parserSettings[key];
  const packet = fallbackPacket as MqttPacket | null;
  fallbackPacket = null;
  const error = fallbackError ?? parser.error ?? (packet === null || parser._list.length !== 0 ? new MalformedPacketError(`incomplete ${CMD[frame[0] >> 4]} frame`) : null);
  fallbackError = null;
  if (error !== null) {
    // A parser that failed is mid-frame with leftovers in its list: never reuse it.
    parsers[key] = undefined;
    // One error class for the owner (mqtt-packet raises plain Errors); `as Error`: TS narrows the structurally equal classes to never.
    return error instanceof MalformedPacketError ? error : new MalformedPacketError((error as Error).message, { cause: error });
  }
  return checkParsed(packet as MqttPacket);
}

/** Rules mqtt-packet does not enforce on the packets it parses for us (see the file comment). */
function checkParsed(packet: MqttPacket): MqttPacket | MalformedPacketError {
  const id: unknown = packet.messageId;
  if (id === -1) return new MalformedPacketError(`${packet.cmd} too short for its packet identifier`);
  switch (packet.cmd) {
    case 'publish':
      if (packet.qos > 0 && id === 0) return new MalformedPacketError('packet identifier 0 [MQTT-2.3.1-1]');
      break;
    case 'connack':
      // mqtt-packet emits a CONNACK cut short before its return code without one.
      if (packet.returnCode === undefined && packet.reasonCode === undefined) return new MalformedPacketError('CONNACK too short');
      break;
    case 'subscribe':
      if (id === 0) return new MalformedPacketError('packet identifier 0 [MQTT-2.3.1-1]');
      if (!Array.isArray(packet.subscriptions) || packet.subscriptions.length === 0) {
        return new MalformedPacketError('SUBSCRIBE without a topic filter [MQTT-3.8.3-3]');
      }
      break;
    case 'unsubscribe':
      if (id === 0) return new MalformedPacketError('packet identifier 0 [MQTT-2.3.1-1]');
      if (!Array.isArray(packet.unsubscriptions) || packet.unsubscriptions.length === 0) {
        return new MalformedPacketError('UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]');
      }
      break;
  }
  return packet;
}

/** The error behind PacketReader.complete()'s -2; read right after it returns. */
let completeError: Error | null = null;

const READY = 0;
/** Inside push(): seeing it on entry means push was re-entered from onPacket, or a previous onPacket threw. */
const BUSY = 1;
const STOPPED = 2;
const FAILED = 3;

/**
 * push() returns a PacketTooLargeError for an oversized announced length, a MalformedPacketError for
 * anything else wrong with the input (mqtt-packet's own errors are wrapped, as `cause`), and a plain
 * Error only for misuse (fed after an error, or re-entered).
 */
export class PacketReader {
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. Default 4. The reader sets it itself from a CONNECT it parses (packet.protocolVersion); the owner may set it too. */
  protocolVersion = 4;
  /** From the CONNECT (protocol version | 0x80): mqtt-packet then reads SUBSCRIBE options as a bridge's. */
  private bridgeMode = false;
  private mode = READY;
  /** Bytes of the incomplete frame at the end of the input so far (our copy), or null. */
  private partial: Buffer | null = null;
  /** How many bytes of `partial` are filled. */
  private have = 0;
  /** Size of the whole incomplete frame (header + remaining length), or -1 while its header is incomplete. */
  private total = -1;

  constructor(private readonly maxPacketBytes: () => number) {}

  /** Parses everything complete in (buffered + chunk); returns null, or the Error that makes the stream unusable.
   *  After an error the reader must not be fed again. A partial packet is kept (copied, not referencing `chunk`) until the rest arrives. */
  push(chunk: Buffer, sink: PacketSink): Error | null {
    if (this.mode !== READY) {
      if (this.mode === STOPPED) return null;
      return new Error(this.mode === FAILED ? 'PacketReader fed after an error' : 'PacketReader re-entered, or fed after onPacket threw');
    }
    this.mode = BUSY;
    const result = this.run(chunk, sink);
    if (result === null) {
      this.mode = READY;
      return null;
    }
    this.partial = null;
    this.have = 0;
    this.total = -1;
    if (result === false) {
      this.mode = STOPPED;
      return null;
    }
    this.mode = FAILED;
    return result;
  }

  /** null: all of chunk consumed or kept; false: the sink stopped; else the error. */
  private run(chunk: Buffer, sink: PacketSink): Error | null | false {
    const end = chunk.length;
    let pos = 0;
    if (this.partial !== null) {
      pos = this.complete(chunk);
      if (pos < 0) return pos === -1 ? null : (completeError as Error);
      const frame = this.partial;
      const total = this.total;
      this.partial = null;
      this.have = 0;
      this.total = -1;
      const result = this.frame(frame, 0, decodeHeader(frame, 0, total), total, true, sink);
      if (result !== null) return result;
    }
    while (pos < end) {
      const first = chunk[pos];
      if (FIRST_BYTE_OK[first] === 0) return firstByteError(first);
      const headerSize = decodeHeader(chunk, pos, end);
      if (headerSize === 0) {
        // At most 4 bytes of header: keep them in a buffer that can take the whole header.
        this.partial = Buffer.allocUnsafe(5);
        this.have = chunk.copy(this.partial, 0, pos, end);
        this.total = -1;
        return null;
      }
      if (headerSize < 0) return new MalformedPacketError('remaining length longer than 4 bytes');
      const remaining = decodedLength;
      const limit = this.maxPacketBytes();
      if (remaining > limit) return new PacketTooLargeError(remaining, limit);
      const frameEnd = pos + headerSize + remaining;
      if (frameEnd > end) {
        const total = headerSize + remaining;
        const have = end - pos;
        this.partial = Buffer.allocUnsafe(total <= PREALLOCATE_MAX ? total : Math.min(total, Math.max(2 * have, PREALLOCATE_MAX)));
        this.have = chunk.copy(this.partial, 0, pos, end);
        this.total = total;
        return null;
      }
      const result = this.frame(chunk, pos, pos + headerSize, frameEnd, false, sink);
      if (result !== null) return result;
      pos = frameEnd;
    }
    return null;
  }

  /**
   * Adds the start of chunk to the incomplete frame. Returns how many bytes of chunk it took once the
   * frame is complete (in `partial`, `total` bytes), -1 when chunk ran out first, -2 on an error (in
   * `completeError`).
   */
  private complete(chunk: Buffer): number {
    const end = chunk.length;
    let pos = 0;
    let partial = this.partial as Buffer;
    if (this.total < 0) {
      // The header is incomplete: take bytes one at a time until it decodes (at most 4).
      for (;;) {
        if (pos >= end) return -1;
        partial[this.have++] = chunk[pos++];
        const headerSize = decodeHeader(partial, 0, this.have);
        if (headerSize < 0) return this.completeFailed(new MalformedPacketError('remaining length longer than 4 bytes'));
        if (headerSize > 0) {
          const remaining = decodedLength;
          const limit = this.maxPacketBytes();
          if (remaining > limit) return this.completeFailed(new PacketTooLargeError(remaining, limit));
          this.total = headerSize + remaining;
          break;
        }
      }
    }
    const take = Math.min(this.total - this.have, end - pos);
    const needed = this.have + take;
    if (needed > partial.length) {
      // Grow geometrically, so a frame announced large costs memory only as its bytes actually arrive.
      const total = this.total;
      const grown = Buffer.allocUnsafe(total <= PREALLOCATE_MAX ? total : Math.min(total, Math.max(needed, 2 * partial.length, PREALLOCATE_MAX)));
      partial.copy(grown, 0, 0, this.have);
      this.partial = partial = grown;
    }
    chunk.copy(partial, this.have, pos, pos + take);
    this.have = needed;
    pos += take;
    return this.have === this.total ? pos : -1;
  }

  private completeFailed(err: Error): number {
    completeError = err;
    return -2;
  }

  /** One complete frame buf[start, end) with its body at [body, end): parse it, hand it to the sink. */
  private frame(buf: Buffer, start: number, body: number, end: number, owned: boolean, sink: PacketSink): Error | null | false {
    const version = this.protocolVersion;
    let packet = version === 4 || version === 3 ? readFast(buf[start], buf, body, end, owned) : undefined;
    if (packet === undefined) {
      let frame: Buffer;
      if (owned) frame = buf.subarray(start, end);
      else {
        frame = Buffer.allocUnsafe(end - start);
        buf.copy(frame, 0, start, end);
      }
      packet = readWithParser(frame, version, this.bridgeMode);
      if (!(packet instanceof Error) && packet.cmd === 'connect') {
        // Before onPacket, so the owner can still override it there.
        this.protocolVersion = packet.protocolVersion as number;
        this.bridgeMode = packet.bridgeMode === true;
      }
    }
    if (packet instanceof Error) return packet;
    return sink.onPacket(packet) === false ? false : null;
  }
}
