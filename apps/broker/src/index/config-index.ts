import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { CompiledPolicy } from '../../../../libs/acl/src/policy.js';
import type { SecretBox } from '../../../../libs/common/src/crypto.js';
import { CHANGES_CHANNEL, parseChangeEvent, type ChangeEvent } from '../../../../libs/database/src/change-notify.js';
import { AccessKeyEntity } from '../../../../libs/core/src/access-keys/access-key.entity.js';
import { DeviceCredentialEntity } from '../../../../libs/core/src/device-credentials/device-credential.entity.js';
import { GroupEntity } from '../../../../libs/core/src/groups/group.entity.js';
import { InstanceEntity, type InstanceLimits } from '../../../../libs/core/src/instances/instance.entity.js';
import { TopicEntity } from '../../../../libs/core/src/topics/topic.entity.js';
import type { BrokerLogger } from '../log.js';

export interface InstanceInfo {
  id: string;
  status: string;
  limits: InstanceLimits;
}

export interface AccessKeyInfo {
  id: string;
  /** Clear secret: Signature mode needs it for the HMAC. Never logged. */
  secret: string;
  active: boolean;
  isRoot: boolean;
  policy: CompiledPolicy;
}

export interface DeviceCredentialInfo {
  rowId: string;
  keyId: string;
  instanceId: string;
  clientId: string;
  secret: string;
}

/** What a change did to the index: the broker decides from it which live connections to re-check. */
export interface IndexChange {
  table: string;
  op: ChangeEvent['op'] | 'RELOAD';
  instanceId: string | null;
  /** access key id / device credential key id, when the change was about one. */
  keyId?: string;
}

/**
 * The broker's in-memory view of the control plane: instances (limits), parent topics, groups, access
 * keys (secrets decrypted, policies compiled) and device credentials. CONNECT and publish/subscribe
 * checks read only this (no database I/O on the hot path). It is loaded once, then kept current through
 * PostgreSQL LISTEN on `aviary_changes`: each notification names one row, which is re-read by id (or
 * removed), strictly in arrival order. LISTEN starts before the initial load so nothing falls in between;
 * when the listening connection drops, it reconnects and reloads everything.
 */
export class ConfigIndex extends EventEmitter<{ change: [IndexChange]; other: [ChangeEvent] }> {
  /** Bumped on every applied change; per-connection decision caches compare against it. */
  generation = 0;

  private readonly instances = new Map<string, InstanceInfo>();
  /** instanceId → parent topic names. */
  private readonly topics = new Map<string, Set<string>>();
  /** row id → where the topic sits, so a DELETE (which carries only the id) can be applied. */
  private readonly topicRows = new Map<string, { instanceId: string; topic: string }>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly groupRows = new Map<string, { instanceId: string; groupId: string }>();
  private readonly accessKeys = new Map<string, AccessKeyInfo>();
  private readonly credentials = new Map<string, DeviceCredentialInfo>();
  private readonly credentialRows = new Map<string, string>();

