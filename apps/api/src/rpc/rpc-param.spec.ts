import { IsIn, Max, MaxLength, Min } from 'class-validator';
import { AppError } from '../../../../libs/common/src/errors.js';
import { checkGroupId } from '../../../../libs/common/src/names.js';
import { RPC_ACTIONS } from './actions/index.js';
import { parseRpcParams, RpcParam, rpcParamsOf, rulesOf } from './rpc-param.js';
import { NameRule } from './rules.js';

class BaseDto {
  @RpcParam({ type: 'String', required: true, description: 'instance' })
  @MaxLength(8)
  InstanceId: string;
}

class SampleDto extends BaseDto {
  @RpcParam({ type: 'String', required: true, description: 'group' })
  @NameRule('groupId', 'GID_ prefix', checkGroupId)
  GroupId: string;

  @RpcParam({ type: 'Integer', required: false, description: 'size' })
  @Min(1)
  @Max(100)
  PageSize?: number;

  @RpcParam({ type: 'Long', required: false, description: 'expiry' })
  ExpireTime?: number;

  @RpcParam({ type: 'Boolean', required: false, description: 'flag' })
  Reverse?: boolean;

  @RpcParam({ type: 'String', required: false, description: 'list', repeated: true })
  @IsIn(['a', 'b'], { each: true })
  ClientIdList?: string[];
}

function errorOf(params: Record<string, string>): AppError | undefined {
  try {
    parseRpcParams(SampleDto, params);
    return undefined;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
}

const OK = { InstanceId: 'mqtt-1', GroupId: 'GID_test' };

describe('parseRpcParams', () => {
  it('should convert wire types and unflatten repeat lists', () => {
    const dto = parseRpcParams(SampleDto, { ...OK, PageSize: '20', ExpireTime: '1700000000000', Reverse: 'true', 'ClientIdList.2': 'b', 'ClientIdList.1': 'a', Unknown: 'x' });
    expect(dto).toBeInstanceOf(SampleDto);
    expect({ ...dto }).toEqual({ ...OK, PageSize: 20, ExpireTime: 1700000000000, Reverse: true, ClientIdList: ['a', 'b'] });
  });

  it('should report a missing or empty required parameter, including inherited ones, as MissingParameter', () => {
    expect(errorOf({ GroupId: 'GID_test' })?.code).toBe('MissingParameter');
    expect(errorOf({ GroupId: 'GID_test' })?.message).toContain('"InstanceId"');
    expect(errorOf({ InstanceId: 'mqtt-1', GroupId: '' })?.code).toBe('MissingParameter');
  });

  it('should report bad wire types as InvalidParameter.<Name>', () => {
    expect(errorOf({ ...OK, PageSize: '1.5' })?.code).toBe('InvalidParameter.PageSize');
    expect(errorOf({ ...OK, PageSize: '' })?.code).toBe('InvalidParameter.PageSize');
    expect(errorOf({ ...OK, PageSize: '99999999999' })?.code).toBe('InvalidParameter.PageSize');
    expect(errorOf({ ...OK, ExpireTime: '12e3' })?.code).toBe('InvalidParameter.ExpireTime');
    expect(errorOf({ ...OK, Reverse: 'yes' })?.code).toBe('InvalidParameter.Reverse');
  });

  it('should report failed rules as InvalidParameter.<Name> with the check\'s reason', () => {
    expect(errorOf({ ...OK, InstanceId: 'much-too-long' })?.code).toBe('InvalidParameter.InstanceId');
    expect(errorOf({ ...OK, GroupId: 'bad' })?.code).toBe('InvalidParameter.GroupId');
    expect(errorOf({ ...OK, GroupId: 'bad' })?.message).toContain('must start with "GID_" or "GID-"');
    expect(errorOf({ ...OK, PageSize: '0' })?.code).toBe('InvalidParameter.PageSize');
    expect(errorOf({ ...OK, 'ClientIdList.1': 'z' })?.code).toBe('InvalidParameter.ClientIdList');
    expect(errorOf({ ...OK, 'ClientIdList.2': 'a' })?.code).toBe('InvalidParameter.ClientIdList');
  });

  it('should expose parameters (base class first) and their rules for the catalogue', () => {
    expect(rpcParamsOf(SampleDto).map((p) => p.name)).toEqual(['InstanceId', 'GroupId', 'PageSize', 'ExpireTime', 'Reverse', 'ClientIdList']);
    expect(rulesOf(SampleDto, 'PageSize')).toEqual([
      { Rule: 'min', Args: [1] },
      { Rule: 'max', Args: [100] },
    ]);
    expect(rulesOf(SampleDto, 'GroupId')).toEqual([{ Rule: 'groupId', Args: ['GID_ prefix'] }]);
  });
});

describe('the action table', () => {
  it('should give every action a PascalCase name, a RAM action, and PascalCase parameters', () => {
    expect(RPC_ACTIONS.length).toBeGreaterThanOrEqual(15);
    for (const def of RPC_ACTIONS) {
      expect(def.action).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(def.ram.action).toMatch(/^(mq|ram):[A-Z][A-Za-z]+$/);
      for (const p of rpcParamsOf(def.params)) expect(p.name).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });

  it('should never declare the signer\'s common parameters as business parameters', () => {
    const common = ['AccessKeyId', 'Action', 'Version', 'Format', 'Signature', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp'];
    for (const def of RPC_ACTIONS) for (const p of rpcParamsOf(def.params)) expect(common).not.toContain(p.name);
  });
});
