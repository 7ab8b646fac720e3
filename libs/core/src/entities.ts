import { AccessKeyEntity } from './access-keys/access-key.entity.js';
import { DeviceCredentialEntity } from './device-credentials/device-credential.entity.js';
import { GroupEntity } from './groups/group.entity.js';
import { InstanceEntity } from './instances/instance.entity.js';
import { SettingEntity } from './secrets/setting.entity.js';
import { TopicEntity } from './topics/topic.entity.js';

/** Every entity, for the data source. A new entity is added here and gets a generated migration. */
export const ENTITIES = [InstanceEntity, TopicEntity, GroupEntity, AccessKeyEntity, DeviceCredentialEntity, SettingEntity];
