import RPCClient from '@alicloud/pop-core';
import type { INestApplicationContext } from '@nestjs/common';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { hmacSha1Base64 } from '../../common/src/crypto.js';
import { loadConfig, type AppConfig } from '../../config/src/config.js';
import type { BrokerService } from '../../../apps/broker/src/broker.module.js';
import { startBrokerApp } from '../../../apps/broker/src/start.js';
import { startApiApp, type TestApi } from './api-app.js';
import type { Clock } from '../../common/src/clock.js';

export interface TestSystem {
  api: TestApi;
  broker: INestApplicationContext & { broker: BrokerService };
  mqttPort: number;
  /** Alibaba's own pop-core client, signed with the root key, pointed at the API. */
  pop: RPCClient;
  /** `pop.request(action, params, { method: 'POST' })`. */
  call(action: string, params: Record<string, unknown>): Promise<Record<string, any>>;
  /** Creates an instance with these parent topics and GroupIds through the RPC face; returns its id. */
  provision(name: string, topics: string[], groupIds: string[]): Promise<string>;
  /** A device connected with Signature credentials of the given key (root by default). */
  device(clientId: string, instanceId: string, opts?: Partial<IClientOptions> & { key?: { id: string; secret: string } }): Promise<MqttClient>;
  close(): Promise<void>;
}

/**
 * The whole product as `npm start` runs it — the API app and the broker app on one database and one master
 * key — on ephemeral ports, for end-to-end tests that go through the public faces only.
 */
export async function startSystem(overrides: Partial<AppConfig> = {}, opts: { clock?: Clock } = {}): Promise<TestSystem> {
  const api = await startApiApp({ mqtt: { ...loadConfig().mqtt, port: 0, wsPort: 0 }, ...overrides }, opts);
  // One clock for both: token expiry as the API computes it and as the broker enforces it.
  const broker = await startBrokerApp({ ...api.config, mqtt: { ...api.config.mqtt, port: 0, wsPort: 0 }, logLevel: 'error' }, opts.clock ? { clock: opts.clock } : undefined);
  const mqttPort = broker.broker.running.ports.mqtt!;
  const pop = new RPCClient({ accessKeyId: api.rootAccessKeyId, accessKeySecret: api.rootAccessKeySecret, endpoint: api.url, apiVersion: '2020-04-20' });
  const call = (action: string, params: Record<string, unknown>) => pop.request<Record<string, any>>(action, params, { method: 'POST' });
  return {
    api,
    broker,
    mqttPort,
    pop,
    call,
    provision: async (name, topics, groupIds) => {
      const { InstanceId } = (await call('CreateInstance', { InstanceName: name })) as { InstanceId: string };
      for (const Topic of topics) await call('CreateTopic', { InstanceId, Topic });
      for (const GroupId of groupIds) await call('CreateGroupId', { InstanceId, GroupId });
      return InstanceId;
    },
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
