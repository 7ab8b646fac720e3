import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { isValidTopicName, parentOf } from '../../../acl/src/topic.js';
import { AppError } from '../../../common/src/errors.js';
import { newMessageId } from '../../../common/src/ids.js';
import { parseClientId } from '../../../common/src/names.js';
import type { Caller } from '../auth/caller.js';
import { InstancesService } from '../instances/instances.service.js';
import { TopicEntity } from '../topics/topic.entity.js';
import { BrokerCommandEntity } from './broker-command.entity.js';

/** SendMessage publishes with QoS 1 (Alibaba leaves it unspecified; at-least-once is what callers expect). */
export const SEND_MESSAGE_QOS = 1;

@Injectable()
export class BrokerCommandsService {
  constructor(
    @InjectRepository(BrokerCommandEntity) private readonly commands: Repository<BrokerCommandEntity>,
    @InjectRepository(TopicEntity) private readonly topics: Repository<TopicEntity>,
    private readonly instances: InstancesService,
  ) {}

  /**
   * SendMessage: a server-side publish (QoS 1) to a topic of the instance, P2P topics included. Reaches
   * subscribers on every broker worker; not forwarded by outbound rules (as in Alibaba).
   */
  async sendMessage(caller: Caller, instanceId: string, topic: string | undefined, payload: Buffer | undefined): Promise<{ msgId: string }> {
    if (topic === undefined || topic === '') throw AppError.missing('MqttTopic');
    caller.authorize(RamActions.SendMessage, Resources.topic(instanceId, topic));
    if (payload === undefined) throw AppError.missing('Payload');
    if (!isValidTopicName(topic) || topic.startsWith('$') || Buffer.byteLength(topic) > 1024) {
      throw AppError.invalid('MqttTopic', 'must be a topic name without wildcards under a parent topic');
    }
    const instance = await this.instances.require(instanceId);
    if (!(await this.topics.existsBy({ instanceId, topic: parentOf(topic) }))) {
      throw AppError.invalid('MqttTopic', `"${parentOf(topic)}" is not a parent topic of ${instanceId}`);
    }
    if (payload.length > instance.maxPayloadBytes) throw AppError.invalid('Payload', `exceeds the instance limit of ${instance.maxPayloadBytes} bytes`);
    const msgId = newMessageId();
    await this.commands.insert({ type: 'publish', instanceId, topic, payload, qos: SEND_MESSAGE_QOS, msgId });
    return { msgId };
  }

  /** CloseConnection: every worker closes the connection of this ClientId in the instance, if it has one. */
  async closeConnection(caller: Caller, instanceId: string, clientId: string | undefined): Promise<void> {
    caller.authorize(RamActions.CloseConnection, Resources.instance(instanceId));
    if (clientId === undefined || clientId === '') throw AppError.missing('ClientId');
    if (!parseClientId(clientId)) throw AppError.invalid('ClientId', 'must be <GroupId>@@@<DeviceId>');
    await this.instances.require(instanceId);
    await this.commands.insert({ type: 'close', instanceId, clientId });
  }
}
