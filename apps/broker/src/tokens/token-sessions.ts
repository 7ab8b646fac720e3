import type { CorePublishPacket as PublishPacket } from '../core/types.js';
import { filterCovers, topicMatches } from '../../../../libs/acl/src/topic.js';
import type { Clock } from '../../../../libs/common/src/clock.js';
import { sha256Hex } from '../../../../libs/common/src/crypto.js';
import type { TokenType } from '../../../../libs/core/src/mqtt-tokens/mqtt-token.entity.js';
import type { SystemTopicHandler } from '../aedes-hooks.js';
import type { AuthOutcome, AuthRequest, Authenticator, Principal } from '../auth/authenticators.js';
import type { ConfigIndex, IndexChange } from '../index/config-index.js';
import type { BrokerLogger } from '../log.js';
import type { ClientContext } from '../sessions/client-context.js';
import type { TokenIndex, TokenInfo } from './token-index.js';
import { isTokenType, MAX_TOKEN_LENGTH, parseTokenPassword } from './token-password.js';

export const UPLOAD_TOKEN_TOPIC = '$SYS/uploadToken';
export const TOKEN_EXPIRE_NOTICE_TOPIC = '$SYS/tokenExpireNotice';
export const TOKEN_INVALID_NOTICE_TOPIC = '$SYS/tokenInvalidNotice';

/** `$SYS/tokenExpireNotice` goes out this long before a held token expires (reference §4: about 5 minutes). */
export const EXPIRE_NOTICE_MS = 5 * 60_000;

/**
 * `$SYS/tokenInvalidNotice` codes (reference §4). We use: 1 unknown, malformed, or not a token of this
 * instance and AccessKey (we do not say which: a foreign token's existence is not the device's business);
 * 2 expired; 3 revoked (or its row deleted); 5 the declared type is not the token's type; -1 the AccessKey
 * that applied the token was disabled or deleted.
 */
export type InvalidCode = 1 | 2 | 3 | 5 | -1;

interface Slot {
  /** The row as validated (resources never change; validity is re-read from the index). */
  info: TokenInfo;
  /** `$SYS/tokenExpireNotice` already sent for this token. */
  warned: boolean;
}

/**
 * Why `info` is not a valid token of type `type` for (instance, AccessKey) at `now`, or undefined when it is.
 * `snapshot` is what the connection validated earlier: a token that left the index meanwhile (pruned or
 * reloaded away after expiry, revocation, or instance deletion) is judged by it.
 */
export function invalidCode(info: TokenInfo | undefined, want: { instanceId: string; accessKeyId: string; type: TokenType }, now: number, keyActive: boolean, snapshot?: TokenInfo): InvalidCode | undefined {
  if (!info) return snapshot ? (snapshot.expireAt <= now ? 2 : 3) : 1;
  if (info.instanceId !== want.instanceId || info.accessKeyId !== want.accessKeyId) return 1;
  if (info.revokedAt !== null) return 3;
  if (info.expireAt <= now) return 2;
  if (info.type !== want.type) return 5;
  if (!keyActive) return -1;
  return undefined;
}

/**
 * What a Token-mode connection may do: the union of the tokens it holds (at most one per type). Publish
 * needs a W or RW token with a resource matching the topic; subscribe needs an R or RW token with a
 * resource covering the whole filter (`filterCovers`: a filter broader than the resource is refused).
 * Deliveries on existing subscriptions are re-checked the same way (the adapter's forward check), so a
 * narrower token uploaded later also narrows what arrives.
 */
export class TokenPrincipal implements Principal {
  readonly mode = 'Token';
  ctx?: ClientContext;
  /** Notice sent, disconnect pending: nothing is allowed any more. */
  ending = false;
  readonly slots = new Map<TokenType, Slot>();

  constructor(
    readonly keyId: string,
    readonly instanceId: string,
    readonly clientId: string,
    private readonly sessions: TokenSessions,
  ) {}

  mayPublish(topic: string): boolean {
    if (this.ending) return false;
    for (const { info } of this.slots.values()) {
      if (info.type !== 'R' && info.resources.some((r) => topicMatches(r, topic))) return true;
    }
    return false;
  }

  maySubscribe(filter: string): boolean {
    if (this.ending) return false;
    // One's own P2P topic: delivered without subscription anyway, so naming it needs no token resource.
    const levels = filter.split('/');
    if (levels.length === 3 && levels[1] === 'p2p' && levels[2] === this.clientId) return true;
    for (const { info } of this.slots.values()) {
      if (info.type !== 'W' && info.resources.some((r) => filterCovers(r, filter))) return true;
    }
    return false;
  }

