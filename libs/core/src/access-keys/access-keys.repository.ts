import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AccessKeyEntity } from './access-key.entity.js';

@Injectable()
export class AccessKeysRepository {
  constructor(@InjectRepository(AccessKeyEntity) private readonly repo: Repository<AccessKeyEntity>) {}

  findById(id: string): Promise<AccessKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findAll(): Promise<AccessKeyEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  insert(row: Partial<AccessKeyEntity>): Promise<AccessKeyEntity> {
    return this.repo.save(this.repo.create(row));
  }

  save(row: AccessKeyEntity): Promise<AccessKeyEntity> {
    return this.repo.save(row);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.repo.delete({ id });
    return (r.affected ?? 0) > 0;
  }

  /** Runs `fn` in a transaction holding a cluster-wide lock, so API replicas starting together seed one root key. */
  withSeedLock<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(7301)');
      return fn(m);
    });
  }
}
