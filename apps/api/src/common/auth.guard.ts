import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AppError } from '../../../../libs/common/src/errors.js';
import { safeEqual } from '../../../../libs/common/src/crypto.js';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { AccessKeysService } from '../../../../libs/core/src/access-keys/access-keys.service.js';
import type { RequestWithContext } from './request-id.js';

interface AuthedRequest extends RequestWithContext {
  caller?: Caller;
}

/**
 * HTTP Basic auth with `AccessKeyId:AccessKeySecret` (like EMQX API keys). Unknown key, disabled key and
 * wrong secret get the same codes as the RPC face (`InvalidAccessKeyId.NotFound`, `.Inactive`,
 * `SignatureDoesNotMatch`), all 401. The secret is compared in constant time.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(private readonly keys: AccessKeysService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) throw AppError.of('IncompleteSignature', 'Send HTTP Basic credentials: AccessKeyId:AccessKeySecret.');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw AppError.of('IncompleteSignature', 'Basic credentials must be AccessKeyId:AccessKeySecret.');
    const { caller, secret } = await this.keys.authenticate(decoded.slice(0, colon));
    if (!safeEqual(decoded.slice(colon + 1), secret)) throw AppError.of('SignatureDoesNotMatch', 'The AccessKeySecret does not match.');
    req.caller = caller;
    return true;
  }
}

/** The authenticated caller of a REST handler (set by BasicAuthGuard). */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthedRequest>().caller;
  if (!caller) throw AppError.internal();
  return caller;
});
