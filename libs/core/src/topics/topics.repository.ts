import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { InstanceScopedRepository } from '../instance-scoped.repository.js';
import { TopicEntity } from './topic.entity.js';

@Injectable()
export class TopicsRepository extends InstanceScopedRepository<TopicEntity, 'topic'> {
  constructor(@InjectRepository(TopicEntity) repo: Repository<TopicEntity>) {
    super(repo, 'topic');
  }
}