  private listener?: pg.Client;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SecretBox,
    private readonly databaseUrl: string,
    private readonly log: BrokerLogger,
  ) {
    super();
  }

  async start(): Promise<void> {
    await this.listen();
    // Through the queue, so notifications that arrive during the initial load are applied after it.
    const loaded = this.queue.then(() => this.reloadAll());
    this.queue = loaded.catch(() => undefined);
    await loaded;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.queue.catch(() => undefined);
  }

  // --- reads (hot path) ---------------------------------------------------------------------------

  instance(id: string): InstanceInfo | undefined {
    return this.instances.get(id);
  }

  hasTopic(instanceId: string, topic: string): boolean {
    return this.topics.get(instanceId)?.has(topic) ?? false;
  }

  topicsOf(instanceId: string): ReadonlySet<string> {
    return this.topics.get(instanceId) ?? EMPTY;
  }

  hasGroup(instanceId: string, groupId: string): boolean {
    return this.groups.get(instanceId)?.has(groupId) ?? false;
  }

  accessKey(id: string): AccessKeyInfo | undefined {
    return this.accessKeys.get(id);
  }

  deviceCredential(keyId: string): DeviceCredentialInfo | undefined {
    return this.credentials.get(keyId);
  }

  /** PostgreSQL backend pid of the LISTEN connection (diagnostics, tests); undefined while reconnecting. */
  async listenerPid(): Promise<number | undefined> {
    const r = await this.listener?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return r?.rows[0]?.pid;
  }

  /** Resolves once every notification received so far has been applied (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  // --- loading ------------------------------------------------------------------------------------

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'aviary-broker-index' });
    client.on('notification', (msg) => {
      const ev = parseChangeEvent(msg.payload);
      if (ev) this.enqueue(() => this.apply(ev));
    });
    client.on('error', (e) => this.onListenerLost(client, e));
    client.on('end', () => this.onListenerLost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.listener = client;
  }

  private onListenerLost(client: pg.Client, e: Error): void {
    if (this.closed || this.listener !== client) return;
    this.listener = undefined;
    this.log.warn(`Change listener lost (${e.message}); reconnecting`);
    client.end().catch(() => undefined);
    const retry = (): void => {
      this.reconnectTimer = setTimeout(() => {
        if (this.closed) return;
        this.listen()
          .then(() => this.enqueue(() => this.reloadAll()))
          .catch((err: Error) => {
            this.log.warn(`Change listener reconnect failed: ${err.message}`);
            retry();
          });
      }, 1000);
    };
    retry();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((e: Error) => this.log.error(`Applying a configuration change failed: ${e.stack ?? e.message}`));
  }

  private async reloadAll(): Promise<void> {
    const [instances, topics, groups, keys, creds] = await Promise.all([
      this.ds.getRepository(InstanceEntity).find(),
      this.ds.getRepository(TopicEntity).find(),
      this.ds.getRepository(GroupEntity).find(),
      this.ds.getRepository(AccessKeyEntity).find(),
      this.ds.getRepository(DeviceCredentialEntity).find(),
    ]);
    this.instances.clear();
    this.topics.clear();
    this.topicRows.clear();
    this.groups.clear();
    this.groupRows.clear();
    this.accessKeys.clear();
    this.credentials.clear();
    this.credentialRows.clear();
    for (const r of instances) this.putInstance(r);
    for (const r of topics) this.putTopic(r);
    for (const r of groups) this.putGroup(r);
    for (const r of keys) this.putAccessKey(r);
    for (const r of creds) this.putCredential(r);
    this.generation++;
    this.log.log(
      `Configuration index loaded: ${instances.length} instances, ${topics.length} topics, ${groups.length} groups, ` +
        `${this.accessKeys.size} access keys, ${this.credentials.size} device credentials`,
    );
    this.emit('change', { table: '*', op: 'RELOAD', instanceId: null });
  }

  /** Applies one notification: re-read that row by id, or drop it. */
  async apply(ev: ChangeEvent): Promise<void> {
    const change: IndexChange = { table: ev.table, op: ev.op, instanceId: ev.instanceId };
    switch (ev.table) {
      case 'instances': {
        const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(InstanceEntity).findOneBy({ id: ev.id });
        if (row) this.putInstance(row);
        else this.dropInstance(ev.id);
        break;
      }
      case 'parent_topics': {
        const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(TopicEntity).findOneBy({ id: ev.id });
        this.dropTopic(ev.id);
        if (row) this.putTopic(row);
        break;
      }
      case 'mqtt_groups': {
        const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(GroupEntity).findOneBy({ id: ev.id });
        this.dropGroup(ev.id);
        if (row) this.putGroup(row);
        break;
      }
      case 'access_keys': {
        const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(AccessKeyEntity).findOneBy({ id: ev.id });
        this.accessKeys.delete(ev.id);
        if (row) this.putAccessKey(row);
        change.keyId = ev.id;
        break;
      }
      case 'device_credentials': {
        const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(DeviceCredentialEntity).findOneBy({ id: ev.id });
        const oldKey = this.credentialRows.get(ev.id);
        if (oldKey) this.credentials.delete(oldKey);
        this.credentialRows.delete(ev.id);
        if (row) this.putCredential(row);
        change.keyId = row?.deviceAccessKeyId ?? oldKey;
        // A refresh may change the key id: connections on the old one must be re-checked too.
        if (row && oldKey && oldKey !== row.deviceAccessKeyId) {
          this.generation++;
          this.emit('change', { ...change, keyId: oldKey });
        }
        break;
      }
      default:
        // not mirrored here (e.g. mqtt_tokens): for pluggable authenticators to follow
        this.emit('other', ev);
        return;
    }
    this.generation++;
    this.emit('change', change);
  }

  private putInstance(r: InstanceEntity): void {
    this.instances.set(r.id, {
      id: r.id,
      status: r.status,
      limits: {
        maxConnections: r.maxConnections,
        maxMessagesPerSecond: r.maxMessagesPerSecond,
        maxPayloadBytes: r.maxPayloadBytes,
        maxSubscriptionsPerClient: r.maxSubscriptionsPerClient,
        maxParentTopics: r.maxParentTopics,
        maxGroups: r.maxGroups,
        sessionExpirySeconds: r.sessionExpirySeconds,
      },
    });
  }

  /** Cascaded deletes notify per row too, but do not rely on their order: drop the children here. */
  private dropInstance(id: string): void {
    this.instances.delete(id);
    this.topics.delete(id);
    this.groups.delete(id);
    for (const [row, t] of this.topicRows) if (t.instanceId === id) this.topicRows.delete(row);
    for (const [row, g] of this.groupRows) if (g.instanceId === id) this.groupRows.delete(row);
    for (const [row, keyId] of this.credentialRows) {
      if (this.credentials.get(keyId)?.instanceId === id) {
        this.credentials.delete(keyId);
        this.credentialRows.delete(row);
      }
    }
  }

  private putTopic(r: TopicEntity): void {
    let set = this.topics.get(r.instanceId);
    if (!set) this.topics.set(r.instanceId, (set = new Set()));
    set.add(r.topic);
    this.topicRows.set(r.id, { instanceId: r.instanceId, topic: r.topic });
  }

  private dropTopic(rowId: string): void {
    const t = this.topicRows.get(rowId);
    if (!t) return;
    this.topicRows.delete(rowId);
    this.topics.get(t.instanceId)?.delete(t.topic);
  }

  private putGroup(r: GroupEntity): void {
    let set = this.groups.get(r.instanceId);
    if (!set) this.groups.set(r.instanceId, (set = new Set()));
    set.add(r.groupId);
    this.groupRows.set(r.id, { instanceId: r.instanceId, groupId: r.groupId });
  }

  private dropGroup(rowId: string): void {
    const g = this.groupRows.get(rowId);
    if (!g) return;
    this.groupRows.delete(rowId);
    this.groups.get(g.instanceId)?.delete(g.groupId);
  }

  private putAccessKey(r: AccessKeyEntity): void {
    let secret: string;
    try {
      secret = this.secrets.open(r.secretSealed);
    } catch (e) {
      // Unusable (wrong master key, corrupt row): treat it as absent, so devices using it get CONNACK 4.
      this.log.error(`AccessKey ${r.id}: secret cannot be decrypted (${(e as Error).message}); ignored`);
      return;
    }
    let policy = CompiledPolicy.denyAll();
    if (r.policy) {
      try {
        policy = CompiledPolicy.compile(r.policy);
      } catch (e) {
        this.log.error(`AccessKey ${r.id}: policy does not compile (${(e as Error).message}); no rights`);
      }
    }
    this.accessKeys.set(r.id, { id: r.id, secret, active: r.status === 'Active', isRoot: r.isRoot, policy });
  }

  private putCredential(r: DeviceCredentialEntity): void {
    let secret: string;
    try {
      secret = this.secrets.open(r.secretSealed);
    } catch (e) {
      this.log.error(`Device credential ${r.deviceAccessKeyId}: secret cannot be decrypted (${(e as Error).message}); ignored`);
      return;
    }
    this.credentials.set(r.deviceAccessKeyId, {
      rowId: r.id,
      keyId: r.deviceAccessKeyId,
      instanceId: r.instanceId,
      clientId: r.clientId,
      secret,
    });
    this.credentialRows.set(r.id, r.deviceAccessKeyId);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
