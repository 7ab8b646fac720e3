import { CompiledPolicy, parsePolicy } from './policy.js';

function compile(json: unknown): CompiledPolicy {
  const r = parsePolicy(JSON.stringify(json));
  if ('error' in r) throw new Error(r.error);
  return CompiledPolicy.compile(r.policy);
}

describe('policy', () => {
  it('should deny when nothing allows', () => {
    expect(CompiledPolicy.denyAll().isAllowed('mq:ListMqttGroupId', 'acs:mq:*:*:instance/a')).toBe(false);
  });

  it('should allow with wildcards in action and resource', () => {
    const p = compile({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'mq:*', Resource: 'acs:mq:*:*:instance/mqtt-a*' }] });
    expect(p.isAllowed('mq:CreateMqttGroupId', 'acs:mq:*:*:groupId/mqtt-a1/GID_x')).toBe(false);
    expect(p.isAllowed('mq:CreateInstance', 'acs:mq:*:*:instance/mqtt-a1')).toBe(true);
    expect(p.isAllowed('MQ:createinstance', 'acs:mq:*:*:instance/mqtt-a1')).toBe(true);
    expect(p.isAllowed('mq:CreateInstance', 'acs:mq:*:*:instance/mqtt-b1')).toBe(false);
  });

  it('should let an explicit Deny win over an Allow', () => {
    const p = compile({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['mq:*'], Resource: ['*'] },
        { Effect: 'Deny', Action: ['mq:DeleteInstance'], Resource: ['acs:mq:*:*:instance/mqtt-keep'] },
      ],
    });
    expect(p.isAllowed('mq:DeleteInstance', 'acs:mq:*:*:instance/mqtt-keep')).toBe(false);
    expect(p.isAllowed('mq:DeleteInstance', 'acs:mq:*:*:instance/mqtt-other')).toBe(true);
  });

  it('should treat regex characters in patterns literally', () => {
    const p = compile({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'mq:PUB', Resource: 'acs:mq:*:*:topic/i/a.b' }] });
    expect(p.isAllowed('mq:PUB', 'acs:mq:*:*:topic/i/a.b')).toBe(true);
    expect(p.isAllowed('mq:PUB', 'acs:mq:*:*:topic/i/axb')).toBe(false);
  });

  it('should reject malformed documents with a reason', () => {
    expect(parsePolicy('not json')).toEqual({ error: 'is not valid JSON' });
    expect(parsePolicy('{"Version":"2","Statement":[]}')).toEqual({ error: 'Version must be "1"' });
    expect(parsePolicy('{"Version":"1","Statement":[{"Effect":"Maybe","Action":"x","Resource":"y"}]}')).toHaveProperty('error');
    expect(parsePolicy('{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"y"}]}')).toHaveProperty('error');
    expect(parsePolicy('x'.repeat(7000))).toHaveProperty('error');
  });
});
