import { Inject, Injectable } from '@nestjs/common';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { AppError } from '../../../common/src/errors.js';
import { newInstanceId } from '../../../common/src/ids.js';
import { checkInstanceName, INSTANCE_ID_PATTERN } from '../../../common/src/names.js';
import { skipOf, type Page, type PageRequest } from '../../../common/src/pagination.js';
import type { AppConfig } from '../../../config/src/config.js';
import type { Caller } from '../auth/caller.js';
import { isUniqueViolation } from '../db-errors.js';
import { CONFIG } from '../tokens.js';
import { DEFAULT_LIMITS, type InstanceEntity, type InstanceLimits } from './instance.entity.js';
import { InstancesRepository } from './instances.repository.js';

export interface InstanceEndpoints {
  tcp: string;
  ws: string;
  tls?: string;
  wss?: string;
}

export interface InstanceView {
  instanceId: string;
  instanceName: string;
  remark: string;
  status: string;
  createTime: Date;
  updateTime: Date;
  limits: InstanceLimits;
  endpoints: InstanceEndpoints;
}

export interface CreateInstanceInput {
  instanceName: string;
  remark?: string;
  limits?: Partial<InstanceLimits>;
}

export type UpdateInstanceInput = Partial<CreateInstanceInput>;

/** Bounds for configurable limits: a value outside is `InvalidParameter.<Limit>`. */
const LIMIT_BOUNDS: Record<keyof InstanceLimits, [number, number]> = {
  maxConnections: [1, 1_000_000],
  maxMessagesPerSecond: [1, 1_000_000],
  maxPayloadBytes: [1, 256 * 1024 * 1024],
  maxSubscriptionsPerClient: [1, 10_000],
  maxParentTopics: [1, 10_000],
  maxGroups: [1, 100_000],
  sessionExpirySeconds: [60, 365 * 24 * 3600],
};

@Injectable()
export class InstancesService {
  constructor(
    private readonly instances: InstancesRepository,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async create(caller: Caller, input: CreateInstanceInput): Promise<InstanceView> {
    const id = newInstanceId();
    caller.authorize(RamActions.CreateInstance, Resources.instance(id));
    const name = validName(input.instanceName);
    const limits = { ...DEFAULT_LIMITS, ...validLimits(input.limits) };
    try {
      const row = await this.instances.insert({ id, name, nameKey: name.toLowerCase(), remark: validRemark(input.remark), ...limits });
      return this.view(row);
    } catch (e) {
      if (isUniqueViolation(e)) throw AppError.of('InstanceName.AlreadyExists', `An instance named "${name}" already exists.`);
      throw e;
    }
  }

  /** Lists only the instances the caller may see (`mq:ListInstances` on each), so tenants never see each other. */
  async list(caller: Caller, page: PageRequest): Promise<Page<InstanceView>> {
    const visible = (await this.instances.findAll()).filter((i) => caller.can(RamActions.ListInstances, Resources.instance(i.id)));
    const items = visible.slice(skipOf(page), skipOf(page) + page.pageSize).map((i) => this.view(i));
    return { total: visible.length, pageNo: page.pageNo, pageSize: page.pageSize, items };
  }

  async get(caller: Caller, instanceId: string): Promise<InstanceView> {
    caller.authorize(RamActions.GetInstance, Resources.instance(instanceId));
    return this.view(await this.require(instanceId));
  }

  async update(caller: Caller, instanceId: string, input: UpdateInstanceInput): Promise<InstanceView> {
    caller.authorize(RamActions.UpdateInstance, Resources.instance(instanceId));
    const row = await this.require(instanceId);
    if (input.instanceName !== undefined) {
      row.name = validName(input.instanceName);
      row.nameKey = row.name.toLowerCase();
    }
    if (input.remark !== undefined) row.remark = validRemark(input.remark);
    Object.assign(row, validLimits(input.limits));
    try {
      return this.view(await this.instances.save(row));
    } catch (e) {
      if (isUniqueViolation(e)) throw AppError.of('InstanceName.AlreadyExists', `An instance named "${row.name}" already exists.`);
      throw e;
    }
  }

  async delete(caller: Caller, instanceId: string): Promise<void> {
    caller.authorize(RamActions.DeleteInstance, Resources.instance(instanceId));
    if (!(await this.instances.delete(instanceId))) throw notFound(instanceId);
  }

  /** The instance row, or `InstanceNotFound`. For services of resources that live in an instance. */
  async require(instanceId: string): Promise<InstanceEntity> {
    const row = INSTANCE_ID_PATTERN.test(instanceId) ? await this.instances.findById(instanceId) : null;
    if (!row) throw notFound(instanceId);
    return row;
  }

  view(row: InstanceEntity): InstanceView {
    const { publicHost: host, mqtt } = this.config;
    return {
      instanceId: row.id,
      instanceName: row.name,
      remark: row.remark,
      status: row.status,
      createTime: row.createdAt,
      updateTime: row.updatedAt,
      limits: {
        maxConnections: row.maxConnections,
        maxMessagesPerSecond: row.maxMessagesPerSecond,
        maxPayloadBytes: row.maxPayloadBytes,
        maxSubscriptionsPerClient: row.maxSubscriptionsPerClient,
        maxParentTopics: row.maxParentTopics,
        maxGroups: row.maxGroups,
        sessionExpirySeconds: row.sessionExpirySeconds,
      },
      endpoints: {
        tcp: `tcp://${host}:${mqtt.port}`,
        ws: `ws://${host}:${mqtt.wsPort}/mqtt`,
        ...(mqtt.tlsPort !== undefined ? { tls: `ssl://${host}:${mqtt.tlsPort}` } : {}),
        ...(mqtt.wssPort !== undefined ? { wss: `wss://${host}:${mqtt.wssPort}/mqtt` } : {}),
      },
    };
  }
}

function notFound(instanceId: string): AppError {
  return AppError.of('InstanceNotFound', `The instance "${instanceId}" does not exist.`);
}

function validName(name: string | undefined): string {
  if (name === undefined || name === '') throw AppError.missing('InstanceName');
  const why = checkInstanceName(name);
  if (why) throw AppError.invalid('InstanceName', why);
  return name;
}

export function validRemark(remark: string | undefined): string {
  if (remark === undefined) return '';
  if (remark.length > 256) throw AppError.invalid('Remark', 'must be at most 256 characters');
  return remark;
}

function validLimits(limits: Partial<InstanceLimits> | undefined): Partial<InstanceLimits> {
  const out: Partial<InstanceLimits> = {};
  for (const [key, value] of Object.entries(limits ?? {}) as [keyof InstanceLimits, number | undefined][]) {
    if (value === undefined) continue;
    const bounds = LIMIT_BOUNDS[key];
    const name = key.charAt(0).toUpperCase() + key.slice(1);
    if (!bounds) throw AppError.invalid(name, 'is not a known limit');
    if (!Number.isInteger(value) || value < bounds[0] || value > bounds[1]) {
      throw AppError.invalid(name, `must be an integer from ${bounds[0]} to ${bounds[1]}`);
    }
    out[key] = value;
  }
  return out;
}
