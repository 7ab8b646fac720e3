import { MaxLength } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { RpcParam } from '../rpc-param.js';
import { defineAction } from '../rpc-action.js';
import { InstanceScopedParams } from './common.js';

class ClientIdParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'ClientId `<GroupId>@@@<DeviceId>`.', example: 'GID_test@@@0001' })
  @MaxLength(64)
  ClientId: string;
}

class ClientIdListParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, repeated: true, description: '`ClientIdList.1` … `ClientIdList.10`.' })
  ClientIdList: string[];
}

/** QuerySessionByClientId and BatchQuerySessionByClientIds (2020-04-20 shapes: online status only). */
export const SESSION_ACTIONS = [
  defineAction({
    action: 'QuerySessionByClientId',
    summary: 'Tells whether a device is online (within ~1 s of its connect or disconnect, on any broker worker).',
    params: ClientIdParams,
    ram: { action: RamActions.QuerySession, resource: 'acs:mq:*:*:instance/{InstanceId}' },
    errors: ['MissingParameter', 'InvalidParameter.ClientId', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { OnlineStatus: 'Boolean' },
    handle: ({ caller, services }, p) => services.sessions.isOnline(caller, p.InstanceId, p.ClientId),
    toResponse: (online) => ({ OnlineStatus: online }),
  }),
  defineAction({
    action: 'BatchQuerySessionByClientIds',
    summary: 'Online status of up to 10 devices.',
    params: ClientIdListParams,
    ram: { action: RamActions.BatchQuerySession, resource: 'acs:mq:*:*:instance/{InstanceId}' },
    errors: ['MissingParameter', 'InvalidParameter.ClientIdList', 'InvalidParameter.ClientId', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { OnlineStatusList: [{ ClientId: 'String', OnlineStatus: 'Boolean' }] },
    handle: ({ caller, services }, p) => services.sessions.batchOnline(caller, p.InstanceId, p.ClientIdList),
    toResponse: (list) => ({ OnlineStatusList: list.map((s) => ({ ClientId: s.clientId, OnlineStatus: s.online })) }),
  }),
];
