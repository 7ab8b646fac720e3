import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompiledPolicy, parsePolicy, type PolicyDocument } from '../../../acl/src/policy.js';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import type { SecretBox } from '../../../common/src/crypto.js';
import { AppError } from '../../../common/src/errors.js';
import { newAccessKeyId, newAccessKeySecret } from '../../../common/src/ids.js';
import { skipOf, type Page, type PageRequest } from '../../../common/src/pagination.js';
import type { AppConfig } from '../../../config/src/config.js';
import { Caller } from '../auth/caller.js';
import { CHANGES_CHANNEL, parseChangeEvent } from '../../../database/src/change-notify.js';
import { PgListener } from '../../../database/src/pg-listener.js';
import { CONFIG, SECRET_BOX } from '../tokens.js';
import { AccessKeyEntity, type AccessKeyStatus } from './access-key.entity.js';
import { AccessKeysRepository } from './access-keys.repository.js';

export interface AccessKeyView {
  accessKeyId: string;
  status: AccessKeyStatus;
  isRoot: boolean;
  policy: PolicyDocument | null;
  remark: string;
  createTime: Date;
  updateTime: Date;
}

export interface CreatedAccessKey extends AccessKeyView {
  /** Shown once, at creation; afterwards only its encrypted form exists. */
  accessKeySecret: string;
}

const STATUSES: readonly AccessKeyStatus[] = ['Active', 'Inactive'];

/** Most keys a process keeps decrypted in memory; beyond it the cache starts over. */
const CACHE_LIMIT = 10_000;

