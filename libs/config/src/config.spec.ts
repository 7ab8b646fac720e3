import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('should apply the documented defaults', () => {
    const c = loadConfig({});
    expect(c.httpPort).toBe(8080);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.wsPort).toBe(8083);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });

  it('should list every problem in one error', () => {
    let err: unknown;
    try {
      loadConfig({ HTTP_PORT: 'eighty', MQTT_PORT: '70000', DATABASE_URL: 'mysql://x', AVIARY_ROOT_ACCESS_KEY_ID: 'abcdefgh' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/HTTP_PORT/);
    expect(problems.join('\n')).toMatch(/MQTT_PORT/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/set together/);
  });

  it('should require TLS files when a TLS port is set', () => {
    expect(() => loadConfig({ MQTT_TLS_PORT: '8883' })).toThrow(/MQTT_TLS_CERT/);
  });

  it('should reject a master key that is not 32 bytes', () => {
    expect(() => loadConfig({ AVIARY_MASTER_KEY: 'short' })).toThrow(/AVIARY_MASTER_KEY/);
    expect(loadConfig({ AVIARY_MASTER_KEY: 'ab'.repeat(32) }).masterKey).toBe('ab'.repeat(32));
  });
});
