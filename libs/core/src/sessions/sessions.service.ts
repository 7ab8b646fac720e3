import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RamActions, Resources } from '../../../acl/src/resources.js';
import { AppError } from '../../../common/src/errors.js';
import { parseClientId } from '../../../common/src/names.js';
import type { Caller } from '../auth/caller.js';
import { InstancesService } from '../instances/instances.service.js';
import { NODE_STALE_AFTER_MS } from './broker-node.entity.js';
import { MqttSessionEntity } from './mqtt-session.entity.js';

export const MAX_BATCH_CLIENT_IDS = 10;

export interface SessionView {
  clientId: string;
  online: boolean;
  /** Last connection: when, from where, over which channel, on which broker worker. */
  connectTime: Date | null;
  disconnectTime: Date | null;
  clientIp: string | null;
  channelId: string | null;
  nodeId: string | null;
  /** Topic filters of the session (as the device sent them). */
  subscriptions: string[];
}

/**
 * Session queries, answered from `mqtt_sessions` (written by the broker workers in 200 ms batches) joined
 * with `broker_nodes` (worker heartbeats): a session is online only while its worker is alive.
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(MqttSessionEntity) private readonly sessions: Repository<MqttSessionEntity>,
    private readonly instances: InstancesService,
  ) {}

  async get(caller: Caller, instanceId: string, clientId: string | undefined): Promise<SessionView> {
    caller.authorize(RamActions.QuerySession, Resources.instance(instanceId));
    const [view] = await this.read(instanceId, [validClientId(clientId)]);
    return view!;
  }

  async isOnline(caller: Caller, instanceId: string, clientId: string | undefined): Promise<boolean> {
    return (await this.get(caller, instanceId, clientId)).online;
  }

  async batchOnline(caller: Caller, instanceId: string, clientIds: string[] | undefined): Promise<{ clientId: string; online: boolean }[]> {
    caller.authorize(RamActions.BatchQuerySession, Resources.instance(instanceId));
    if (!clientIds || clientIds.length === 0) throw AppError.missing('ClientIdList.1');
    if (clientIds.length > MAX_BATCH_CLIENT_IDS) throw AppError.invalid('ClientIdList', `at most ${MAX_BATCH_CLIENT_IDS} ClientIds per call`);
    const views = await this.read(instanceId, clientIds.map(validClientId));
    return views.map((v) => ({ clientId: v.clientId, online: v.online }));
  }

  private async read(instanceId: string, clientIds: string[]): Promise<SessionView[]> {
    await this.instances.require(instanceId);
    const rows = (await this.sessions.query(
      `SELECT s.client_id, s.online AND n.last_seen_at > now() - make_interval(secs => $3) AS online,
              s.connected_at, s.disconnected_at, s.client_ip, s.channel_id, s.node_id, s.subscriptions
         FROM mqtt_sessions s LEFT JOIN broker_nodes n ON n.node_id = s.node_id
        WHERE s.instance_id = $1 AND s.client_id = ANY($2)`,
      [instanceId, clientIds, NODE_STALE_AFTER_MS / 1000],
    )) as { client_id: string; online: boolean | null; connected_at: Date; disconnected_at: Date | null; client_ip: string; channel_id: string; node_id: string; subscriptions: string[] }[];
    const byId = new Map(rows.map((r) => [r.client_id, r]));
    return clientIds.map((clientId) => {
      const r = byId.get(clientId);
      if (!r) return { clientId, online: false, connectTime: null, disconnectTime: null, clientIp: null, channelId: null, nodeId: null, subscriptions: [] };
      const online = r.online === true;
      return {
        clientId,
        online,
        connectTime: r.connected_at,
        disconnectTime: online ? null : (r.disconnected_at ?? null),
        clientIp: r.client_ip,
        channelId: r.channel_id,
        nodeId: r.node_id,
        subscriptions: online ? r.subscriptions : [],
      };
    });
  }
}

function validClientId(clientId: string | undefined): string {
  if (clientId === undefined || clientId === '') throw AppError.missing('ClientId');
  if (!parseClientId(clientId)) throw AppError.invalid('ClientId', 'must be <GroupId>@@@<DeviceId>, at most 64 characters of [0-9A-Za-z_-]');
  return clientId;
}
