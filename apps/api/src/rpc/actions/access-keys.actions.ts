import { IsIn, MaxLength } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import type { AccessKeyView } from '../../../../../libs/core/src/access-keys/access-keys.service.js';
import { RpcParam } from '../rpc-param.js';
import { allPages, defineAction } from '../rpc-action.js';

const ACCESS_KEY = 'acs:ram:*:*:accesskey/{UserAccessKeyId}';
const POLICY_DOC = 'RAM policy document as a JSON string: {"Version":"1","Statement":[{"Effect":"Allow"|"Deny","Action":[…],"Resource":[…]}]}.';

/**
 * The key being managed is `UserAccessKeyId` (RAM's own name for it), not `AccessKeyId`: `AccessKeyId`
 * is the common parameter naming the signer, and pop-core lets a business parameter overwrite it, which
 * would make every such call fail its signature.
 */
class UserAccessKeyParams {
  @RpcParam({ type: 'String', required: true, description: 'The AccessKeyId to manage.' })
  @MaxLength(64)
  UserAccessKeyId: string;
}

class CreateAccessKeyParams {
  @RpcParam({ type: 'String', required: false, description: `${POLICY_DOC} Without one the key may do nothing until a policy is set.` })
  @MaxLength(6144)
  Policy?: string;

  @RpcParam({ type: 'String', required: false, description: 'Free-text remark.' })
  @MaxLength(256)
  Remark?: string;
}

class UpdateAccessKeyParams extends UserAccessKeyParams {
  @RpcParam({ type: 'String', required: false, description: '`Active` or `Inactive` (RAM values). An inactive key is refused with InvalidAccessKeyId.Inactive.' })
  @IsIn(['Active', 'Inactive'])
  Status?: string;

  @RpcParam({ type: 'String', required: false, description: `Replaces the policy. ${POLICY_DOC}` })
  @MaxLength(6144)
  Policy?: string;

  @RpcParam({ type: 'String', required: false, description: 'New remark.' })
  @MaxLength(256)
  Remark?: string;
}

class ListAccessKeysParams {}

/** RAM's time format for access keys (`2015-01-23T12:33:18Z`). */
function ramDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function keyFields(k: AccessKeyView): Record<string, unknown> {
  return {
    AccessKeyId: k.accessKeyId,
    Status: k.status,
    CreateDate: ramDate(k.createTime),
    UpdateDate: ramDate(k.updateTime),
    IsRoot: k.isRoot,
    Policy: k.policy ? JSON.stringify(k.policy) : '',
    Remark: k.remark,
  };
}

/** Aviary's stand-in for RAM users: AccessKeys with a RAM-style policy each (design §1.3). */
export const ACCESS_KEY_ACTIONS = [
  defineAction({
    action: 'CreateAccessKey',
    summary: 'Creates an AccessKey; the secret is returned this once only.',
    params: CreateAccessKeyParams,
    ram: { action: RamActions.CreateAccessKey, resource: 'acs:ram:*:*:accesskey/*' },
    errors: ['InvalidParameter.Policy', 'InvalidParameter.Remark', 'Forbidden.RAM'],
    response: { AccessKeyId: 'String', AccessKeySecret: 'String' },
    handle: ({ caller, services }, p) => services.accessKeys.create(caller, { policy: p.Policy, remark: p.Remark }),
    toResponse: (k) => ({ AccessKeyId: k.accessKeyId, AccessKeySecret: k.accessKeySecret }),
  }),
  defineAction({
    action: 'ListAccessKeys',
    summary: 'Lists the AccessKeys the caller may see (ram:ListAccessKeys on each), in RAM\'s response shape; secrets are never listed.',
    params: ListAccessKeysParams,
    ram: { action: RamActions.ListAccessKeys, resource: ACCESS_KEY },
    errors: [],
    response: { AccessKeys: { AccessKey: [{ AccessKeyId: 'String', Status: 'String', CreateDate: 'String', UpdateDate: 'String', IsRoot: 'Boolean', Policy: 'String', Remark: 'String' }] } },
    handle: ({ caller, services }) => allPages((page) => services.accessKeys.list(caller, page)),
    toResponse: (keys) => ({ AccessKeys: { AccessKey: keys.map(keyFields) } }),
  }),
  defineAction({
    action: 'UpdateAccessKey',
    summary: 'Enables or disables an AccessKey, or replaces its policy or remark. The root key can be neither disabled nor given a policy.',
    params: UpdateAccessKeyParams,
    ram: { action: RamActions.UpdateAccessKey, resource: ACCESS_KEY },
    errors: ['MissingParameter', 'InvalidParameter.Status', 'InvalidParameter.Policy', 'InvalidParameter.Remark', 'AccessKeyNotFound', 'Forbidden.RootAccessKey', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.accessKeys.update(caller, p.UserAccessKeyId, { status: p.Status, policy: p.Policy, remark: p.Remark }),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'DeleteAccessKey',
    summary: 'Deletes an AccessKey (not the root key).',
    params: UserAccessKeyParams,
    ram: { action: RamActions.DeleteAccessKey, resource: ACCESS_KEY },
    errors: ['MissingParameter', 'AccessKeyNotFound', 'Forbidden.RootAccessKey', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.accessKeys.delete(caller, p.UserAccessKeyId),
    toResponse: () => ({}),
  }),
];
