import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstancesModule } from '../instances/instances.module.js';
import { TopicEntity } from '../topics/topic.entity.js';
import { MqttTokenEntity } from './mqtt-token.entity.js';
import { MqttTokensService } from './mqtt-tokens.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MqttTokenEntity, TopicEntity]), InstancesModule],
  providers: [MqttTokensService],
  exports: [MqttTokensService],
})
export class MqttTokensModule {}
