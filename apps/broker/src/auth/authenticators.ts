import { Resources, RamActions } from '../../../../libs/acl/src/resources.js';
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { AccessKeyInfo, ConfigIndex } from '../index/config-index.js';
import type { ClientContext } from '../sessions/client-context.js';

/**
 * Device authentication modes (reference §3.5), one pluggable authenticator per username mode. Token
 * mode lives in tokens/token-sessions.ts; `BrokerOptions.authenticators` may add or replace modes.
 */
export interface AuthRequest {
  instanceId: string;
  /** Device-visible ClientId `<GroupId>@@@<DeviceId>`, already well-formed. */
  clientId: string;
  groupId: string;
  keyId: string;
  password: Buffer | undefined;
}

/** What an authenticated device may do, evaluated against the live index on every (cached) decision. */
export interface Principal {
  readonly mode: string;
  readonly keyId: string;
  /** `topic` is device-visible; its parent topic is known to exist in the instance. */
  mayPublish(topic: string, parent: string): boolean;
  /** `filter` may be a topic filter or, at forward time, a topic name. */
  maySubscribe(filter: string, parent: string): boolean;
  /** False once the credentials no longer hold (key disabled, deleted, secret rotated, rights lost). */
  stillValid(): boolean;
  /** The connection was accepted with this principal (Token mode follows its tokens' lifecycle from here). */
  attached?(ctx: ClientContext): void;
  /** That connection is closed. */
  detached?(ctx: ClientContext): void;
}

/**
 * `returnCode` 4: the credentials are wrong; 5: they are right but grant nothing here. The reason is for
 * the log only; the device sees the code.
 */
export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; returnCode: 4 | 5; reason: string };

export interface Authenticator {
  authenticate(req: AuthRequest): AuthOutcome | Promise<AuthOutcome>;
}

const INSTANCE_ACCESS = 'mq:MqttInstanceAccess';

function passwordMatches(secret: string, clientId: string, password: Buffer | undefined): boolean {
  if (!password) return false;
  // Compared as bytes: the expected password is ASCII (base64), so latin1 gives its exact bytes.
  const expected = Buffer.from(createHmac('sha1', hmacKey(secret)).update(clientId, 'utf8').digest('base64'), 'latin1');
  if (expected.length !== password.length) {
    timingSafeEqual(expected, expected); // same work as a comparison
    return false;
  }
  return timingSafeEqual(expected, password);
}

/** HMAC keys by secret: turning a string into a key is a fair part of an HMAC's cost, and runs on every CONNECT. */
const hmacKeys = new Map<string, KeyObject>();

