import type { INestApplicationContext } from '@nestjs/common';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { hmacSha1Base64 } from '../../common/src/crypto.js';
import type { AppConfig } from '../../config/src/config.js';
import type { BrokerService } from '../../../apps/broker/src/broker.module.js';
import { startBrokerApp } from '../../../apps/broker/src/start.js';
import { startApiApp, type TestApi } from './api-app.js';
import type { Clock } from '../../common/src/clock.js';

export interface TestSystem {
  api: TestApi;
  broker: INestApplicationContext & { broker: BrokerService };
  mqttPort: number;
  /** A device connected with Signature credentials of the given key (root by default). */
  device(clientId: string, instanceId: string, opts?: Partial<IClientOptions> & { key?: { id: string; secret: string } }): Promise<MqttClient>;
  close(): Promise<void>;
}

/**
 * The whole product as `npm start` runs it — the API app and the broker app on one database and one master
 * key — on ephemeral ports, for end-to-end tests that go through the public faces only.
 */
export async function startSystem(overrides: Partial<AppConfig> = {}, opts: { clock?: Clock } = {}): Promise<TestSystem> {
  const api = await startApiApp({ mqtt: { port: 0, wsPort: 0 }, ...overrides }, opts);
  // One clock for both: token expiry as the API computes it and as the broker enforces it.
  const broker = await startBrokerApp({ ...api.config, mqtt: { port: 0, wsPort: 0 }, logLevel: 'error' }, opts.clock ? { clock: opts.clock } : undefined);
  const mqttPort = broker.broker.running.ports.mqtt!;
  return {
    api,
    broker,
    mqttPort,
    device: (clientId, instanceId, o = {}) => {
      const { key = { id: api.rootAccessKeyId, secret: api.rootAccessKeySecret }, ...rest } = o;
      return connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId,
        username: `Signature|${key.id}|${instanceId}`,
        password: hmacSha1Base64(key.secret, clientId),
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...rest,
      });
    },
    close: async () => {
      await broker.close();
      await api.close();
    },
  };
}
