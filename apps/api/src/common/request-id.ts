import type { NextFunction, Request, Response } from 'express';
import { newRequestId } from '../../../../libs/common/src/ids.js';

export interface RequestWithContext extends Request {
  requestId: string;
}

/** Every response carries a request id (header `x-request-id`, and in error bodies), for support and logs. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const id = newRequestId();
  (req as RequestWithContext).requestId = id;
  res.setHeader('x-request-id', id);
  next();
}
