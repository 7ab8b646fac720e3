import { Injectable } from '@nestjs/common';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { AppError } from '../../../common/src/errors.js';
import { checkParentTopic } from '../../../common/src/names.js';
import type { Page, PageRequest } from '../../../common/src/pagination.js';
import type { Caller } from '../auth/caller.js';
import { isUniqueViolation } from '../db-errors.js';
import { InstancesService, validRemark } from '../instances/instances.service.js';
import type { TopicEntity } from './topic.entity.js';
import { TopicsRepository } from './topics.repository.js';

export interface TopicView {
  instanceId: string;
  topic: string;
  remark: string;
  createTime: Date;
  updateTime: Date;
}

@Injectable()
export class TopicsService {
  constructor(
    private readonly topics: TopicsRepository,
    private readonly instances: InstancesService,
  ) {}

  async create(caller: Caller, instanceId: string, input: { topic: string; remark?: string }): Promise<TopicView> {
    const topic = validTopic(input.topic);
    caller.authorize(RamActions.CreateTopic, Resources.topic(instanceId, topic));
    const instance = await this.instances.require(instanceId);
    if ((await this.topics.count(instanceId)) >= instance.maxParentTopics) {
      throw AppError.of('Quota.Exceeded', `The instance already has its maximum of ${instance.maxParentTopics} parent topics.`);
    }
    try {
      return view(await this.topics.insert({ instanceId, topic, remark: validRemark(input.remark) }));
    } catch (e) {
      if (isUniqueViolation(e)) throw AppError.of('Topic.AlreadyExists', `The parent topic "${topic}" already exists in ${instanceId}.`);
      throw e;
    }
  }

  async list(caller: Caller, instanceId: string, page: PageRequest): Promise<Page<TopicView>> {
    caller.authorize(RamActions.ListTopic, Resources.instance(instanceId));
    await this.instances.require(instanceId);
    const [rows, total] = await this.topics.page(instanceId, page);
    return { total, pageNo: page.pageNo, pageSize: page.pageSize, items: rows.map(view) };
  }

  async update(caller: Caller, instanceId: string, topic: string, input: { remark?: string }): Promise<TopicView> {
    caller.authorize(RamActions.UpdateTopic, Resources.topic(instanceId, topic));
    const row = await this.require(instanceId, topic);
    if (input.remark !== undefined) row.remark = validRemark(input.remark);
    return view(await this.topics.save(row));
  }

  async delete(caller: Caller, instanceId: string, topic: string): Promise<void> {
    caller.authorize(RamActions.DeleteTopic, Resources.topic(instanceId, topic));
    await this.instances.require(instanceId);
    if (!(await this.topics.delete(instanceId, topic))) throw topicNotFound(instanceId, topic);
  }

  private async require(instanceId: string, topic: string): Promise<TopicEntity> {
    await this.instances.require(instanceId);
    const row = await this.topics.find(instanceId, topic);
    if (!row) throw topicNotFound(instanceId, topic);
    return row;
  }
}

function topicNotFound(instanceId: string, topic: string): AppError {
  return AppError.of('TopicNotFound', `The parent topic "${topic}" does not exist in ${instanceId}.`);
}

function validTopic(topic: string | undefined): string {
  if (topic === undefined || topic === '') throw AppError.missing('Topic');
  const why = checkParentTopic(topic);
  if (why) throw AppError.invalid('Topic', why);
  return topic;
}

function view(row: TopicEntity): TopicView {
  return { instanceId: row.instanceId, topic: row.topic, remark: row.remark, createTime: row.createdAt, updateTime: row.updatedAt };
}
