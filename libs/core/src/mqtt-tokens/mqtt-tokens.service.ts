import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { isValidTopicFilter, parentOf } from '../../../acl/src/topic.js';
import type { Clock } from '../../../common/src/clock.js';
import { sha256Hex } from '../../../common/src/crypto.js';
import { AppError } from '../../../common/src/errors.js';
import type { Caller } from '../auth/caller.js';
import { InstancesService } from '../instances/instances.service.js';
import { TopicEntity } from '../topics/topic.entity.js';
import { CLOCK } from '../tokens.js';
import { MqttTokenEntity, type TokenType } from './mqtt-token.entity.js';

export const MAX_TOKEN_RESOURCES = 100;
export const MIN_TOKEN_VALIDITY_MS = 60_000;
export const MAX_TOKEN_VALIDITY_MS = 30 * 24 * 3600 * 1000;

/** `R` (subscribe), `W` (publish) or both, as ApplyToken's `Actions` spells them. */
const ACTIONS: Record<string, TokenType> = { R: 'R', W: 'W', 'R,W': 'RW', 'W,R': 'RW' };

export function tokenHash(token: string): string {
  return sha256Hex(token);
}

@Injectable()
export class MqttTokensService {
  constructor(
    @InjectRepository(MqttTokenEntity) private readonly tokens: Repository<MqttTokenEntity>,
    @InjectRepository(TopicEntity) private readonly topics: Repository<TopicEntity>,
    private readonly instances: InstancesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** ApplyToken: returns an opaque token (256 random bits, base64url) valid until `expireTime` (ms), capped at 30 days. */
  async apply(caller: Caller, instanceId: string, input: { resources?: string[]; actions?: string; expireTime?: number }): Promise<{ token: string; expireTime: number; type: TokenType }> {
    caller.authorize(RamActions.ApplyToken, Resources.instance(instanceId));
    const resources = parseResources(input.resources);
    for (const r of resources) caller.authorize(RamActions.ApplyToken, Resources.topic(instanceId, r));
    const type = parseActions(input.actions);
    const now = this.clock.now();
    if (input.expireTime === undefined) throw AppError.missing('ExpireTime');
    if (!Number.isSafeInteger(input.expireTime)) throw AppError.invalid('ExpireTime', 'must be a UNIX time in milliseconds');
    if (input.expireTime < now + MIN_TOKEN_VALIDITY_MS) throw AppError.invalid('ExpireTime', 'must be at least 60 seconds in the future');
    const expireTime = Math.min(input.expireTime, now + MAX_TOKEN_VALIDITY_MS);
    const parents = new Set((await this.topics.findBy({ instanceId })).map((t) => t.topic));
    // An instance with parent topics exists; only without any is the (rarer) InstanceNotFound check needed.
    if (parents.size === 0) await this.instances.require(instanceId);
    const unknown = resources.find((r) => !parents.has(parentOf(r)));
    if (unknown) throw AppError.invalid('Resources', `"${parentOf(unknown)}" is not a parent topic of ${instanceId}`);
    const token = randomBytes(32).toString('base64url');
    await this.tokens.insert({ instanceId, tokenHash: tokenHash(token), accessKeyId: caller.accessKeyId, resources, type, expireAt: new Date(expireTime), revokedAt: null });
    return { token, expireTime, type };
  }

  /** QueryToken: true while the token exists in this instance, is not revoked and has not expired. */
  async query(caller: Caller, instanceId: string, token: string | undefined): Promise<boolean> {
    caller.authorize(RamActions.QueryToken, Resources.instance(instanceId));
    await this.instances.require(instanceId);
    const row = await this.find(instanceId, token);
    return !!row && row.revokedAt === null && row.expireAt.getTime() > this.clock.now();
  }

  /** RevokeToken: connections using the token get `$SYS/tokenInvalidNotice` code 3 and are closed (broker, via NOTIFY). */
  async revoke(caller: Caller, instanceId: string, token: string | undefined): Promise<void> {
    caller.authorize(RamActions.RevokeToken, Resources.instance(instanceId));
    await this.instances.require(instanceId);
    const row = await this.find(instanceId, token);
    if (!row) throw AppError.invalid('Token', 'is not a token of this instance');
    if (row.revokedAt === null) await this.tokens.update({ id: row.id }, { revokedAt: new Date(this.clock.now()) });
  }

  private find(instanceId: string, token: string | undefined): Promise<MqttTokenEntity | null> {
    if (token === undefined || token === '') throw AppError.missing('Token');
    if (token.length > 4096) throw AppError.invalid('Token', 'is too long');
    return this.tokens.findOneBy({ instanceId, tokenHash: tokenHash(token) });
  }
}

function parseResources(given: string[] | undefined): string[] {
  if (given === undefined || given.length === 0) throw AppError.missing('Resources');
  const list = [...new Set(given.map((r) => r.trim()))].sort();
  if (list.length > MAX_TOKEN_RESOURCES) throw AppError.invalid('Resources', `at most ${MAX_TOKEN_RESOURCES} resources per token`);
  for (const r of list) {
    if (r === '' || !isValidTopicFilter(r) || r.startsWith('$') || parentOf(r).includes('+') || parentOf(r).includes('#')) {
      throw AppError.invalid('Resources', `"${r}" must be <ParentTopic>[/sub/levels] with + or # only below the parent`);
    }
  }
  return list;
}

function parseActions(text: string | undefined): TokenType {
  if (text === undefined || text === '') throw AppError.missing('Actions');
  const type = ACTIONS[text.replace(/\s+/g, '')];
  if (!type) throw AppError.invalid('Actions', 'must be R, W or R,W');
  return type;
}
