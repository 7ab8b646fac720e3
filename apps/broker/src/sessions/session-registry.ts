import { EventEmitter } from 'node:events';
import type { ClientContext } from './client-context.js';

/** Alibaba's client status events (reference §5.3): connect, disconnect (client sent DISCONNECT), tcpclean (connection lost or closed by us). */
export type SessionEventType = 'connect' | 'disconnect' | 'tcpclean';

export interface SessionEvent {
  instanceId: string;
  clientId: string;
  channelId: string;
  clientIp: string;
  eventType: SessionEventType;
  /** ms since epoch */
  time: number;
}

export interface ClientIdConflict {
  instanceId: string;
  clientId: string;
  /** channel closed in favour of the new one (MQTT 3.1.1 §3.1.4: the new connection wins) */
  oldChannelId: string;
  newChannelId: string;
  time: number;
}

export interface OnlineSession {
  instanceId: string;
  clientId: string;
  channelId: string;
  clientIp: string;
  mode: string;
  connectedAt: number;
  /** device-visible filters */
  subscriptions: string[];
}

export interface BrokerEvents {
  session: [SessionEvent];
  clientIdConflict: [ClientIdConflict];
  /** A publish or subscribe refused, or a connection refused at CONNECT (for the trace issue). */
  denied: [{ instanceId?: string; clientId: string; channelId: string; action: 'connect' | 'publish' | 'subscribe'; reason: string; time: number }];
  /** Subscriptions of a session changed (session writer). */
  subscriptions: [ClientContext];
}

/**
 * The online registry: authenticated connections by (instance, ClientId), with per-instance counts for
 * the connection limit, and the in-process event bus the rules and trace issues consume.
 */
export class SessionRegistry {
  readonly bus = new EventEmitter<BrokerEvents>();
  private readonly byId = new Map<string, ClientContext>();
  private readonly perInstance = new Map<string, number>();

  count(instanceId: string): number {
    return this.perInstance.get(instanceId) ?? 0;
  }

  get(nsId: string): ClientContext | undefined {
    return this.byId.get(nsId);
  }

  /** Registers an authenticated connection; returns the one it replaces (same instance + ClientId). */
  attach(ctx: ClientContext): ClientContext | undefined {
    const old = this.byId.get(ctx.nsId);
    this.byId.set(ctx.nsId, ctx);
    ctx.registered = true;
    if (!old) this.perInstance.set(ctx.instanceId!, this.count(ctx.instanceId!) + 1);
    else old.registered = false;
    return old;
  }

  detach(ctx: ClientContext): void {
    if (!ctx.registered || this.byId.get(ctx.nsId) !== ctx) return;
    ctx.registered = false;
    this.byId.delete(ctx.nsId);
    const n = this.count(ctx.instanceId!) - 1;
    if (n > 0) this.perInstance.set(ctx.instanceId!, n);
    else this.perInstance.delete(ctx.instanceId!);
  }

  contexts(): IterableIterator<ClientContext> {
    return this.byId.values();
  }

  /** Online sessions, optionally of one instance (the session APIs read the database table instead). */
  online(instanceId?: string): OnlineSession[] {
    const out: OnlineSession[] = [];
    for (const ctx of this.byId.values()) {
      if (instanceId !== undefined && ctx.instanceId !== instanceId) continue;
      out.push(describe(ctx));
    }
    return out;
  }

  find(instanceId: string, clientId: string): OnlineSession | undefined {
    const ctx = this.byId.get(`${instanceId}/${clientId}`);
    return ctx ? describe(ctx) : undefined;
  }
}

export function describe(ctx: ClientContext): OnlineSession {
  return {
    instanceId: ctx.instanceId!,
    clientId: ctx.clientId,
    channelId: ctx.channelId,
    clientIp: ctx.clientIp,
    mode: ctx.principal?.mode ?? '',
    connectedAt: ctx.connectedAt,
    subscriptions: [...ctx.filters].map((f) => f.slice(ctx.prefix.length)),
  };
}
