/**
 * Encoding of the packets the server sends (MQTT 3.1.1 §3), by hand: each is a few bytes, and a PUBLISH
 * is encoded once per message and shared by every subscriber (serialize-once fan-out, research
 * broker-core.md §4.2) — QoS 0 subscribers get the very same Buffer, QoS ≥ 1 ones a copy with their own
 * packet identifier patched in.
 */

/** Fixed header of each server → client packet type (flags included, §2.2). */
const PUBACK = 0x40;
const PUBREC = 0x50;
const PUBREL = 0x62;
const PUBCOMP = 0x70;
const SUBACK = 0x90;
const UNSUBACK = 0xb0;

export const PINGRESP_FRAME = Buffer.from([0xd0, 0x00]);

export function connackFrame(sessionPresent: boolean, returnCode: number): Buffer {
  return Buffer.from([0x20, 0x02, sessionPresent ? 1 : 0, returnCode]);
}

function ackFrame(type: number, messageId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = type;
  b[1] = 2;
  b[2] = messageId >> 8;
  b[3] = messageId & 0xff;
  return b;
}

export const pubackFrame = (id: number): Buffer => ackFrame(PUBACK, id);
export const pubrecFrame = (id: number): Buffer => ackFrame(PUBREC, id);
export const pubrelFrame = (id: number): Buffer => ackFrame(PUBREL, id);
export const pubcompFrame = (id: number): Buffer => ackFrame(PUBCOMP, id);
export const unsubackFrame = (id: number): Buffer => ackFrame(UNSUBACK, id);

export function subackFrame(messageId: number, granted: readonly number[]): Buffer {
  const rem = 2 + granted.length;
  const head = headerLength(rem);
  const b = Buffer.allocUnsafe(head + rem);
  b[0] = SUBACK;
  let pos = writeLength(b, 1, rem);
  b[pos++] = messageId >> 8;
  b[pos++] = messageId & 0xff;
  for (const g of granted) b[pos++] = g;
  return b;
}

/** A PUBLISH frame; for QoS > 0 the packet identifier sits at `idOffset(frame)` and may be patched. */
export interface PublishFrame {
  frame: Buffer;
  /** Where the 2-byte packet identifier is (QoS > 0), else -1. */
  idOffset: number;
}

export function encodePublish(topic: string, payload: Buffer, qos: number, retain: boolean, dup: boolean, messageId: number): PublishFrame {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  const rem = 2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length;
  const b = Buffer.allocUnsafe(headerLength(rem) + rem);
  b[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let pos = writeLength(b, 1, rem);
  b[pos++] = topicBytes >> 8;
  b[pos++] = topicBytes & 0xff;
  pos += b.write(topic, pos, topicBytes, 'utf8');
  let idOffset = -1;
  if (qos > 0) {
    idOffset = pos;
    b[pos++] = messageId >> 8;
    b[pos++] = messageId & 0xff;
  }
  payload.copy(b, pos);
  return { frame: b, idOffset };
}

/** A copy of a QoS > 0 frame with another packet identifier (and DUP flag). */
export function withMessageId(template: PublishFrame, messageId: number, dup: boolean): Buffer {
  const b = Buffer.allocUnsafe(template.frame.length);
  template.frame.copy(b);
  b[0] = dup ? b[0]! | 0x08 : b[0]! & ~0x08;
  b[template.idOffset] = messageId >> 8;
  b[template.idOffset + 1] = messageId & 0xff;
  return b;
}

function headerLength(rem: number): number {
  return rem < 128 ? 2 : rem < 16_384 ? 3 : rem < 2_097_152 ? 4 : 5;
}

/** Remaining Length as a variable byte integer (§2.2.3); returns the position after it. */
function writeLength(b: Buffer, pos: number, rem: number): number {
  do {
    let digit = rem % 128;
    rem = Math.floor(rem / 128);
    if (rem > 0) digit |= 0x80;
    b[pos++] = digit;
  } while (rem > 0);
  return pos;
}
