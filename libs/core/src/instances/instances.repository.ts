import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { InstanceEntity } from './instance.entity.js';

@Injectable()
export class InstancesRepository {
  constructor(@InjectRepository(InstanceEntity) private readonly repo: Repository<InstanceEntity>) {}

  findById(id: string): Promise<InstanceEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** All instances, oldest first; the service filters them by the caller's policy. */
  findAll(): Promise<InstanceEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findByIds(ids: string[]): Promise<InstanceEntity[]> {
    return this.repo.find({ where: { id: In(ids) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  insert(row: Partial<InstanceEntity>): Promise<InstanceEntity> {
    return this.repo.save(this.repo.create(row));
  }

  save(row: InstanceEntity): Promise<InstanceEntity> {
    return this.repo.save(row);
  }

  /** Deletes the instance; foreign keys cascade to topics, groups, credentials and everything else in it. */
  async delete(id: string): Promise<boolean> {
    const r = await this.repo.delete({ id });
    return (r.affected ?? 0) > 0;
  }
}
