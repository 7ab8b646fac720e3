import { AppError } from '../../../../libs/common/src/errors.js';
import { flattenParams, mergeParams, unflattenList } from './rpc-params.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
}

describe('mergeParams', () => {
  it('should merge the query string with a raw form body and decode both', () => {
    expect(mergeParams('Action=ListGroupId&Remark=a%20b', 'InstanceId=mqtt-x&Payload=a+b%2Bc')).toEqual({
      Action: 'ListGroupId',
      Remark: 'a b',
      InstanceId: 'mqtt-x',
      Payload: 'a b+c',
    });
  });

  it('should merge a body already parsed into an object', () => {
    expect(mergeParams('Action=X', { GroupId: 'GID_a' })).toEqual({ Action: 'X', GroupId: 'GID_a' });
  });

  it('should refuse a name given twice in the query, in the body, or in both', () => {
    expect(codeOf(() => mergeParams('A=1&A=2', undefined))).toBe('InvalidParameter.A');
    expect(codeOf(() => mergeParams('', 'B=1&B=1'))).toBe('InvalidParameter.B');
    expect(codeOf(() => mergeParams('C=1', 'C=1'))).toBe('InvalidParameter.C');
    expect(codeOf(() => mergeParams('C=1', { C: '1' }))).toBe('InvalidParameter.C');
  });

  it('should refuse non-string values of a parsed body (arrays, nested objects)', () => {
    expect(codeOf(() => mergeParams('', { D: ['1', '2'] }))).toBe('InvalidParameter.D');
    expect(codeOf(() => mergeParams('', { E: { x: '1' } }))).toBe('InvalidParameter.E');
  });
});

describe('unflattenList', () => {
  it('should order Name.1..N numerically, not as text', () => {
    const params: Record<string, string> = { Other: 'x' };
    for (let i = 1; i <= 11; i++) params[`ClientIdList.${i}`] = `c${i}`;
    expect(unflattenList(params, 'ClientIdList')).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11']);
  });

  it('should return undefined when the list is absent and not confuse a longer name', () => {
    expect(unflattenList({ ClientIdListX: 'a', ClientId: 'b' }, 'ClientIdList')).toBeUndefined();
  });

  it('should build objects from Name.N.Field', () => {
    expect(unflattenList({ 'Tag.1.Key': 'k1', 'Tag.1.Value': 'v1', 'Tag.2.Key': 'k2' }, 'Tag')).toEqual([{ Key: 'k1', Value: 'v1' }, { Key: 'k2' }]);
  });

  it('should refuse gaps, index 0, non-numeric indexes and mixed shapes', () => {
    expect(codeOf(() => unflattenList({ 'L.1': 'a', 'L.3': 'c' }, 'L'))).toBe('InvalidParameter.L');
    expect(codeOf(() => unflattenList({ 'L.0': 'a' }, 'L'))).toBe('InvalidParameter.L');
    expect(codeOf(() => unflattenList({ 'L.01': 'a' }, 'L'))).toBe('InvalidParameter.L');
    expect(codeOf(() => unflattenList({ 'L.x': 'a' }, 'L'))).toBe('InvalidParameter.L');
    expect(codeOf(() => unflattenList({ 'L.1': 'a', 'L.1.Key': 'k' }, 'L'))).toBe('InvalidParameter.L');
  });

  it('should invert flattenParams', () => {
    const flat = flattenParams({ InstanceId: 'i', ClientIdList: ['a', 'b'], Tag: [{ Key: 'k', Value: 'v' }], N: 3, B: true, U: undefined });
    expect(flat).toEqual({ InstanceId: 'i', 'ClientIdList.1': 'a', 'ClientIdList.2': 'b', 'Tag.1.Key': 'k', 'Tag.1.Value': 'v', N: '3', B: 'true' });
    expect(unflattenList(flat, 'ClientIdList')).toEqual(['a', 'b']);
    expect(unflattenList(flat, 'Tag')).toEqual([{ Key: 'k', Value: 'v' }]);
  });
});
