import { Max, MaxLength, Min } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { checkInstanceName } from '../../../../../libs/common/src/names.js';
import type { InstanceLimits } from '../../../../../libs/core/src/instances/instance.entity.js';
import type { InstanceView } from '../../../../../libs/core/src/instances/instances.service.js';
import { RpcParam } from '../rpc-param.js';
import { allPages, defineAction, ms } from '../rpc-action.js';
import { NameRule } from '../rules.js';
import { InstanceScopedParams } from './common.js';

const INSTANCE = 'acs:mq:*:*:instance/{InstanceId}';

/** Per-instance limits, settable on create and update (wire name = Pascal-cased service field). */
class LimitParams {
  @RpcParam({ type: 'Integer', required: false, description: 'Maximum concurrent MQTT connections.' })
  @Min(1)
  MaxConnections?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Maximum messages per second (publish, all clients).' })
  @Min(1)
  MaxMessagesPerSecond?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Maximum payload size in bytes.' })
  @Min(1)
  MaxPayloadBytes?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Maximum subscriptions per client.' })
  @Min(1)
  MaxSubscriptionsPerClient?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Maximum parent topics in the instance.' })
  @Min(1)
  MaxParentTopics?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Maximum GroupIds in the instance.' })
  @Min(1)
  MaxGroups?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'How long a cleanSession=false session outlives its connection, in seconds.' })
  @Min(60)
  @Max(365 * 24 * 3600)
  SessionExpirySeconds?: number;
}

function limitsOf(p: Partial<LimitParams>): Partial<InstanceLimits> | undefined {
  const limits: Partial<InstanceLimits> = {
    maxConnections: p.MaxConnections,
    maxMessagesPerSecond: p.MaxMessagesPerSecond,
    maxPayloadBytes: p.MaxPayloadBytes,
    maxSubscriptionsPerClient: p.MaxSubscriptionsPerClient,
    maxParentTopics: p.MaxParentTopics,
    maxGroups: p.MaxGroups,
    sessionExpirySeconds: p.SessionExpirySeconds,
  };
  const set = Object.entries(limits).filter(([, v]) => v !== undefined);
  return set.length ? (Object.fromEntries(set) as Partial<InstanceLimits>) : undefined;
}

const NAME_RULE = '3-64 characters [0-9A-Za-z_-], unique case-insensitively';

class CreateInstanceParams extends LimitParams {
  @RpcParam({ type: 'String', required: true, description: 'Instance name.' })
  @NameRule('instanceName', NAME_RULE, checkInstanceName)
  InstanceName: string;

  @RpcParam({ type: 'String', required: false, description: 'Free-text remark.' })
  @MaxLength(256)
  Remark?: string;
}

class UpdateInstanceParams extends LimitParams {
  @RpcParam({ type: 'String', required: true, description: 'Instance ID.' })
  @MaxLength(64)
  InstanceId: string;

  @RpcParam({ type: 'String', required: false, description: 'New instance name.' })
  @NameRule('instanceName', NAME_RULE, checkInstanceName)
  InstanceName?: string;

  @RpcParam({ type: 'String', required: false, description: 'New remark.' })
  @MaxLength(256)
  Remark?: string;
}

class ListInstancesParams {}

/** Alibaba's instance fields (reference §1.3 ListInstances) plus Aviary's remark, limits and endpoints. */
function instanceFields(i: InstanceView): Record<string, unknown> {
  return {
    InstanceId: i.instanceId,
    InstanceName: i.instanceName,
    // Alibaba's integer status; 5 is what its RocketMQ-family APIs use for "running" (we have no other state).
    InstanceStatus: i.status === 'RUNNING' ? 5 : 0,
    InstanceType: 2,
    Specific: '',
    RegionId: 'aviary',
    CreateTime: ms(i.createTime),
    UpdateTime: ms(i.updateTime),
    ExpireTime: 0,
    KernelVersion: '3.3.0',
    OrderId: '',
    MqttTags: [],
    Remark: i.remark,
    Limits: {
      MaxConnections: i.limits.maxConnections,
      MaxMessagesPerSecond: i.limits.maxMessagesPerSecond,
      MaxPayloadBytes: i.limits.maxPayloadBytes,
      MaxSubscriptionsPerClient: i.limits.maxSubscriptionsPerClient,
      MaxParentTopics: i.limits.maxParentTopics,
      MaxGroups: i.limits.maxGroups,
      SessionExpirySeconds: i.limits.sessionExpirySeconds,
    },
    Endpoints: {
      Tcp: i.endpoints.tcp,
      Ws: i.endpoints.ws,
      ...(i.endpoints.tls ? { Tls: i.endpoints.tls } : {}),
      ...(i.endpoints.wss ? { Wss: i.endpoints.wss } : {}),
    },
  };
}

