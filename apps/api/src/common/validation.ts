import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from '../../../../libs/common/src/errors.js';

/** `instanceName` → `InstanceName`: REST fields report the same `InvalidParameter.<Name>` codes as the RPC face. */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function firstError(errors: ValidationError[], prefix = ''): { path: string; error: ValidationError } | undefined {
  for (const e of errors) {
    const path = prefix ? `${prefix}.${pascal(e.property)}` : pascal(e.property);
    if (e.constraints && Object.keys(e.constraints).length > 0) return { path, error: e };
    const nested = firstError(e.children ?? [], path);
    if (nested) return nested;
  }
  return undefined;
}

/** Turns the first class-validator failure into `MissingParameter` or `InvalidParameter.<Name>` (400). */
export function validationErrorToAppError(errors: ValidationError[]): AppError {
  const found = firstError(errors);
  if (!found) return new AppError('InvalidParameter', 'The request is invalid.', 400);
  const { path, error } = found;
  const constraints = error.constraints ?? {};
  if (error.value === undefined && ('isDefined' in constraints || Object.keys(constraints).length > 1 || 'isNotEmpty' in constraints)) {
    if (!('whitelistValidation' in constraints)) return AppError.missing(path);
  }
  if ('whitelistValidation' in constraints) return AppError.invalid(path, 'is not a known parameter');
  return AppError.invalid(path, Object.values(constraints)[0] ?? 'is invalid');
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationErrorToAppError,
  });
}
