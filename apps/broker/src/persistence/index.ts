export { PgPersistence, DEFAULT_MESSAGE_EXPIRY_MS, DEFAULT_SWEEP_INTERVAL_MS } from './pg-persistence.js';
export type { PgPersistenceOptions, PersistenceBroker } from './pg-persistence.js';
export { createPersistence, createEmitter } from './persistence.factory.js';
export type { PersistenceConfig, EmitterConfig } from './persistence.factory.js';
export { MqttSubscriptionEntity } from './mqtt-subscription.entity.js';
export { MqttRetainedEntity } from './mqtt-retained.entity.js';
export { MqttOutgoingEntity } from './mqtt-outgoing.entity.js';
export { MqttIncomingEntity } from './mqtt-incoming.entity.js';
export { MqttWillEntity } from './mqtt-will.entity.js';
