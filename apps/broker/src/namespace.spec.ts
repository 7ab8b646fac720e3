import { nsClientId, nsTopic, p2pFilter, p2pPrefix, p2pTarget, parseUsername, stripInstance } from './namespace.js';

describe('namespace', () => {
  it('should prefix topics and ClientIds with their instance and strip only their own prefix', () => {
    expect(nsTopic('mqtt-a', 'T/x')).toBe('~mqtt-a/T/x');
    expect(nsClientId('mqtt-a', 'GID_x@@@1')).toBe('mqtt-a/GID_x@@@1');
    expect(stripInstance('mqtt-a', '~mqtt-a/T/x')).toBe('T/x');
    expect(stripInstance('mqtt-a', '~mqtt-ab/T/x')).toBeUndefined();
    expect(stripInstance('mqtt-a', '~mqtt-b/T/x')).toBeUndefined();
    expect(stripInstance('mqtt-a', 'T/x')).toBeUndefined();
  });

  it('should recognise P2P topics and place them in the target space', () => {
    expect(p2pTarget('T/p2p/GID_x@@@1')).toBe('GID_x@@@1');
    expect(p2pTarget('T/p2p/GID_x@@@1/more')).toBe('GID_x@@@1');
    expect(p2pTarget('T/p2p/')).toBeUndefined();
    expect(p2pTarget('T/p2p')).toBeUndefined();
    expect(p2pTarget('T/x/p2p/a')).toBeUndefined();
    expect(p2pTarget('p2p/a')).toBeUndefined();
    expect(p2pPrefix('mqtt-a', 'GID_x@@@1')).toBe('~mqtt-a/~p2p/GID_x@@@1/');
    expect(p2pFilter('mqtt-a', 'GID_x@@@1')).toBe('~mqtt-a/~p2p/GID_x@@@1/#');
  });

  it('should parse <Mode>|<KeyId>|<InstanceId> usernames strictly', () => {
    expect(parseUsername('Signature|AK1|mqtt-a')).toEqual({ mode: 'Signature', keyId: 'AK1', instanceId: 'mqtt-a' });
    expect(parseUsername(undefined)).toBeUndefined();
    expect(parseUsername('Signature|AK1')).toBeUndefined();
    expect(parseUsername('Signature|AK1|mqtt-a|x')).toBeUndefined();
    expect(parseUsername('Signature||mqtt-a')).toBeUndefined();
    expect(parseUsername('Signature|AK1|mqtt/a')).toBeUndefined();
    expect(parseUsername('Signature|AK1|~mqtt-a')).toBeUndefined();
  });
});