  /** Expiry, revocation and the AccessKey are followed by TokenSessions, which notifies before closing. */
  stillValid(): boolean {
    return true;
  }

  attached(ctx: ClientContext): void {
    this.ctx = ctx;
    this.sessions.track(this);
  }

  detached(): void {
    this.sessions.untrack(this);
  }
}

export interface TokenSessionsDeps {
  index: ConfigIndex;
  tokens: TokenIndex;
  clock: Clock;
  log: BrokerLogger;
  /** How often expiries are compared with the clock (ms); default 250. */
  tickMs?: number;
}

/**
 * Token mode on live connections (reference §3.5 b, §4): the `Token` authenticator, the
 * `$SYS/uploadToken` handler, and the lifecycle of held tokens — `$SYS/tokenExpireNotice` once, about
 * 5 minutes before expiry; `$SYS/tokenInvalidNotice` then disconnect on expiry (code 2), revocation
 * (code 3, on the NOTIFY of the row, so within a second of RevokeToken on every worker) or the AccessKey
 * disabled (code -1).
 *
 * Time: expiries are compared with the injected clock on a periodic tick (not one timer per token), so
 * a test advancing a ManualClock sees the effect at the next tick, and a 30-day token costs nothing
 * until then. Everything here reads memory only.
 */
export class TokenSessions {
  /** token hash → connections holding it. */
  private readonly held = new Map<string, Set<TokenPrincipal>>();
  private timer?: NodeJS.Timeout;
  private ticks = 0;

  private readonly onTokenChanged = (hash: string): void => this.reviewHolders(hash);
  private readonly onTokensReloaded = (): void => this.sweep();
  private readonly onConfigChange = (ch: IndexChange): void => {
    if (ch.table === 'access_keys' || ch.op === 'RELOAD') this.sweep();
  };

  constructor(private readonly deps: TokenSessionsDeps) {}

