import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstanceEntity } from './instance.entity.js';
import { InstancesRepository } from './instances.repository.js';
import { InstancesService } from './instances.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([InstanceEntity])],
  providers: [InstancesRepository, InstancesService],
  exports: [InstancesService],
})
export class InstancesModule {}
