/**
 * Stable error codes: part of our public API on both faces (REST `/v1` and the Alibaba-compatible RPC
 * endpoint). Codes come from the Alibaba reference where it has one (keeping its spelling, e.g.
 * `GroupIdAlreadyExsited`); the rest follow the same PascalCase.Dotted style. Services throw `AppError`;
 * each face maps it to HTTP in exactly one place (the REST exception filter, the RPC envelope).
 */
export const ERROR_CATALOGUE = {
  // request shape
  MissingParameter: { status: 400, message: 'A required parameter is missing.' },
  InvalidParameter: { status: 400, message: 'A parameter is invalid.' },
  ParameterFieldCheckFailed: { status: 400, message: 'A parameter failed its format check.' },
  PayloadTooLarge: { status: 413, message: 'The request body is too large.' },
  // authentication (REST: 401; RPC: Alibaba's 400/404, see rpcStatus)
  IncompleteSignature: { status: 401, rpcStatus: 400, message: 'The request carries no credentials.' },
  'InvalidAccessKeyId.NotFound': { status: 401, rpcStatus: 404, message: 'The AccessKeyId does not exist.' },
  'InvalidAccessKeyId.Inactive': { status: 401, rpcStatus: 400, message: 'The AccessKeyId is disabled.' },
  SignatureDoesNotMatch: { status: 401, rpcStatus: 400, message: 'The signature or secret does not match.' },
  SignatureNonceUsed: { status: 400, message: 'The SignatureNonce has been used already.' },
  'InvalidTimeStamp.Format': { status: 400, message: 'The Timestamp is not in ISO 8601 UTC format.' },
  'InvalidTimeStamp.Expired': { status: 400, message: 'The Timestamp differs from server time by more than 15 minutes.' },
  // authorization
  'Forbidden.RAM': { status: 403, message: 'The AccessKey is not authorized for this action on this resource.' },
  'Forbidden.RootAccessKey': { status: 403, message: 'The root AccessKey cannot be deleted or disabled.' },
  // RPC protocol
  'InvalidAction.NotFound': { status: 404, message: 'The specified action is not supported.' },
  InvalidVersion: { status: 400, message: 'The specified Version is not supported; use 2020-04-20.' },
  'InvalidFormat': { status: 400, message: 'Only Format=JSON is supported.' },
  // resources
  InstanceNotFound: { status: 404, message: 'The instance does not exist.' },
  'InstanceName.AlreadyExists': { status: 409, message: 'An instance with this name already exists.' },
  TopicNotFound: { status: 404, message: 'The parent topic does not exist in this instance.' },
  'Topic.AlreadyExists': { status: 409, message: 'The parent topic already exists in this instance.' },
  GroupIdNotFound: { status: 404, message: 'The GroupId does not exist in this instance.' },
  GroupIdAlreadyExsited: { status: 409, message: 'The GroupId already exists in this instance.' },
  AccessKeyNotFound: { status: 404, message: 'The AccessKey does not exist.' },
  DeviceCredentialNotFound: { status: 404, message: 'No device credential is registered for this ClientId.' },
  'Quota.Exceeded': { status: 400, message: 'A per-instance limit has been reached.' },
  // server
  InternalError: { status: 500, message: 'The request failed because of an internal error; retry it.' },
  ServiceUnavailable: { status: 503, message: 'The service is not ready.' },
} as const satisfies Record<string, { status: number; rpcStatus?: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  constructor(
    /** Stable code, e.g. `InstanceNotFound` or `InvalidParameter.GroupId`. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly rpcStatus: number = status,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static of(code: ErrorCode, message?: string): AppError {
    const entry: { status: number; rpcStatus?: number; message: string } = ERROR_CATALOGUE[code];
    return new AppError(code, message ?? entry.message, entry.status, entry.rpcStatus ?? entry.status);
  }

  /** `MissingParameter` — Alibaba reports the name in the message; the code stays fixed. */
  static missing(name: string): AppError {
    return new AppError('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`, 400);
  }

  /** `InvalidParameter.<Name>` — the suffix names the offending parameter, as Alibaba's `InvalidParameter.%s`. */
  static invalid(name: string, why: string): AppError {
    return new AppError(`InvalidParameter.${name}`, `The parameter "${name}" is invalid: ${why}`, 400);
  }

  static internal(): AppError {
    return AppError.of('InternalError');
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
