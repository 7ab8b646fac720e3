import { checkParsedStrings } from './mqtt-packet-strings.js';
import type { Aedes, Client } from 'aedes';

/**
 * The places where we reach past aedes' documented API, kept in this one file so an aedes upgrade
 * breaks loudly here (`attachInbound` and `ackAfterPublish` throw when the internals moved) instead of
 * silently elsewhere.
 *
 * 1. Inbound rewriting. Tenant isolation namespaces every topic and ClientId (see namespace.ts). aedes
 *    has hooks for PUBLISH and SUBSCRIBE but none for UNSUBSCRIBE, CONNECT's ClientId or the will, so we
 *    rewrite each packet as the parser emits it, before aedes' own `packet` listener sees it. The
 *    rewrite is pure renaming: every decision stays in the documented hooks.
 * 2. A packet-size guard. mqtt-packet buffers a packet until its declared remaining length has arrived
 *    (up to 256 MB); we look at the declared length after every parse call and destroy the connection
 *    as soon as a packet announces more than the client may send, before the body is buffered. A packet
 *    that arrived whole in one read is caught as it is emitted (renamed to a type aedes refuses).
 * 3. UTF-8 strings. mqtt-packet decodes every string field (topic names and filters, ClientId, username,
 *    will topic) with `toString('utf8')`, which silently replaces ill-formed bytes with U+FFFD: a PUBLISH
 *    to `T1/<0xff>` would be routed as `T1/\uFFFD`. MQTT 3.1.1 §1.5.3 says a receiver of ill-formed UTF-8
 *    or of U+0000 MUST close the connection [MQTT-1.5.3-1, -2]; we check the raw bytes of each string
 *    as it is parsed and fail the parse, which aedes turns into closing that connection. The packet is
 *    never emitted, so nothing is routed, subscribed or authenticated from it.
 * 4. PUBACK after the message is stored (`ackAfterPublish`). aedes 1.2 answers a QoS 1 PUBLISH with
 *    PUBACK first and publishes it afterwards (handlers/publish.js `enqueuePublish`) — and publishing is
 *    when the offline copies for durable sessions are written. A broker killed between the two has
 *    acknowledged a message it never stored: the publisher drops it, the durable subscriber never gets it
 *    (our kill -9 test lost the last message of a burst that way). We start the publish right after
 *    `authorizePublish` allows it and let aedes write the PUBACK only once the message is stored.
 * 5. Duplicate suppression (`attachInbound`). aedes drops a delivery whose (brokerId, brokerCounter) is
 *    not above the last one the client received from that broker (client.js `dedupe`), to swallow the
 *    second copy when two of a client's subscriptions match one message. But counters are taken when a
 *    publish starts and emitted when it is stored, so with a database-backed persistence they reach the
 *    emitter out of order: a QoS 1 message waiting for its offline copy to commit is overtaken by a QoS 0
 *    message on the same topic, and then silently dropped for every subscriber that got the QoS 0 one
 *    (measured: 20–130 of 200 QoS 1 messages lost to a clean subscriber). We keep the suppression for
 *    what it is for — the same message again — and let every other message through.
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
    super(why);
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
  parser.prependListener('packet', (packet: unknown) => {
    const p = packet as { cmd: string; length: number };
    // A packet that arrived whole within one read never shows up as "in progress" below: refused here,
    // by turning it into a packet type aedes answers with closing the connection (nothing is routed).
    if (p.length > maxPacketBytes()) p.cmd = 'oversize';
    else onPacket(packet);
  });
  checkParsedStrings(parser, (why) => new MalformedStringError(why));
  dedupeRepeatsOnly(client);
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer): number => {
    const left = parse(buf);
    if (parser.packet.length > maxPacketBytes()) {
      client.conn.destroy(new Error(`packet of ${parser.packet.length} bytes exceeds the limit`));
    }
    return left;
  };
}

type Deliver = (packet: Packet, cb: () => void) => void;

/** See 5. above: before aedes' `dedupe` looks, forget the last counter unless this is that very message. */
function dedupeRepeatsOnly(client: Client): void {
  const c = client as unknown as { duplicates?: Record<string, number>; deliver0?: Deliver; deliverQoS?: Deliver };
  const duplicates = c.duplicates;
  if (typeof duplicates !== 'object' || duplicates === null || typeof c.deliver0 !== 'function' || typeof c.deliverQoS !== 'function') {
    throw new Error('aedes internals changed: Client.duplicates / deliver0 / deliverQoS (see aedes-internals.ts)');
  }
  const wrap = (deliver: Deliver): Deliver =>
    function deliverUnlessRepeat(this: unknown, packet, cb) {
      const id = packet.brokerId;
      const counter = packet.brokerCounter;
      if (typeof id === 'string' && typeof counter === 'number' && duplicates[id] !== counter) duplicates[id] = counter - 1;
      return deliver.call(this, packet, cb);
    };
  // Replaced before the CONNECT is handled, so every subscription (restored ones too) captures these.
  c.deliver0 = wrap(c.deliver0);
  c.deliverQoS = wrap(c.deliverQoS);
}

