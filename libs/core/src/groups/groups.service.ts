import { Injectable } from '@nestjs/common';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { AppError } from '../../../common/src/errors.js';
import { checkGroupId } from '../../../common/src/names.js';
import type { Page, PageRequest } from '../../../common/src/pagination.js';
import type { Caller } from '../auth/caller.js';
import { isUniqueViolation } from '../db-errors.js';
import { InstancesService } from '../instances/instances.service.js';
import type { GroupEntity } from './group.entity.js';
import { GroupsRepository } from './groups.repository.js';

export interface GroupView {
  instanceId: string;
  groupId: string;
  /** Always true: every Aviary instance is its own namespace (names are unique per instance only). */
  independentNaming: boolean;
  createTime: Date;
  updateTime: Date;
}

@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly instances: InstancesService,
  ) {}

  async create(caller: Caller, instanceId: string, groupId: string): Promise<GroupView> {
    const gid = validGroupId(groupId);
    caller.authorize(RamActions.CreateGroupId, Resources.groupId(instanceId, gid));
    const instance = await this.instances.require(instanceId);
    if ((await this.groups.count(instanceId)) >= instance.maxGroups) {
      throw AppError.of('Quota.Exceeded', `The instance already has its maximum of ${instance.maxGroups} groups.`);
    }
    try {
      return view(await this.groups.insert({ instanceId, groupId: gid }));
    } catch (e) {
      if (isUniqueViolation(e)) throw AppError.of('GroupIdAlreadyExsited', `The GroupId "${gid}" already exists in ${instanceId}.`);
      throw e;
    }
  }

  async list(caller: Caller, instanceId: string, page: PageRequest): Promise<Page<GroupView>> {
    caller.authorize(RamActions.ListGroupId, Resources.groupId(instanceId, '*'));
    await this.instances.require(instanceId);
    const [rows, total] = await this.groups.page(instanceId, page);
    return { total, pageNo: page.pageNo, pageSize: page.pageSize, items: rows.map(view) };
  }

  async get(caller: Caller, instanceId: string, groupId: string): Promise<GroupView> {
    caller.authorize(RamActions.ListGroupId, Resources.groupId(instanceId, groupId));
    await this.instances.require(instanceId);
    const row = await this.groups.find(instanceId, groupId);
    if (!row) throw groupNotFound(instanceId, groupId);
    return view(row);
  }

  async delete(caller: Caller, instanceId: string, groupId: string): Promise<void> {
    caller.authorize(RamActions.DeleteGroupId, Resources.groupId(instanceId, groupId));
    await this.instances.require(instanceId);
    if (!(await this.groups.delete(instanceId, groupId))) throw groupNotFound(instanceId, groupId);
  }
}

function groupNotFound(instanceId: string, groupId: string): AppError {
  return AppError.of('GroupIdNotFound', `The GroupId "${groupId}" does not exist in ${instanceId}.`);
}

function validGroupId(groupId: string | undefined): string {
  if (groupId === undefined || groupId === '') throw AppError.missing('GroupId');
  const why = checkGroupId(groupId);
  if (why) throw AppError.invalid('GroupId', why);
  return groupId;
}

function view(row: GroupEntity): GroupView {
  return { instanceId: row.instanceId, groupId: row.groupId, independentNaming: true, createTime: row.createdAt, updateTime: row.updatedAt };
}
