import { MaxLength } from 'class-validator';
import { RamActions } from '../../../../../libs/acl/src/resources.js';
import { RpcParam } from '../rpc-param.js';
import { defineAction } from '../rpc-action.js';
import { InstanceScopedParams } from './common.js';

class SendMessageParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'Full topic incl. sub-levels; `<parent>/p2p/<ClientId>` reaches one client.', example: 'sensors/room1' })
  @MaxLength(1024)
  MqttTopic: string;

  @RpcParam({ type: 'String', required: true, description: 'Sent as-is (UTF-8); Base64-encode binary data yourself, as Alibaba recommends. At most the instance payload limit.' })
  Payload: string;
}

class CloseConnectionParams extends InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'ClientId whose connection is closed.', example: 'GID_test@@@0001' })
  @MaxLength(64)
  ClientId: string;
}

/** SendMessage (server-side publish, QoS 1) and CloseConnection. */
export const MESSAGE_ACTIONS = [
  defineAction({
    action: 'SendMessage',
    summary: 'Publishes a message (QoS 1) to devices, P2P topics included; not forwarded by outbound rules.',
    params: SendMessageParams,
    ram: { action: RamActions.SendMessage, resource: 'acs:mq:*:*:topic/{InstanceId}/{MqttTopic}' },
    errors: ['MissingParameter', 'InvalidParameter.MqttTopic', 'InvalidParameter.Payload', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { MsgId: 'String' },
    handle: ({ caller, services }, p) => services.brokerCommands.sendMessage(caller, p.InstanceId, p.MqttTopic, Buffer.from(p.Payload, 'utf8')),
    toResponse: (r) => ({ MsgId: r.msgId }),
  }),
  defineAction({
    action: 'CloseConnection',
    summary: 'Closes the connection of a ClientId, on whichever broker worker holds it.',
    params: CloseConnectionParams,
    ram: { action: RamActions.CloseConnection, resource: 'acs:mq:*:*:instance/{InstanceId}' },
    errors: ['MissingParameter', 'InvalidParameter.ClientId', 'InstanceNotFound', 'Forbidden.RAM'],
    response: { Code: 'Integer', Message: 'String', Success: 'Boolean' },
    handle: ({ caller, services }, p) => services.brokerCommands.closeConnection(caller, p.InstanceId, p.ClientId),
    // CloseConnection is of the later API generation, whose responses carry Code 200 (pop-core whitelists it).
    toResponse: () => ({ Code: 200, Message: 'operation success.', Success: true }),
  }),
];