  start(): void {
    this.deps.tokens.on('changed', this.onTokenChanged);
    this.deps.tokens.on('reloaded', this.onTokensReloaded);
    this.deps.index.on('change', this.onConfigChange);
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 250);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.deps.tokens.off('changed', this.onTokenChanged);
    this.deps.tokens.off('reloaded', this.onTokensReloaded);
    this.deps.index.off('change', this.onConfigChange);
  }

  // --- CONNECT ----------------------------------------------------------------------------------------

  readonly authenticator: Authenticator = {
    authenticate: (req: AuthRequest): AuthOutcome => {
      const pairs = parseTokenPassword(req.password?.toString('utf8'));
      if (!pairs) return { ok: false, returnCode: 4, reason: 'malformed Token password (want <R|W|RW>|<token>, at most one per type)' };
      const key = this.deps.index.accessKey(req.keyId);
      if (!key?.active) return { ok: false, returnCode: 4, reason: `unknown or inactive AccessKey ${req.keyId}` };
      const now = this.deps.clock.now();
      const principal = new TokenPrincipal(req.keyId, req.instanceId, req.clientId, this);
      for (const [type, token] of pairs) {
        const info = this.deps.tokens.get(sha256Hex(token));
        const code = invalidCode(info, { instanceId: req.instanceId, accessKeyId: req.keyId, type }, now, true);
        // Never log the token itself; the code says enough.
        if (code !== undefined) return { ok: false, returnCode: 4, reason: `${type} token invalid (code ${code})` };
        principal.slots.set(type, { info: info!, warned: false });
      }
      return { ok: true, principal };
    },
  };

  // --- $SYS/uploadToken -------------------------------------------------------------------------------

  /**
   * `{"token":"…","type":"R|W|RW"}`: replaces (or adds) the connection's token of that type before the
   * PUBACK goes out, so a client that waits for the PUBACK uses the new rights. An invalid upload
   * (malformed JSON, unknown type: code 1; otherwise the token's code) gets `$SYS/tokenInvalidNotice` and
   * the connection is closed, as for any token that stops being valid. From a connection not in Token
   * mode the topic is not publishable (refused: closed, like any other `$SYS/…`).
   */
  readonly upload: SystemTopicHandler = (ctx, _topic, payload) => {
    const p = ctx.principal;
    if (!(p instanceof TokenPrincipal)) return false;
    if (p.ending || ctx.closed) return; // being closed already
    let body: { token?: unknown; type?: unknown } | undefined;
    try {
      body = JSON.parse(payload.toString('utf8')) as typeof body;
    } catch {
      body = undefined;
    }
    const type = isTokenType(body?.type) ? body.type : undefined;
    const token = body?.token;
    if (type === undefined || typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return this.end(p, 1, type, 'malformed token upload');
    }
    const info = this.deps.tokens.get(sha256Hex(token));
    const code = invalidCode(info, { instanceId: p.instanceId, accessKeyId: p.keyId, type }, this.deps.clock.now(), this.keyActive(p.keyId));
    if (code !== undefined) return this.end(p, code, type, `uploaded ${type} token invalid`);
    const old = p.slots.get(type);
    if (old) this.release(p, old.info.hash);
    p.slots.set(type, { info: info!, warned: false });
    this.hold(p, info!.hash);
    ctx.forgetDecisions();
    this.deps.log.debug(`${ctx.nsId}: ${type} token replaced by upload`);
  };

  // --- lifecycle --------------------------------------------------------------------------------------

  track(p: TokenPrincipal): void {
    for (const { info } of p.slots.values()) this.hold(p, info.hash);
  }

  untrack(p: TokenPrincipal): void {
    for (const { info } of p.slots.values()) this.release(p, info.hash);
  }

  private hold(p: TokenPrincipal, hash: string): void {
    let set = this.held.get(hash);
    if (!set) this.held.set(hash, (set = new Set()));
    set.add(p);
  }

  private release(p: TokenPrincipal, hash: string): void {
    const set = this.held.get(hash);
    if (!set) return;
    set.delete(p);
    if (set.size === 0) this.held.delete(hash);
  }

  private keyActive(keyId: string): boolean {
    return this.deps.index.accessKey(keyId)?.active === true;
  }

  private tick(): void {
    this.sweep();
    // Forget tokens that expired or were revoked over a minute ago (at 250 ms ticks, about once a minute).
    if (++this.ticks % 240 === 0) {
      const now = this.deps.clock.now();
      const n = this.deps.tokens.prune(now - 60_000, (h) => this.held.has(h));
      if (n > 0) this.deps.log.debug(`Token index: ${n} expired or revoked tokens forgotten`);
    }
  }

  /** Re-checks every held token (tick, AccessKey change, reload). */
  private sweep(): void {
    const now = this.deps.clock.now();
    for (const hash of [...this.held.keys()]) this.reviewHolders(hash, now);
  }

  private reviewHolders(hash: string, now = this.deps.clock.now()): void {
    const holders = this.held.get(hash);
    if (!holders) return;
    for (const p of [...holders]) this.review(p, now);
  }

  private review(p: TokenPrincipal, now: number): void {
    if (p.ending || !p.ctx) return;
    const keyActive = this.keyActive(p.keyId);
    for (const [type, slot] of p.slots) {
      const current = this.deps.tokens.get(slot.info.hash);
      const code = invalidCode(current, { instanceId: p.instanceId, accessKeyId: p.keyId, type }, now, keyActive, slot.info);
      if (code !== undefined) return this.end(p, code, type, `${type} token no longer valid`);
    }
    for (const [type, slot] of p.slots) {
      const expireAt = slot.info.expireAt;
      if (!slot.warned && expireAt - now <= EXPIRE_NOTICE_MS && p.ctx.client.connected) {
        slot.warned = true;
        this.send(p.ctx, TOKEN_EXPIRE_NOTICE_TOPIC, { expireTime: expireAt, type });
      }
    }
  }

  /** `$SYS/tokenInvalidNotice` then disconnect; from now on the connection may do nothing. */
  private end(p: TokenPrincipal, code: InvalidCode, type: TokenType | undefined, why: string): void {
    const ctx = p.ctx;
    p.ending = true;
    if (!ctx) return;
    ctx.forgetDecisions();
    this.deps.log.log(`Disconnecting ${ctx.clientId} of ${ctx.instanceId} (channel ${ctx.channelId}): ${why} (tokenInvalidNotice code ${code})`);
    this.send(ctx, TOKEN_INVALID_NOTICE_TOPIC, type === undefined ? { code } : { code, type }, () => ctx.client.close());
  }

  /**
   * A QoS 0 message to this connection only, without subscription: it is published into the client's
   * private P2P space, which the adapter's forward check strips back to the plain `$SYS/…` topic.
   * `then` runs once the notice is written (or could not be), at most a second later.
   */
  private send(ctx: ClientContext, topic: string, body: object, then?: () => void): void {
    const client = ctx.client;
    if (ctx.closed || client.closed || !client.connected) {
      // Not past CONNACK yet (or gone): no notice can be sent in order; just close.
      then?.();
      return;
    }
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      then?.();
    };
    // A subscriber whose socket is backed up must not hold the disconnect back.
    const guard = then ? setTimeout(finish, 1000) : undefined;
    const packet = { cmd: 'publish', topic: ctx.p2pPrefix + topic, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain: false, dup: false } as PublishPacket;
    client.publish(packet, () => finish());
  }
}
