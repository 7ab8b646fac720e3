import { isUtf8 } from 'node:buffer';
import type { Client } from 'aedes';

/**
 * The two places where we reach past aedes' documented API, kept in this one file so an aedes upgrade
 * breaks loudly here (`attachInbound` throws when the internals moved) instead of silently elsewhere.
 *
 * 1. Inbound rewriting. Tenant isolation namespaces every topic and ClientId (see namespace.ts). aedes
 *    has hooks for PUBLISH and SUBSCRIBE but none for UNSUBSCRIBE, CONNECT's ClientId or the will, so we
 *    rewrite each packet as the parser emits it, before aedes' own `packet` listener sees it. The
 *    rewrite is pure renaming: every decision stays in the documented hooks.
 * 2. A packet-size guard. mqtt-packet buffers a packet until its declared remaining length has arrived
 *    (up to 256 MB); we look at the declared length after every parse call and destroy the connection
 *    as soon as a packet announces more than the client may send, before the body is buffered.
 * 3. UTF-8 strings. mqtt-packet decodes every string field (topic names and filters, ClientId, username,
 *    will topic) with `toString('utf8')`, which silently replaces ill-formed bytes with U+FFFD: a PUBLISH
 *    to `T1/<0xff>` would be routed as `T1/\uFFFD`. MQTT 3.1.1 §1.5.3 says a receiver of ill-formed UTF-8
 *    or of U+0000 MUST close the connection [MQTT-1.5.3-1, -2]; we check the raw bytes of each string
 *    as it is parsed and fail the parse, which aedes turns into closing that connection. The packet is
 *    never emitted, so nothing is routed, subscribed or authenticated from it.
 */
interface ParserInternals {
  parse(buf: Buffer): number;
  prependListener(event: 'packet', fn: (packet: unknown) => void): unknown;
  packet: { length: number };
  _parseString(): string | null;
  _emitError(err: Error): void;
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  error: Error | null;
}

/** Raised (as a parser error) for a string field that is not well-formed UTF-8 or contains U+0000. */
export class MalformedStringError extends Error {
  constructor(why: string) {
    super(`${why} in a string field [MQTT-1.5.3]`);
    this.name = 'MalformedStringError';
  }
}

export function attachInbound(client: Client, onPacket: (packet: unknown) => void, maxPacketBytes: () => number): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (
    !parser ||
    typeof parser.parse !== 'function' ||
    typeof parser.prependListener !== 'function' ||
    typeof parser.packet !== 'object' ||
    typeof parser._parseString !== 'function' ||
    typeof parser._emitError !== 'function' ||
    typeof parser._list?.slice !== 'function'
  ) {
    throw new Error('aedes internals changed: Client._parser is not an mqtt-packet parser (see aedes-internals.ts)');
  }
  parser.prependListener('packet', onPacket);
  //MUT checkStrings(parser);
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer): number => {
    const left = parse(buf);
    if (parser.packet.length > maxPacketBytes()) {
      client.conn.destroy(new Error(`packet of ${parser.packet.length} bytes exceeds the limit`));
    }
    return left;
  };
}

function checkStrings(parser: ParserInternals): void {
  const parseString = parser._parseString;
  parser._parseString = function checkedParseString(this: ParserInternals): string | null {
    const start = this._pos;
    const text = parseString.call(this);
    if (text === null || this.error) return text;
    // Decoding turns every ill-formed sequence into U+FFFD, so a string without one was well-formed; only
    // one that has it (rare: ill-formed, or a genuine U+FFFD) needs its raw bytes checked.
    if (text.includes('\uFFFD') && !isUtf8(this._list.slice(start + 2, this._pos))) {
      this._emitError(new MalformedStringError('ill-formed UTF-8'));
    } else if (text.includes('\u0000')) {
      this._emitError(new MalformedStringError('U+0000'));
    }
    return text;
  };
}