function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (key === undefined) {
    if (hmacKeys.size >= 10_000) hmacKeys.clear(); // bounded: rotated and deleted secrets fall out
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * RAM check for a device topic. Alibaba policies name parent topics (`topic/<instance>/<Parent>`), so a
 * grant on the parent covers its sub-levels; a grant naming the full topic (or matching it with `*`)
 * also counts. Consequence, documented: a Deny can only narrow what the same resource string matches.
 */
function topicAllowed(key: AccessKeyInfo, action: string, instanceId: string, topic: string, parent: string): boolean {
  if (key.isRoot) return true;
  return key.policy.isAllowed(action, Resources.topic(instanceId, parent)) || (topic !== parent && key.policy.isAllowed(action, Resources.topic(instanceId, topic)));
}

/**
 * A key "has rights to the instance" when it is root, when its policy allows `mq:MqttInstanceAccess` on
 * the instance (reference §6), or when it allows `mq:PUB` / `mq:SUB` on at least one of the instance's
 * parent topics (so the typical device policy with only PUB/SUB statements works, as on Alibaba).
 */
function hasInstanceRights(index: ConfigIndex, key: AccessKeyInfo, instanceId: string): boolean {
  if (key.isRoot || key.policy.isAllowed(INSTANCE_ACCESS, Resources.instance(instanceId))) return true;
  for (const parent of index.topicsOf(instanceId)) {
    if (topicAllowed(key, RamActions.Publish, instanceId, parent, parent) || topicAllowed(key, RamActions.Subscribe, instanceId, parent, parent)) return true;
  }
  return false;
}

/** `Signature|<AccessKeyId>|<InstanceId>`, password Base64(HMAC-SHA1(AccessKeySecret, ClientId)). */
export class SignatureAuthenticator implements Authenticator {
  constructor(private readonly index: ConfigIndex) {}

  authenticate(req: AuthRequest): AuthOutcome {
    const key = this.index.accessKey(req.keyId);
    if (!key) return { ok: false, returnCode: 4, reason: `unknown AccessKey ${req.keyId}` };
    if (!key.active) return { ok: false, returnCode: 4, reason: `AccessKey ${req.keyId} is inactive` };
    if (!passwordMatches(key.secret, req.clientId, req.password)) return { ok: false, returnCode: 4, reason: 'signature does not match' };
    if (!hasInstanceRights(this.index, key, req.instanceId)) {
      return { ok: false, returnCode: 5, reason: `AccessKey ${req.keyId} has no rights on instance ${req.instanceId}` };
    }
    const index = this.index;
    const { instanceId } = req;
    const secretAtConnect = key.secret;
    const current = (): AccessKeyInfo | undefined => {
      const k = index.accessKey(req.keyId);
      return k && k.active ? k : undefined;
    };
    return {
      ok: true,
      principal: {
        mode: 'Signature',
        keyId: req.keyId,
        mayPublish(topic, parent) {
          const k = current();
          return k !== undefined && topicAllowed(k, RamActions.Publish, instanceId, topic, parent);
        },
        maySubscribe(filter, parent) {
          const k = current();
          return k !== undefined && topicAllowed(k, RamActions.Subscribe, instanceId, filter, parent);
        },
        stillValid() {
          const k = current();
          return k !== undefined && k.secret === secretAtConnect && hasInstanceRights(index, k, instanceId);
        },
      },
    };
  }
}

/**
 * `DeviceCredential|<DeviceAccessKeyId>|<InstanceId>`, password Base64(HMAC-SHA1(DeviceSecret, ClientId)).
 * The credential is bound to one ClientId in one instance: presenting it for another ClientId or instance
 * is a wrong credential (CONNACK 4), not a missing right. Rights (reference §6, [UNVERIFIED] upstream):
 * every parent topic of its instance, plus its own P2P topics (enforced by the adapter for everyone).
 */
export class DeviceCredentialAuthenticator implements Authenticator {
  constructor(private readonly index: ConfigIndex) {}

  authenticate(req: AuthRequest): AuthOutcome {
    const cred = this.index.deviceCredential(req.keyId);
    if (!cred) return { ok: false, returnCode: 4, reason: `unknown device credential ${req.keyId}` };
    if (cred.instanceId !== req.instanceId || cred.clientId !== req.clientId) {
      return { ok: false, returnCode: 4, reason: `device credential ${req.keyId} belongs to another ClientId or instance` };
    }
    if (!passwordMatches(cred.secret, req.clientId, req.password)) return { ok: false, returnCode: 4, reason: 'signature does not match' };
    const index = this.index;
    const { rowId, secret } = cred;
    return {
      ok: true,
      principal: {
        mode: 'DeviceCredential',
        keyId: req.keyId,
        mayPublish: () => true,
        maySubscribe: () => true,
        stillValid() {
          const c = index.deviceCredential(req.keyId);
          return c !== undefined && c.rowId === rowId && c.secret === secret && c.clientId === req.clientId && c.instanceId === req.instanceId;
        },
      },
    };
  }
}

export function defaultAuthenticators(index: ConfigIndex): Map<string, Authenticator> {
  return new Map<string, Authenticator>([
    ['Signature', new SignatureAuthenticator(index)],
    ['DeviceCredential', new DeviceCredentialAuthenticator(index)],
  ]);
}
