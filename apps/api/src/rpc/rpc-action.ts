import type { AccessKeysService } from '../../../../libs/core/src/access-keys/access-keys.service.js';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import type { GroupsService } from '../../../../libs/core/src/groups/groups.service.js';
import type { InstancesService } from '../../../../libs/core/src/instances/instances.service.js';
import type { TopicsService } from '../../../../libs/core/src/topics/topics.service.js';
import type { MqttTokensService } from '../../../../libs/core/src/mqtt-tokens/mqtt-tokens.service.js';
import type { DeviceCredentialsService } from '../../../../libs/core/src/device-credentials/device-credentials.service.js';
import type { SessionsService } from '../../../../libs/core/src/sessions/sessions.service.js';
import type { BrokerCommandsService } from '../../../../libs/core/src/broker-commands/broker-commands.service.js';

/** The services an action handler may call: the same ones the REST controllers call. */
export interface RpcServices {
  instances: InstancesService;
  topics: TopicsService;
  groups: GroupsService;
  accessKeys: AccessKeysService;
  tokens: MqttTokensService;
  deviceCredentials: DeviceCredentialsService;
  brokerCommands: BrokerCommandsService;
  sessions: SessionsService;
}

export interface RpcContext {
  caller: Caller;
  services: RpcServices;
}

/**
 * Response field types for the catalogue, in Alibaba's vocabulary. A nested object is described by an
 * object, a list by a one-element array holding the element's description.
 */
export type RpcFieldType = 'String' | 'Integer' | 'Long' | 'Boolean';
export type RpcShape = RpcFieldType | readonly [RpcShape] | { readonly [field: string]: RpcShape };

/**
 * One entry of the action table. Adding an action = one of these plus its service method. RAM is
 * enforced by the services through the caller; `ram` documents which action and resource they check.
 */
export interface RpcActionDef<P extends object = object, R = unknown> {
  action: string;
  summary: string;
  params: new () => P;
  ram: { action: string; resource: string };
  /** Error codes this action can give beyond the ones every call can (authentication, protocol). */
  errors: readonly string[];
  /** Fields of the success body besides `RequestId`. */
  response: { readonly [field: string]: RpcShape };
  handle(ctx: RpcContext, params: P): Promise<R>;
  /** Maps the service result to the exact PascalCase fields of `response`. */
  toResponse(result: R): Record<string, unknown>;
}

/** Identity function that makes TypeScript check a table entry against its DTO and result types. */
export function defineAction<P extends object, R>(def: RpcActionDef<P, R>): RpcActionDef<P, R> {
  return def;
}

/** Epoch milliseconds, the unit of every Alibaba time field (`CreateTime`, `UpdateTime`, …). */
export function ms(date: Date): number {
  return date.getTime();
}

/** Alibaba's list actions have no paging: read every page of a service list. */
export async function allPages<T>(fetch: (page: { pageNo: number; pageSize: number }) => Promise<{ total: number; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for (let pageNo = 1; ; pageNo++) {
    const page = await fetch({ pageNo, pageSize: 100 });
    out.push(...page.items);
    if (page.items.length < 100 || out.length >= page.total) return out;
  }
}
