import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstancesModule } from '../instances/instances.module.js';
import { TopicEntity } from '../topics/topic.entity.js';
import { BrokerCommandEntity } from './broker-command.entity.js';
import { BrokerCommandsService } from './broker-commands.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([BrokerCommandEntity, TopicEntity]), InstancesModule],
  providers: [BrokerCommandsService],
  exports: [BrokerCommandsService],
})
export class BrokerCommandsModule {}
