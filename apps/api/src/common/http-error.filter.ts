import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from '../../../../libs/common/src/errors.js';
import type { RequestWithContext } from './request-id.js';

export interface RestErrorBody {
  code: string;
  message: string;
  requestId: string;
}

/**
 * The one place where errors become REST responses: `AppError` keeps its code and status; Nest's own
 * HTTP exceptions (unknown route, malformed JSON body) get a code; anything else is logged and hidden
 * behind `InternalError`. The RPC face has its own envelope (its controller-scoped filter wins there).
 */
export function toAppError(exception: unknown, logger: Logger): AppError {
  if (exception instanceof AppError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new AppError('NotFound', 'No such route.', 404);
    if (status === 413) return AppError.of('PayloadTooLarge');
    if (status === 400) return new AppError('InvalidParameter', 'The request body is not valid JSON or form data.', 400);
    if (status < 500) return new AppError(`Http${status}`, exception.message, status);
  }
  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return AppError.internal();
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<RequestWithContext>();
    const res = ctx.getResponse<Response>();
    const err = toAppError(exception, this.logger);
    if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="aviary"');
    const body: RestErrorBody = { code: err.code, message: err.message, requestId: req.requestId ?? '' };
    res.status(err.status).json(body);
  }
}
