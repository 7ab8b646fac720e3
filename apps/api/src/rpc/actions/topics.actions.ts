import { MaxLength } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { checkParentTopic } from '../../../../../libs/common/src/names.js';
import { RpcParam } from '../rpc-param.js';
import { allPages, defineAction, ms } from '../rpc-action.js';
import { NameRule } from '../rules.js';
import { InstanceScopedParams } from './common.js';

const TOPIC = 'acs:mq:*:*:topic/{InstanceId}/{Topic}';
const TOPIC_RULE = '3-64 characters [0-9A-Za-z_-] (a parent topic: the first level of every topic)';

class TopicParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'Parent topic name.' })
  @NameRule('parentTopic', TOPIC_RULE, checkParentTopic)
  Topic: string;
}

class CreateTopicParams extends TopicParams {
  @RpcParam({ type: 'String', required: false, description: 'Free-text remark.' })
  @MaxLength(256)
  Remark?: string;
}

class UpdateTopicParams extends TopicParams {
  @RpcParam({ type: 'String', required: true, description: 'New remark (may not be empty; it is the only updatable field).' })
  @MaxLength(256)
  Remark: string;
}

export const TOPIC_ACTIONS = [
  defineAction({
    action: 'CreateTopic',
    summary: 'Creates a parent topic in an instance.',
    params: CreateTopicParams,
    ram: { action: RamActions.CreateTopic, resource: TOPIC },
    errors: ['MissingParameter', 'InvalidParameter.Topic', 'InvalidParameter.Remark', 'InstanceNotFound', 'Topic.AlreadyExists', 'Quota.Exceeded', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.topics.create(caller, p.InstanceId, { topic: p.Topic, remark: p.Remark }),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'ListTopic',
    summary: 'Lists the parent topics of an instance; no paging.',
    params: InstanceScopedParams,
    ram: { action: RamActions.ListTopic, resource: 'acs:mq:*:*:instance/{InstanceId}' },
    errors: ['MissingParameter', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { Data: [{ Topic: 'String', Remark: 'String', CreateTime: 'Long' }] },
    handle: ({ caller, services }, p) => allPages((page) => services.topics.list(caller, p.InstanceId, page)),
    toResponse: (topics) => ({ Data: topics.map((t) => ({ Topic: t.topic, Remark: t.remark, CreateTime: ms(t.createTime) })) }),
  }),
  defineAction({
    action: 'UpdateTopic',
    summary: 'Changes the remark of a parent topic.',
    params: UpdateTopicParams,
    ram: { action: RamActions.UpdateTopic, resource: TOPIC },
    errors: ['MissingParameter', 'InvalidParameter.Topic', 'InvalidParameter.Remark', 'InstanceNotFound', 'TopicNotFound', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.topics.update(caller, p.InstanceId, p.Topic, { remark: p.Remark }),
    toResponse: () => ({}),
  }),
  defineAction({
    action: 'DeleteTopic',
    summary: 'Deletes a parent topic; its sub-topics stop being usable at once.',
    params: TopicParams,
    ram: { action: RamActions.DeleteTopic, resource: TOPIC },
    errors: ['MissingParameter', 'InvalidParameter.Topic', 'InstanceNotFound', 'TopicNotFound', 'Forbidden.RAM'],
    response: {},
    handle: ({ caller, services }, p) => services.topics.delete(caller, p.InstanceId, p.Topic),
    toResponse: () => ({}),
  }),
];
