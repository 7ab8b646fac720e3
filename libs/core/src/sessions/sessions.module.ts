import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstancesModule } from '../instances/instances.module.js';
import { MqttSessionEntity } from './mqtt-session.entity.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MqttSessionEntity]), InstancesModule],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
