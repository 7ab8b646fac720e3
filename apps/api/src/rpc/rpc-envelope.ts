import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError } from '../../../../libs/common/src/errors.js';
import { newRequestId } from '../../../../libs/common/src/ids.js';
import { toAppError } from '../common/http-error.filter.js';

/** Alibaba's error body (reference §2.3): pop-core and the Tea SDKs read `Code`, `Message`, `RequestId`. */
export interface RpcErrorBody {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
}

export function requestIdOf(req: Request): string {
  const id = (req as Request & { requestId?: string }).requestId;
  return id ?? newRequestId();
}

function recommendFor(code: string, host: string): string {
  if (code === 'SignatureDoesNotMatch') return 'Check the AccessKeySecret and the client clock; compare your StringToSign with the one in Message.';
  if (code.startsWith('InvalidTimeStamp')) return 'Send Timestamp (or x-acs-date) as current UTC time, YYYY-MM-DDThh:mm:ssZ.';
  if (code === 'SignatureNonceUsed') return 'Send a new random SignatureNonce (or x-acs-signature-nonce) with every request.';
  return `Actions, parameters and error codes: http://${host}/rpc-actions.json`;
}

export function errorBody(req: Request, err: AppError): RpcErrorBody {
  const host = req.headers.host ?? 'localhost';
  return { RequestId: requestIdOf(req), HostId: host, Code: err.code, Message: err.message, Recommend: recommendFor(err.code, host) };
}

/** Writes an error in the RPC envelope: Alibaba's HTTP status for the code and the JSON body above. */
export function sendRpcError(req: Request, res: Response, exception: unknown, logger: Logger): void {
  const err = toAppError(exception, logger);
  res.status(err.rpcStatus).json(errorBody(req, err));
}

/**
 * Controller-scoped, so it wins over the REST filter on `/`: anything escaping the RPC controller (it
 * catches its own errors; this covers the framework's) still leaves in Alibaba's envelope.
 */
@Catch()
export class RpcErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Rpc');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendRpcError(ctx.getRequest<Request>(), ctx.getResponse<Response>(), exception, this.logger);
  }
}
