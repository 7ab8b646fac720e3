import { Max, MaxLength, Min } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import type { DeviceCredentialView } from '../../../../../libs/core/src/device-credentials/device-credentials.service.js';
import { pageRequest } from '../../../../../libs/common/src/pagination.js';
import { RpcParam } from '../rpc-param.js';
import { defineAction, ms } from '../rpc-action.js';
import { InstanceScopedParams } from './common.js';

const INSTANCE = 'acs:mq:*:*:instance/{InstanceId}';
const CREDENTIAL_FIELDS = {
  ClientId: 'String',
  InstanceId: 'String',
  DeviceAccessKeyId: 'String',
  DeviceAccessKeySecret: 'String',
  CreateTime: 'Long',
  UpdateTime: 'Long',
} as const;
const ERRORS = ['MissingParameter', 'InvalidParameter.ClientId', 'InstanceNotFound', 'Forbidden.RAM'];

class ClientIdParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'ClientId `<GroupId>@@@<DeviceId>`.', example: 'GID_test@@@0001' })
  @MaxLength(64)
  ClientId: string;
}

class ListParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: false, description: 'Only ClientIds of this GroupId.' })
  @MaxLength(64)
  GroupId?: string;

  @RpcParam({ type: 'Integer', required: false, description: 'Page number from 1 (default 1).' })
  @Min(1)
  PageNo?: number;

  @RpcParam({ type: 'Integer', required: false, description: 'Page size 1-100 (default 20).' })
  @Min(1)
  @Max(100)
  PageSize?: number;
}

function credential(v: DeviceCredentialView) {
  return {
    DeviceCredential: {
      ClientId: v.clientId,
      InstanceId: v.instanceId,
      DeviceAccessKeyId: v.deviceAccessKeyId,
      DeviceAccessKeySecret: v.deviceAccessKeySecret,
      CreateTime: ms(v.createTime),
      UpdateTime: ms(v.updateTime),
    },
  };
}

/** Register/Get/Refresh/UnRegisterDeviceCredential and ListDeviceCredentialClientId (一机一密). */
export const DEVICE_CREDENTIAL_ACTIONS = [
  defineAction({
    action: 'RegisterDeviceCredential',
    summary: 'Registers the credential of a ClientId; registering again replaces it (latest wins).',
    params: ClientIdParams,
    ram: { action: RamActions.RegisterDeviceCredential, resource: INSTANCE },
    errors: [...ERRORS, 'GroupIdNotFound'],
    response: { DeviceCredential: CREDENTIAL_FIELDS },
    handle: ({ caller, services }, p) => services.deviceCredentials.register(caller, p.InstanceId, p.ClientId),
    toResponse: credential,
  }),
  defineAction({
    action: 'GetDeviceCredential',
    summary: 'Returns the credential of a ClientId, secret included (as Alibaba does).',
    params: ClientIdParams,
    ram: { action: RamActions.GetDeviceCredential, resource: INSTANCE },
    errors: [...ERRORS, 'DeviceCredentialNotFound'],
    response: { DeviceCredential: CREDENTIAL_FIELDS },
    handle: ({ caller, services }, p) => services.deviceCredentials.get(caller, p.InstanceId, p.ClientId),
    toResponse: credential,
  }),
  defineAction({
    action: 'RefreshDeviceCredential',
    summary: 'Rotates the key pair of a ClientId; connections using the old one are closed.',
    params: ClientIdParams,
    ram: { action: RamActions.RefreshDeviceCredential, resource: INSTANCE },
    errors: [...ERRORS, 'DeviceCredentialNotFound'],
    response: { DeviceCredential: CREDENTIAL_FIELDS },
    handle: ({ caller, services }, p) => services.deviceCredentials.refresh(caller, p.InstanceId, p.ClientId),
    toResponse: credential,
  }),
  defineAction({
    action: 'UnRegisterDeviceCredential',
    summary: 'Deletes the credential of a ClientId; connections using it are closed.',
    params: ClientIdParams,
    ram: { action: RamActions.UnRegisterDeviceCredential, resource: INSTANCE },
    errors: [...ERRORS, 'DeviceCredentialNotFound'],
    response: {},
    handle: ({ caller, services }, p) => services.deviceCredentials.unregister(caller, p.InstanceId, p.ClientId),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'ListDeviceCredentialClientId',
    summary: 'Lists the ClientIds that hold a credential, optionally of one GroupId; paged.',
    params: ListParams,
    ram: { action: RamActions.ListDeviceCredentialClientId, resource: INSTANCE },
    errors: ['MissingParameter', 'InvalidParameter.PageNo', 'InvalidParameter.PageSize', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { DeviceCredentialClientIdList: { ClientIdList: ['String'], NextToken: 'String', PageNo: 'String', PageSize: 'String', Total: 'String' } },
    handle: ({ caller, services }, p) => services.deviceCredentials.listClientIds(caller, p.InstanceId, p.GroupId, pageRequest(p.PageNo, p.PageSize)),
    toResponse: (page) => ({
      DeviceCredentialClientIdList: {
        ClientIdList: page.items,
        // Alibaba types every field here as a string; NextToken is unused (page numbers suffice).
        NextToken: '',
        PageNo: String(page.pageNo),
        PageSize: String(page.pageSize),
        Total: String(page.total),
      },
    }),
  }),
];
