import { createHmac } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import {
  encodeConnect,
  encodeSubscribe,
  FrameSplitter,
  PacketType,
  publishPacketId,
  writePuback,
  type ConnectOptions,
} from './wire.js';

/** Loopback only: the suite never talks to another host. */
export const BENCH_HOST = '127.0.0.1';

/**
 * How the generator authenticates. `none` for Mosquitto and bare aedes (anonymous, any ClientId);
 * `signature` for Aviary: ClientId `<GroupId>@@@<DeviceId>`, username `Signature|<AccessKeyId>|<InstanceId>`,
 * password Base64(HMAC-SHA1(AccessKeySecret, ClientId)) (design §1.4).
 */
export type AuthSpec =
  | { mode: 'none' }
  | { mode: 'signature'; accessKeyId: string; accessKeySecret: string; instanceId: string; groupId: string };

export function connectOptions(auth: AuthSpec, deviceId: string, keepalive = 300): ConnectOptions {
  if (auth.mode === 'none') return { clientId: `bench-${deviceId}`, keepalive };
  const clientId = `${auth.groupId}@@@${deviceId}`;
  return {
    clientId,
    username: `Signature|${auth.accessKeyId}|${auth.instanceId}`,
    password: createHmac('sha1', auth.accessKeySecret).update(clientId).digest('base64'),
    keepalive,
  };
}

export class ConnackError extends Error {
  constructor(readonly returnCode: number) {
    super(`CONNACK return code ${returnCode}`);
    this.name = 'ConnackError';
  }
}

/**
 * One generator connection: a raw socket, the frame splitter, and the few callbacks a role needs.
 * QoS 1 PUBLISHes received are acknowledged in one write per socket chunk.
 */
export class BenchConn {
  /** PUBLISH frames received. */
  received = 0;
  /** Called for every PUBLISH received, with its body `buf[start, end)` (valid only during the call). */
  onPublish: ((qos: number, buf: Buffer, start: number, end: number) => void) | undefined;
  /** Called for every PUBACK received. */
  onPuback: ((packetId: number) => void) | undefined;
  /** Called after a whole socket chunk has been processed (roles batch their writes here). */
  onChunkDone: (() => void) | undefined;
  closed = false;

  private readonly splitter: FrameSplitter;
  private ackIds: number[] = [];
  private waiting: { type: number; resolve: (code: number) => void } | undefined;

  private constructor(readonly socket: Socket) {
    this.splitter = new FrameSplitter((type, flags, buf, start, end) => this.frame(type, flags, buf, start, end));
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      if (this.ackIds.length > 0) this.flushAcks();
      this.onChunkDone?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting = undefined;
    });
    // Errors end in 'close'; roles count failures from the closed flag, so the event is only swallowed here.
    socket.on('error', () => undefined);
  }

  /** Opens a socket, sends CONNECT and resolves after CONNACK 0; rejects on another code, close or timeout. */
  static open(port: number, options: ConnectOptions, timeoutMs = 5000): Promise<BenchConn> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: BENCH_HOST, port });
      socket.setNoDelay(true);
      const conn = new BenchConn(socket);
      const timer = setTimeout(() => fail(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      socket.once('close', () => fail(new Error('connection closed before CONNACK')));
      conn.waiting = {
        type: PacketType.CONNACK,
        resolve: (code) => {
          clearTimeout(timer);
          socket.removeAllListeners('close');
          socket.on('close', () => {
            conn.closed = true;
          });
          if (code === 0) resolve(conn);
          else fail(new ConnackError(code));
        },
      };
      // Nothing is sent before CONNACK: aedes drops clients that pipeline more than `queueLimit` packets.
      socket.write(encodeConnect(options));
    });
  }

  /** Subscribes and resolves after SUBACK; rejects when the broker refuses (0x80) or on timeout. */
  subscribe(filter: string, qos: 0 | 1, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SUBACK for ${filter} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = {
        type: PacketType.SUBACK,
        resolve: (code) => {
          clearTimeout(timer);
          if (code === 0x80) reject(new Error(`subscription to ${filter} refused`));
          else resolve();
        },
      };
      this.socket.write(encodeSubscribe(1, [[filter, qos]]));
    });
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private frame(type: number, flags: number, buf: Buffer, start: number, end: number): void {
    if (type === PacketType.PUBLISH) {
      this.received++;
      const qos = (flags >> 1) & 3;
      if (qos === 1) this.ackIds.push(publishPacketId(buf, start));
      this.onPublish?.(qos, buf, start, end);
    } else if (type === PacketType.PUBACK) {
      this.onPuback?.((buf[start] << 8) | buf[start + 1]);
    } else if (type === PacketType.CONNACK && this.waiting?.type === PacketType.CONNACK) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(buf[start + 1]);
    } else if (type === PacketType.SUBACK && this.waiting?.type === PacketType.SUBACK) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(buf[start + 2]);
    }
  }

  private flushAcks(): void {
    const out = Buffer.allocUnsafe(this.ackIds.length * 4);
    let o = 0;
    for (const id of this.ackIds) o = writePuback(out, o, id);
    this.ackIds.length = 0;
    this.socket.write(out);
  }
}
