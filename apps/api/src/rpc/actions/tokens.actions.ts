import { MaxLength } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { RpcParam } from '../rpc-param.js';
import { defineAction } from '../rpc-action.js';
import { InstanceScopedParams } from './common.js';

const INSTANCE = 'acs:mq:*:*:instance/{InstanceId}';

class ApplyTokenParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'Comma-separated topics (parent topic + optional levels, `+`/`#` allowed below the parent), at most 100.', example: 'sensors/#,alerts/room1' })
  @MaxLength(100 * 1100)
  Resources: string;

  @RpcParam({ type: 'String', required: true, description: '`R` (subscribe), `W` (publish) or `R,W` (both; device type `RW`).', example: 'R,W' })
  @MaxLength(8)
  Actions: string;

  @RpcParam({ type: 'Long', required: true, description: 'Absolute expiry in UNIX milliseconds; at least 60 s ahead; longer than 30 days is capped at 30 days.' })
  ExpireTime: number;
}

class TokenParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'The token returned by ApplyToken.' })
  @MaxLength(4096)
  Token: string;
}

/** ApplyToken, QueryToken, RevokeToken: OnsMqtt 2020-04-20. Tokens are stored only as SHA-256 hashes. */
export const TOKEN_ACTIONS = [
  defineAction({
    action: 'ApplyToken',
    summary: 'Issues a temporary token for devices (Token|<AccessKeyId>|<InstanceId> login, password R|token, W|token or RW|token).',
    params: ApplyTokenParams,
    ram: { action: RamActions.ApplyToken, resource: `${INSTANCE}, acs:mq:*:*:topic/{InstanceId}/{Resource}` },
    errors: ['MissingParameter', 'InvalidParameter.Resources', 'InvalidParameter.Actions', 'InvalidParameter.ExpireTime', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { Token: 'String' },
    handle: ({ caller, services }, p) =>
      services.tokens.apply(caller, p.InstanceId, { resources: p.Resources.split(','), actions: p.Actions, expireTime: p.ExpireTime }),
    toResponse: (r) => ({ Token: r.token }),
  }),
  defineAction({
    action: 'QueryToken',
    summary: 'Tells whether a token is still valid (exists in the instance, not revoked, not expired).',
    params: TokenParams,
    ram: { action: RamActions.QueryToken, resource: INSTANCE },
    errors: ['MissingParameter', 'InvalidParameter.Token', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { TokenStatus: 'Boolean' },
    handle: ({ caller, services }, p) => services.tokens.query(caller, p.InstanceId, p.Token),
    toResponse: (valid) => ({ TokenStatus: valid }),
  }),
  defineAction({
    action: 'RevokeToken',
    summary: 'Revokes a token; devices using it get $SYS/tokenInvalidNotice (code 3) and are disconnected.',
    params: TokenParams,
    ram: { action: RamActions.RevokeToken, resource: INSTANCE },
    errors: ['MissingParameter', 'InvalidParameter.Token', 'InstanceNotFound', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.tokens.revoke(caller, p.InstanceId, p.Token),
    toResponse: () => ({}),
  }),
];
