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
 */
interface ParserInternals {
  parse(buf: Buffer): number;
  prependListener(event: 'packet', fn: (packet: unknown) => void): unknown;
  packet: { length: number };
}

export function attachInbound(client: Client, onPacket: (packet: unknown) => void, maxPacketBytes: () => number): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser.parse !== 'function' || typeof parser.prependListener !== 'function' || typeof parser.packet !== 'object') {
    throw new Error('aedes internals changed: Client._parser is not an mqtt-packet parser (see aedes-internals.ts)');
  }
  parser.prependListener('packet', onPacket);
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer): number => {
    const left = parse(buf);
    if (parser.packet.length > maxPacketBytes()) {
      client.conn.destroy(new Error(`packet of ${parser.packet.length} bytes exceeds the limit`));
    }
    return left;
  };
}
