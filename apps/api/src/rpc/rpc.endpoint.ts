import { MqttTokensService } from '../../../../libs/core/src/mqtt-tokens/mqtt-tokens.service.js';
import { DeviceCredentialsService } from '../../../../libs/core/src/device-credentials/device-credentials.service.js';
import { SessionsService } from '../../../../libs/core/src/sessions/sessions.service.js';
import { BrokerCommandsService } from '../../../../libs/core/src/broker-commands/broker-commands.service.js';
import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { stringify } from 'node:querystring';
import { AppError } from '../../../../libs/common/src/errors.js';
import { AccessKeysService } from '../../../../libs/core/src/access-keys/access-keys.service.js';
import { GroupsService } from '../../../../libs/core/src/groups/groups.service.js';
import { InstancesService } from '../../../../libs/core/src/instances/instances.service.js';
import { TopicsService } from '../../../../libs/core/src/topics/topics.service.js';
import { findAction } from './actions/index.js';
import type { RpcServices } from './rpc-action.js';
import { isV3, RpcAuthService, type RpcRequest } from './rpc-auth.service.js';
import { requestIdOf, sendRpcError } from './rpc-envelope.js';
import { parseRpcParams } from './rpc-param.js';
import { mergeParams, parseForm } from './rpc-params.js';

/** The one API version of the OnsMqtt surface Aviary implements. */
export const RPC_VERSION = '2020-04-20';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The Alibaba-compatible RPC endpoint: protocol checks, authentication, the action table, the envelope.
 * Everything an action does happens in the services the REST face calls too.
 */
@Injectable()
export class RpcEndpoint {
  private readonly logger = new Logger('Rpc');
  private readonly services: RpcServices;

  constructor(
    private readonly auth: RpcAuthService,
    instances: InstancesService,
    topics: TopicsService,
    groups: GroupsService,
    accessKeys: AccessKeysService,
    tokens: MqttTokensService,
    deviceCredentials: DeviceCredentialsService,
    brokerCommands: BrokerCommandsService,
    sessions: SessionsService,
  ) {
    this.services = { instances, topics, groups, accessKeys, tokens, deviceCredentials, brokerCommands, sessions };
  }

  async handle(req: Request, res: Response): Promise<void> {
    try {
      const body = await this.dispatch(toRpcRequest(req));
      res.status(200).json({ RequestId: requestIdOf(req), ...body });
    } catch (e) {
      sendRpcError(req, res, e, this.logger);
    }
  }

  async dispatch(req: RpcRequest): Promise<Record<string, unknown>> {
    const p = req.params;
    const v3 = isV3(req.headers);
    // The Tea client's v3 requests name the action and version in headers, not parameters.
    const action = (v3 ? headerOf(req, 'x-acs-action') : undefined) ?? p.Action;
    const version = (v3 ? headerOf(req, 'x-acs-version') : undefined) ?? p.Version;
    if (p.Format !== undefined && p.Format.toUpperCase() !== 'JSON') {
      throw AppError.of('InvalidFormat', `Format "${p.Format}" is not supported; Aviary answers in JSON only (Format=JSON).`);
    }
    if (!action) throw AppError.missing('Action');
    if (!version) throw AppError.missing('Version');
    if (version !== RPC_VERSION) throw AppError.of('InvalidVersion', `Version "${version}" is not supported; use ${RPC_VERSION}.`);
    const def = findAction(action);
    if (!def) throw AppError.of('InvalidAction.NotFound', `The action "${action}" is not supported (see /rpc-actions.json).`);
    const caller = await this.auth.authenticate(req);
    const params = parseRpcParams(def.params, p);
    return def.toResponse(await def.handle({ caller, services: this.services }, params));
  }
}

function headerOf(req: RpcRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

type ExpressRequest = Request & { rawBody?: Buffer };

/**
 * Reads parameters and body bytes from Express. The body arrives parsed by the app's urlencoded parser;
 * its exact bytes (for v3's payload hash) come from `rawBody` when the app keeps it, otherwise from
 * re-serialising the parsed form — the Tea client serialises the same way, and a body that re-serialises
 * differently only fails its signature (the parameters acted on are always the ones that were hashed).
 */
export function toRpcRequest(req: ExpressRequest): RpcRequest {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const path = q < 0 ? url : url.slice(0, q);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const parsed: unknown = req.body;
  const hasParsedBody = parsed !== null && typeof parsed === 'object' && Object.keys(parsed).length > 0;
  let body: Buffer;
  let bodyParams: string | Record<string, unknown> | undefined;
  if (req.rawBody && req.rawBody.length > 0) {
    if (contentType !== FORM) throw notForm();
    body = req.rawBody;
    bodyParams = body.toString('utf8');
  } else if (hasParsedBody) {
    if (contentType !== FORM) throw notForm();
    bodyParams = parsed as Record<string, unknown>;
    body = Buffer.from(stringify(parsed as Record<string, string>), 'utf8');
  } else {
    body = Buffer.alloc(0);
  }
  return {
    method: req.method,
    path,
    headers: req.headers,
    params: mergeParams(rawQuery, bodyParams),
    query: parseForm(rawQuery),
    body,
  };
}

function notForm(): AppError {
  return new AppError('InvalidParameter', 'Send parameters in the query string or an application/x-www-form-urlencoded body.', 400);
}
