import { Max, MaxLength, Min } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import type { Caller } from '../../../../../libs/core/src/auth/caller.js';
import type { DeviceCredentialsService, DeviceCredentialView } from '../../../../../libs/core/src/device-credentials/device-credentials.service.js';
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

/** Register, Get and Refresh differ only in name, wording, the service method and one error. */
function credentialAction(
  action: 'RegisterDeviceCredential' | 'GetDeviceCredential' | 'RefreshDeviceCredential',
  summary: string,
  extraError: string,
  run: (s: DeviceCredentialsService, caller: Caller, instanceId: string, clientId: string) => Promise<DeviceCredentialView>,
) {
  return defineAction({
    action,
    summary,
    params: ClientIdParams,
    ram: { action: RamActions[action], resource: INSTANCE },
    errors: [...ERRORS, extraError],
    response: { DeviceCredential: CREDENTIAL_FIELDS },
    handle: ({ caller, services }, p) => run(services.deviceCredentials, caller, p.InstanceId, p.ClientId),
    toResponse: credential,
  });
}

/** Register/Get/Refresh/UnRegisterDeviceCredential and ListDeviceCredentialClientId (一机一密). */
export const DEVICE_CREDENTIAL_ACTIONS = [
  credentialAction('RegisterDeviceCredential', 'Registers the credential of a ClientId; registering again replaces it (latest wins).', 'GroupIdNotFound', (s, c, i, id) =>
    s.register(c, i, id),
  ),
  credentialAction('GetDeviceCredential', 'Returns the credential of a ClientId, secret included (as Alibaba does).', 'DeviceCredentialNotFound', (s, c, i, id) =>
    s.get(c, i, id),
  ),
  credentialAction('RefreshDeviceCredential', 'Rotates the key pair of a ClientId; connections using the old one are closed.', 'DeviceCredentialNotFound', (s, c, i, id) =>
    s.refresh(c, i, id),
  ),
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
