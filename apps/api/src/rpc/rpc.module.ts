import { Module } from '@nestjs/common';
import { AccessKeysModule } from '../../../../libs/core/src/access-keys/access-keys.module.js';
import { GroupsModule } from '../../../../libs/core/src/groups/groups.module.js';
import { InstancesModule } from '../../../../libs/core/src/instances/instances.module.js';
import { TopicsModule } from '../../../../libs/core/src/topics/topics.module.js';
import { MqttTokensModule } from '../../../../libs/core/src/mqtt-tokens/mqtt-tokens.module.js';
import { DeviceCredentialsModule } from '../../../../libs/core/src/device-credentials/device-credentials.module.js';
import { SessionsModule } from '../../../../libs/core/src/sessions/sessions.module.js';
import { BrokerCommandsModule } from '../../../../libs/core/src/broker-commands/broker-commands.module.js';
import { RpcAuthService } from './rpc-auth.service.js';
import { RpcNonceStore } from './rpc-nonce.store.js';
import { RpcController } from './rpc.controller.js';
import { RpcEndpoint } from './rpc.endpoint.js';

/**
 * The Alibaba-compatible RPC face at `/`. Needs the global CoreModule (TypeORM DataSource) and a
 * urlencoded body parser (the API app installs one); `rawBody: true` on the app lets v3 hash the exact
 * body bytes.
 */
@Module({
  imports: [InstancesModule, TopicsModule, GroupsModule, AccessKeysModule, MqttTokensModule, DeviceCredentialsModule, BrokerCommandsModule, SessionsModule],
  controllers: [RpcController],
  providers: [RpcNonceStore, RpcAuthService, RpcEndpoint],
})
export class RpcModule {}
