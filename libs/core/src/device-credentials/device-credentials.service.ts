import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { randomString, type SecretBox } from '../../../common/src/crypto.js';
import { AppError } from '../../../common/src/errors.js';
import { parseClientId } from '../../../common/src/names.js';
import { skipOf, type Page, type PageRequest } from '../../../common/src/pagination.js';
import type { Caller } from '../auth/caller.js';
import { GroupEntity } from '../groups/group.entity.js';
import { InstancesService } from '../instances/instances.service.js';
import { SECRET_BOX } from '../tokens.js';
import { DeviceCredentialEntity } from './device-credential.entity.js';

export interface DeviceCredentialView {
  clientId: string;
  instanceId: string;
  deviceAccessKeyId: string;
  deviceAccessKeySecret: string;
  createTime: Date;
  updateTime: Date;
}

/**
 * Device credentials (一机一密): one key pair per ClientId, `DC.`-prefixed like Alibaba's. Like Alibaba's
 * GetDeviceCredential, reads return the secret (it is stored encrypted, and the call needs RAM rights):
 * code migrating from Alibaba relies on that.
 */
@Injectable()
export class DeviceCredentialsService {
  constructor(
    @InjectRepository(DeviceCredentialEntity) private readonly creds: Repository<DeviceCredentialEntity>,
    @InjectRepository(GroupEntity) private readonly groups: Repository<GroupEntity>,
    private readonly instances: InstancesService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** Registers (or replaces: latest wins) the credential of a ClientId; connections using an old one are closed. */
  async register(caller: Caller, instanceId: string, clientId: string | undefined): Promise<DeviceCredentialView> {
    caller.authorize(RamActions.RegisterDeviceCredential, Resources.instance(instanceId));
    const { groupId } = validClientId(clientId);
    await this.instances.require(instanceId);
    if (!(await this.groups.existsBy({ instanceId, groupId }))) {
      throw AppError.of('GroupIdNotFound', `The GroupId "${groupId}" of this ClientId does not exist in ${instanceId}.`);
    }
    return this.rotate(instanceId, clientId!, await this.creds.findOneBy({ instanceId, clientId }));
  }

  async get(caller: Caller, instanceId: string, clientId: string | undefined): Promise<DeviceCredentialView> {
    caller.authorize(RamActions.GetDeviceCredential, Resources.instance(instanceId));
    return this.view(await this.require(instanceId, clientId));
  }

  /** New key pair for the same ClientId; the old one stops working at once. */
  async refresh(caller: Caller, instanceId: string, clientId: string | undefined): Promise<DeviceCredentialView> {
    caller.authorize(RamActions.RefreshDeviceCredential, Resources.instance(instanceId));
    return this.rotate(instanceId, clientId!, await this.require(instanceId, clientId));
  }

  async unregister(caller: Caller, instanceId: string, clientId: string | undefined): Promise<void> {
    caller.authorize(RamActions.UnRegisterDeviceCredential, Resources.instance(instanceId));
    const row = await this.require(instanceId, clientId);
    await this.creds.delete({ id: row.id });
  }

  /** ClientIds holding a credential, optionally of one GroupId, sorted, paged. */
  async listClientIds(caller: Caller, instanceId: string, groupId: string | undefined, page: PageRequest): Promise<Page<string>> {
    caller.authorize(RamActions.ListDeviceCredentialClientId, Resources.instance(instanceId));
    await this.instances.require(instanceId);
    const qb = this.creds.createQueryBuilder('c').select('c.clientId', 'clientId').where('c.instanceId = :instanceId', { instanceId });
    if (groupId) qb.andWhere('c.clientId LIKE :prefix', { prefix: `${groupId.replace(/[\\%_]/g, '\\$&')}@@@%` });
    const total = await qb.getCount();
    const rows = await qb.orderBy('c.clientId', 'ASC').offset(skipOf(page)).limit(page.pageSize).getRawMany<{ clientId: string }>();
    return { total, pageNo: page.pageNo, pageSize: page.pageSize, items: rows.map((r) => r.clientId) };
  }

  private async rotate(instanceId: string, clientId: string, existing: DeviceCredentialEntity | null): Promise<DeviceCredentialView> {
    const secret = `DC.${randomString(30)}`;
    const row = this.creds.create({ ...(existing ?? { instanceId, clientId }), deviceAccessKeyId: `DC.${randomString(22)}`, secretSealed: this.box.seal(secret) });
    return this.view(await this.creds.save(row), secret);
  }

  private async require(instanceId: string, clientId: string | undefined): Promise<DeviceCredentialEntity> {
    validClientId(clientId);
    await this.instances.require(instanceId);
    const row = await this.creds.findOneBy({ instanceId, clientId });
    if (!row) throw AppError.of('DeviceCredentialNotFound', `No device credential is registered for "${clientId}" in ${instanceId}.`);
    return row;
  }

  private view(row: DeviceCredentialEntity, secret = this.box.open(row.secretSealed)): DeviceCredentialView {
    return {
      clientId: row.clientId,
      instanceId: row.instanceId,
      deviceAccessKeyId: row.deviceAccessKeyId,
      deviceAccessKeySecret: secret,
      createTime: row.createdAt,
      updateTime: row.updatedAt,
    };
  }
}

function validClientId(clientId: string | undefined): { groupId: string; deviceId: string } {
  if (clientId === undefined || clientId === '') throw AppError.missing('ClientId');
  const parsed = parseClientId(clientId);
  if (!parsed) throw AppError.invalid('ClientId', 'must be <GroupId>@@@<DeviceId>, at most 64 characters of [0-9A-Za-z_-]');
  return parsed;
}
