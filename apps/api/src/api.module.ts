import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { AccessKeysModule } from '../../../libs/core/src/access-keys/access-keys.module.js';
import { BrokerCommandsModule } from '../../../libs/core/src/broker-commands/broker-commands.module.js';
import { SessionsModule } from '../../../libs/core/src/sessions/sessions.module.js';
import { CoreModule } from '../../../libs/core/src/core.module.js';
import { DeviceCredentialsModule } from '../../../libs/core/src/device-credentials/device-credentials.module.js';
import { MqttTokensModule } from '../../../libs/core/src/mqtt-tokens/mqtt-tokens.module.js';
import type { Clock } from '../../../libs/common/src/clock.js';
import { GroupsModule } from '../../../libs/core/src/groups/groups.module.js';
import { InstancesModule } from '../../../libs/core/src/instances/instances.module.js';
import { TopicsModule } from '../../../libs/core/src/topics/topics.module.js';
import { AccessKeysController } from './access-keys/access-keys.controller.js';
import { BasicAuthGuard } from './common/auth.guard.js';
import { GroupsController } from './groups/groups.controller.js';
import { HealthController } from './health/health.controller.js';
import { RpcModule } from './rpc/rpc.module.js';
import { InstancesController } from './instances/instances.controller.js';
import { TopicsController } from './topics/topics.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { MessagesController } from './messages/messages.controller.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { DeviceCredentialsController } from './device-credentials/device-credentials.controller.js';

/** The HTTP process: REST `/v1`, the RPC endpoint `/`, Swagger, health. Controllers only; logic lives in libs/core. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [CoreModule.forRoot(config, opts), InstancesModule, TopicsModule, GroupsModule, AccessKeysModule, MqttTokensModule, DeviceCredentialsModule, BrokerCommandsModule, SessionsModule, RpcModule],
      controllers: [
        HealthController,
        InstancesController,
        TopicsController,
        GroupsController,
        AccessKeysController,
        TokensController,
        DeviceCredentialsController,
        MessagesController,
        SessionsController,
      ],
      providers: [BasicAuthGuard],
    };
  }
}
