import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GroupEntity } from '../groups/group.entity.js';
import { InstancesModule } from '../instances/instances.module.js';
import { DeviceCredentialEntity } from './device-credential.entity.js';
import { DeviceCredentialsService } from './device-credentials.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([DeviceCredentialEntity, GroupEntity]), InstancesModule],
  providers: [DeviceCredentialsService],
  exports: [DeviceCredentialsService],
})
export class DeviceCredentialsModule {}
