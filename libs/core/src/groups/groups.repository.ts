import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { InstanceScopedRepository } from '../instance-scoped.repository.js';
import { GroupEntity } from './group.entity.js';

@Injectable()
export class GroupsRepository extends InstanceScopedRepository<GroupEntity, 'groupId'> {
  constructor(@InjectRepository(GroupEntity) repo: Repository<GroupEntity>) {
    super(repo, 'groupId');
  }
}
