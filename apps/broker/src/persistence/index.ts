export { PgPersistence, DEFAULT_MESSAGE_EXPIRY_MS, DEFAULT_SWEEP_INTERVAL_MS } from './pg-persistence.js';
export type { PgPersistenceOptions, PersistenceBroker } from './pg-persistence.js';
export { createPersistence, createEmitter } from './persistence.factory.js';
export type { PersistenceConfig, EmitterConfig } from './persistence.factory.js';
export { MqttSubscriptionEntity } from '../../../../libs/core/src/mqtt-state/mqtt-subscription.entity.js';
export { MqttRetainedEntity } from '../../../../libs/core/src/mqtt-state/mqtt-retained.entity.js';
export { MqttOutgoingEntity } from '../../../../libs/core/src/mqtt-state/mqtt-outgoing.entity.js';
export { MqttIncomingEntity } from '../../../../libs/core/src/mqtt-state/mqtt-incoming.entity.js';
export { MqttWillEntity } from '../../../../libs/core/src/mqtt-state/mqtt-will.entity.js';