const LIMIT_ERRORS = ['InvalidParameter.MaxConnections', 'InvalidParameter.MaxMessagesPerSecond', 'InvalidParameter.MaxPayloadBytes', 'InvalidParameter.MaxSubscriptionsPerClient', 'InvalidParameter.MaxParentTopics', 'InvalidParameter.MaxGroups', 'InvalidParameter.SessionExpirySeconds'];

export const INSTANCE_ACTIONS = [
  defineAction({
    action: 'CreateInstance',
    summary: 'Creates an instance (an isolated MQTT namespace with its own limits).',
    params: CreateInstanceParams,
    ram: { action: RamActions.CreateInstance, resource: INSTANCE },
    errors: ['MissingParameter', 'InvalidParameter.InstanceName', 'InvalidParameter.Remark', ...LIMIT_ERRORS, 'InstanceName.AlreadyExists', 'Forbidden.RAM'],
    response: { InstanceId: 'String' },
    handle: ({ caller, services }, p) => services.instances.create(caller, { instanceName: p.InstanceName, remark: p.Remark, limits: limitsOf(p) }),
    toResponse: (i) => ({ InstanceId: i.instanceId }),
  }),
  defineAction({
    action: 'ListInstances',
    summary: 'Lists the instances the caller may see (mq:ListInstances on each); no paging, like Alibaba.',
    params: ListInstancesParams,
    ram: { action: RamActions.ListInstances, resource: INSTANCE },
    errors: [],
    response: {
      Instances: [
        {
          InstanceId: 'String',
          InstanceName: 'String',
          InstanceStatus: 'Integer',
          InstanceType: 'Integer',
          Specific: 'String',
          RegionId: 'String',
          CreateTime: 'Long',
          UpdateTime: 'Long',
          ExpireTime: 'Long',
          KernelVersion: 'String',
          OrderId: 'String',
          MqttTags: [{ TagKey: 'String', TagValue: 'String' }],
          Remark: 'String',
          Limits: {
            MaxConnections: 'Integer',
            MaxMessagesPerSecond: 'Integer',
            MaxPayloadBytes: 'Integer',
            MaxSubscriptionsPerClient: 'Integer',
            MaxParentTopics: 'Integer',
            MaxGroups: 'Integer',
            SessionExpirySeconds: 'Integer',
          },
          Endpoints: { Tcp: 'String', Ws: 'String', Tls: 'String', Wss: 'String' },
        },
      ],
    },
    handle: ({ caller, services }) => allPages((page) => services.instances.list(caller, page)),
    toResponse: (list) => ({ Instances: list.map(instanceFields) }),
  }),
  defineAction({
    action: 'UpdateInstance',
    summary: 'Renames an instance, changes its remark or its limits; omitted parameters are left as they are.',
    params: UpdateInstanceParams,
    ram: { action: RamActions.UpdateInstance, resource: INSTANCE },
    errors: ['MissingParameter', 'InvalidParameter.InstanceName', 'InvalidParameter.Remark', ...LIMIT_ERRORS, 'InstanceNotFound', 'InstanceName.AlreadyExists', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.instances.update(caller, p.InstanceId, { instanceName: p.InstanceName, remark: p.Remark, limits: limitsOf(p) }),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'DeleteInstance',
    summary: 'Deletes an instance with its topics, groups, credentials and rules; its clients are disconnected.',
    params: InstanceScopedParams,
    ram: { action: RamActions.DeleteInstance, resource: INSTANCE },
    errors: ['MissingParameter', 'InstanceNotFound', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.instances.delete(caller, p.InstanceId),
    toResponse: () => ({}),
  }),
];