/** On a client's QoS 1 packet that `ackAfterPublish` is publishing: how that publish ends. */
const EARLY = Symbol('aviary.publishedBeforePuback');

interface EarlyPublish {
  finished: boolean;
  error: Error | null;
  /** aedes' own publish of the packet, waiting for the real one to finish. */
  then?: PublishDone;
}

type PublishDone = (err?: Error | null) => void;
type Packet = Record<PropertyKey, unknown>;
type Publish = (packet: Packet, client?: Client | PublishDone | null, done?: PublishDone) => void;
type AuthorizePublish = (client: Client | null, packet: Packet, done: PublishDone) => void;
type Emit = (packet: Packet, cb?: (err?: unknown) => void) => unknown;

/**
 * See 4. above. For a client's QoS 1 PUBLISH that `authorizePublish` allows, we start the publish
 * ourselves: aedes' publish runs retained storage, then the offline enqueue, then hands the message to
 * the emitter for delivery. The PUBACK is released when that hand-over happens (everything durable is
 * done; deliveries need not be). aedes' own `broker.publish` of the packet, issued after its PUBACK, then
 * only waits for our publish to finish, so its per-connection reading stays gated on the whole publish
 * as before. QoS 2 already stores before PUBREC; QoS 0 has no acknowledgement; wills are not PUBLISHes.
 */
export function ackAfterPublish(broker: Aedes): void {
  const b = broker as unknown as { id: string; counter: number; publish: Publish; authorizePublish: AuthorizePublish; mq?: { emit?: Emit } };
  const mq = b.mq;
  if (typeof b.publish !== 'function' || typeof b.authorizePublish !== 'function' || typeof mq?.emit !== 'function' || typeof b.counter !== 'number') {
    throw new Error('aedes internals changed: Aedes.publish / authorizePublish / mq.emit / counter (see aedes-internals.ts)');
  }
  const publish = b.publish;
  const authorize = b.authorizePublish;
  const emit = mq.emit;
  /** brokerCounter of a publish in progress → releases its PUBACK. */
  const awaitingEmit = new Map<number, () => void>();

  mq.emit = function emitReleasingPuback(this: unknown, packet: Packet, cb?: (err?: unknown) => void) {
    if (awaitingEmit.size > 0 && packet?.brokerId === b.id) {
      const release = awaitingEmit.get(packet.brokerCounter as number);
      if (release) {
        awaitingEmit.delete(packet.brokerCounter as number);
        release();
      }
    }
    return emit.call(this, packet, cb);
  };

  b.publish = function publishOnce(packet, client, done) {
    const early = typeof client === 'function' ? undefined : (packet?.[EARLY] as EarlyPublish | undefined);
    if (!early) return publish.call(this, packet, client, done);
    packet[EARLY] = undefined; // not `delete`: that would turn every such packet into a slow dictionary object
    if (early.finished) done?.(early.error);
    else early.then = done;
  };

  b.authorizePublish = function authorizeThenPublish(client, packet, done) {
    authorize.call(this, client, packet, (err) => {
      if (err || !client || packet.qos !== 1 || packet.cmd !== 'publish') return done(err);
      // aedes' Packet keeps an id it is given: the emitted copy is recognisable by it.
      const counter = ++b.counter;
      packet.brokerId = b.id;
      packet.brokerCounter = counter;
      const early: EarlyPublish = { finished: false, error: null };
      let answered = false;
      const release = (): void => {
        if (answered) return;
        answered = true;
        packet[EARLY] = early;
        done(null);
      };
      awaitingEmit.set(counter, release);
      publish.call(broker, packet, client, (publishErr) => {
        awaitingEmit.delete(counter);
        early.finished = true;
        early.error = publishErr ?? null;
        if (!answered) {
          // Failed before it was stored: no PUBACK, aedes closes the connection and the client resends.
          if (publishErr) {
            answered = true;
            return done(publishErr);
          }
          release();
        } else {
          early.then?.(early.error);
        }
      });
    });
  };
}
