import type { FindOptionsOrder, FindOptionsWhere, Repository } from 'typeorm';
import { skipOf, type PageRequest } from '../../common/src/pagination.js';

/**
 * Shared shape of repositories for rows that live inside one instance and are named by one key column
 * (parent topics by `topic`, groups by `groupId`, …). Every method takes the instance id first, so a
 * query can never reach into another instance.
 */
export abstract class InstanceScopedRepository<T extends { instanceId: string }, K extends keyof T & string> {
  protected constructor(
    protected readonly repo: Repository<T>,
    private readonly key: K,
  ) {}

  private where(instanceId: string, name?: string): FindOptionsWhere<T> {
    return (name === undefined ? { instanceId } : { instanceId, [this.key]: name }) as FindOptionsWhere<T>;
  }

  find(instanceId: string, name: string): Promise<T | null> {
    return this.repo.findOneBy(this.where(instanceId, name));
  }

  page(instanceId: string, page: PageRequest): Promise<[T[], number]> {
    const order = { [this.key]: 'ASC' } as FindOptionsOrder<T>;
    return this.repo.findAndCount({ where: this.where(instanceId), order, skip: skipOf(page), take: page.pageSize });
  }

  count(instanceId: string): Promise<number> {
    return this.repo.countBy(this.where(instanceId));
  }

  insert(row: Partial<T>): Promise<T> {
    return this.repo.save(this.repo.create(row as T));
  }

  save(row: T): Promise<T> {
    return this.repo.save(row);
  }

  async delete(instanceId: string, name: string): Promise<boolean> {
    const r = await this.repo.delete(this.where(instanceId, name));
    return (r.affected ?? 0) > 0;
  }
}
