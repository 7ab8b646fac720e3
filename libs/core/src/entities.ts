import { MqttIncomingEntity } from './mqtt-state/mqtt-incoming.entity.js';
import { MqttOutgoingEntity } from './mqtt-state/mqtt-outgoing.entity.js';
import { MqttRetainedEntity } from './mqtt-state/mqtt-retained.entity.js';
import { MqttSubscriptionEntity } from './mqtt-state/mqtt-subscription.entity.js';
import { MqttWillEntity } from './mqtt-state/mqtt-will.entity.js';
import { MqttSessionEntity } from './sessions/mqtt-session.entity.js';
import { BrokerNodeEntity } from './sessions/broker-node.entity.js';
import { AccessKeyEntity } from './access-keys/access-key.entity.js';
import { BrokerCommandEntity } from './broker-commands/broker-command.entity.js';
import { DeviceCredentialEntity } from './device-credentials/device-credential.entity.js';
import { GroupEntity } from './groups/group.entity.js';
import { InstanceEntity } from './instances/instance.entity.js';
import { MqttTokenEntity } from './mqtt-tokens/mqtt-token.entity.js';
import { RpcNonceEntity } from './rpc-nonces/rpc-nonce.entity.js';
import { SettingEntity } from './secrets/setting.entity.js';
import { TopicEntity } from './topics/topic.entity.js';

/** Every entity, for the data source. A new entity is added here and gets a generated migration. */
export const ENTITIES = [InstanceEntity, TopicEntity, GroupEntity, AccessKeyEntity, DeviceCredentialEntity, SettingEntity, RpcNonceEntity, MqttTokenEntity, BrokerCommandEntity,
  MqttSubscriptionEntity, MqttRetainedEntity, MqttOutgoingEntity, MqttIncomingEntity, MqttWillEntity, MqttSessionEntity, BrokerNodeEntity];