@Injectable()
export class AccessKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AccessKeys');
  /**
   * Authenticated keys, so a signed request costs no database round trip for its key. Trusted only while
   * the LISTEN connection is up (any access_keys change evicts its entry; a reconnect clears all); while
   * it is down, every request reads the database.
   */
  private readonly cache = new Map<string, { caller: Caller; secret: string }>();
  /** Bumped on every access_keys change: a read that raced with a change is not cached. */
  private epoch = 0;
  private listener?: PgListener;

  constructor(
    private readonly keys: AccessKeysRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.databaseUrl) return;
    this.listener = new PgListener({
      url: this.config.databaseUrl,
      channels: [CHANGES_CHANNEL],
      onNotification: (_channel, payload) => {
        const change = parseChangeEvent(payload);
        if (change?.table !== 'access_keys') return;
        this.evict(change.id);
      },
      onListening: () => {
        this.epoch++;
        this.cache.clear();
      },
      onError: (m) => this.logger.warn(`AccessKey cache ${m}`),
    });
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.close();
  }

  async create(caller: Caller, input: { policy?: string; remark?: string }): Promise<CreatedAccessKey> {
    const id = newAccessKeyId();
    caller.authorize(RamActions.CreateAccessKey, Resources.accessKey(id));
    const secret = newAccessKeySecret();
    const row = await this.keys.insert({
      id,
      secretSealed: this.box.seal(secret),
      status: 'Active',
      isRoot: false,
      policy: input.policy === undefined ? null : validPolicy(input.policy),
      remark: validKeyRemark(input.remark),
    });
    return { ...view(row), accessKeySecret: secret };
  }

  /** Lists the keys the caller may see (`ram:ListAccessKeys` on each). */
  async list(caller: Caller, page: PageRequest): Promise<Page<AccessKeyView>> {
    const visible = (await this.keys.findAll()).filter((k) => caller.can(RamActions.ListAccessKeys, Resources.accessKey(k.id)));
    return { total: visible.length, pageNo: page.pageNo, pageSize: page.pageSize, items: visible.slice(skipOf(page), skipOf(page) + page.pageSize).map(view) };
  }

  async get(caller: Caller, accessKeyId: string): Promise<AccessKeyView> {
    caller.authorize(RamActions.ListAccessKeys, Resources.accessKey(accessKeyId));
    return view(await this.require(accessKeyId));
  }

  async update(caller: Caller, accessKeyId: string, input: { status?: string; policy?: string; remark?: string }): Promise<AccessKeyView> {
    caller.authorize(RamActions.UpdateAccessKey, Resources.accessKey(accessKeyId));
    const row = await this.require(accessKeyId);
    if (input.status !== undefined) {
      if (!(STATUSES as readonly string[]).includes(input.status)) throw AppError.invalid('Status', 'must be "Active" or "Inactive"');
      if (row.isRoot && input.status !== 'Active') throw AppError.of('Forbidden.RootAccessKey');
      row.status = input.status as AccessKeyStatus;
    }
    if (input.policy !== undefined) {
      if (row.isRoot) throw AppError.of('Forbidden.RootAccessKey', 'The root AccessKey may do everything; it takes no policy.');
      row.policy = validPolicy(input.policy);
    }
    if (input.remark !== undefined) row.remark = validKeyRemark(input.remark);
    const saved = await this.keys.save(row);
    this.evict(accessKeyId);
    return view(saved);
  }

  async delete(caller: Caller, accessKeyId: string): Promise<void> {
    caller.authorize(RamActions.DeleteAccessKey, Resources.accessKey(accessKeyId));
    const row = await this.require(accessKeyId);
    if (row.isRoot) throw AppError.of('Forbidden.RootAccessKey');
    await this.keys.delete(accessKeyId);
    this.evict(accessKeyId);
  }

  /** This process's own changes apply to its next request at once; other replicas learn them by NOTIFY. */
  private evict(accessKeyId: string): void {
    this.epoch++;
    this.cache.delete(accessKeyId);
  }

  /**
   * Resolves an AccessKeyId for request authentication: the caller and the clear secret the face needs
   * for its check (HMAC signature or Basic auth comparison).
   */
  async authenticate(accessKeyId: string): Promise<{ caller: Caller; secret: string }> {
    const trusted = this.listener?.listening === true;
    const hit = trusted ? this.cache.get(accessKeyId) : undefined;
    if (hit) return hit;
    const epoch = this.epoch;
    const row = accessKeyId ? await this.keys.findById(accessKeyId) : null;
    if (!row) throw AppError.of('InvalidAccessKeyId.NotFound', `The AccessKeyId "${accessKeyId}" does not exist.`);
    if (row.status !== 'Active') throw AppError.of('InvalidAccessKeyId.Inactive', `The AccessKeyId "${accessKeyId}" is disabled.`);
    const result = { caller: toCaller(row), secret: this.box.open(row.secretSealed) };
    if (trusted && epoch === this.epoch && this.listener?.listening) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(accessKeyId, result);
    }
    return result;
  }

  /**
   * Seeds the root AccessKey at start, idempotently. From AVIARY_ROOT_ACCESS_KEY_ID/SECRET when set;
   * otherwise, the first start generates one, prints it once and writes it to
   * `<data dir>/root-credentials.json` (mode 0600). Returns the credentials when they were just created.
   */
  async ensureRoot(): Promise<{ accessKeyId: string; accessKeySecret: string; file?: string } | undefined> {
    const { rootAccessKeyId: envId, rootAccessKeySecret: envSecret } = this.config;
    return this.keys.withSeedLock(async (m) => {
      const repo = m.getRepository(AccessKeyEntity);
      if (envId && envSecret) {
        const existing = await repo.findOneBy({ id: envId });
        if (existing && existing.isRoot && existing.status === 'Active' && this.box.open(existing.secretSealed) === envSecret) return undefined;
        await repo.save(repo.create({ ...(existing ?? {}), id: envId, secretSealed: this.box.seal(envSecret), status: 'Active', isRoot: true, policy: null }));
        this.logger.log(`Root AccessKey ${envId} set from AVIARY_ROOT_ACCESS_KEY_ID.`);
        return undefined;
      }
      if ((await repo.countBy({ isRoot: true })) > 0) return undefined;
      const accessKeyId = newAccessKeyId();
      const accessKeySecret = newAccessKeySecret();
      await repo.save(repo.create({ id: accessKeyId, secretSealed: this.box.seal(accessKeySecret), status: 'Active', isRoot: true, policy: null, remark: 'root' }));
      const file = join(this.config.dataDir, 'root-credentials.json');
      await mkdir(this.config.dataDir, { recursive: true });
      await writeFile(file, JSON.stringify({ AccessKeyId: accessKeyId, AccessKeySecret: accessKeySecret }, null, 2) + '\n', { mode: 0o600 });
      await chmod(file, 0o600);
      return { accessKeyId, accessKeySecret, file };
    });
  }

  private async require(accessKeyId: string): Promise<AccessKeyEntity> {
    const row = await this.keys.findById(accessKeyId);
    if (!row) throw AppError.of('AccessKeyNotFound', `The AccessKey "${accessKeyId}" does not exist.`);
    return row;
  }
}

export function toCaller(row: AccessKeyEntity): Caller {
  return new Caller(row.id, row.isRoot, row.policy ? CompiledPolicy.compile(row.policy) : CompiledPolicy.denyAll());
}

function validPolicy(text: string): PolicyDocument {
  const r = parsePolicy(text);
  if ('error' in r) throw AppError.invalid('Policy', r.error);
  return r.policy;
}

function validKeyRemark(remark: string | undefined): string {
  if (remark === undefined) return '';
  if (remark.length > 256) throw AppError.invalid('Remark', 'must be at most 256 characters');
  return remark;
}

function view(row: AccessKeyEntity): AccessKeyView {
  return { accessKeyId: row.id, status: row.status, isRoot: row.isRoot, policy: row.policy, remark: row.remark, createTime: row.createdAt, updateTime: row.updatedAt };
}
