import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { checkGroupId } from '../../../../../libs/common/src/names.js';
import { RpcParam } from '../rpc-param.js';
import { allPages, defineAction, ms } from '../rpc-action.js';
import { NameRule } from '../rules.js';
import { InstanceScopedParams } from './common.js';

const GROUP = 'acs:mq:*:*:groupId/{InstanceId}/{GroupId}';

class GroupParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'GroupId: `GID_` or `GID-` prefix, 7-64 characters [0-9A-Za-z_-].', example: 'GID_test' })
  @NameRule('groupId', 'prefix GID_ or GID-, 7-64 characters [0-9A-Za-z_-]', checkGroupId)
  GroupId: string;
}

/** CreateGroupId, DeleteGroupId, ListGroupId: OnsMqtt 2020-04-20, parameters and fields as Alibaba's. */
export const GROUP_ACTIONS = [
  defineAction({
    action: 'CreateGroupId',
    summary: 'Creates a GroupId (a class of devices; the first half of every ClientId).',
    params: GroupParams,
    ram: { action: RamActions.CreateGroupId, resource: GROUP },
    errors: ['MissingParameter', 'InvalidParameter.GroupId', 'InstanceNotFound', 'GroupIdAlreadyExsited', 'Quota.Exceeded', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.groups.create(caller, p.InstanceId, p.GroupId),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'DeleteGroupId',
    summary: 'Deletes a GroupId; its connected clients are disconnected.',
    params: GroupParams,
    ram: { action: RamActions.DeleteGroupId, resource: GROUP },
    errors: ['MissingParameter', 'InvalidParameter.GroupId', 'InstanceNotFound', 'GroupIdNotFound', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.groups.delete(caller, p.InstanceId, p.GroupId),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'ListGroupId',
    summary: 'Lists the GroupIds of an instance; no paging.',
    params: InstanceScopedParams,
    ram: { action: RamActions.ListGroupId, resource: 'acs:mq:*:*:groupId/{InstanceId}/*' },
    errors: ['MissingParameter', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { Data: [{ GroupId: 'String', InstanceId: 'String', IndependentNaming: 'Boolean', CreateTime: 'Long', UpdateTime: 'Long' }] },
    handle: ({ caller, services }, p) => allPages((page) => services.groups.list(caller, p.InstanceId, page)),
    toResponse: (groups) => ({
      Data: groups.map((g) => ({ GroupId: g.groupId, InstanceId: g.instanceId, IndependentNaming: g.independentNaming, CreateTime: ms(g.createTime), UpdateTime: ms(g.updateTime) })),
    }),
  }),
];
