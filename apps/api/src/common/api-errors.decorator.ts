import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiResponse } from '@nestjs/swagger';
import { BasicAuthGuard } from './auth.guard.js';
import { ErrorResponseDto } from './dto.js';

/** Basic auth plus the error responses every authenticated route can give, declared once. */
export function Authenticated(...extra: number[]): MethodDecorator & ClassDecorator {
  const statuses = [...new Set([400, 401, 403, ...extra])].sort();
  return applyDecorators(
    UseGuards(BasicAuthGuard),
    ApiBasicAuth(),
    ...statuses.map((status) => ApiResponse({ status, type: ErrorResponseDto, description: describe(status) })),
  );
}

function describe(status: number): string {
  return (
    { 400: 'Invalid or missing parameter', 401: 'Missing or bad credentials', 403: 'Forbidden.RAM', 404: 'Not found', 409: 'Already exists' } as Record<number, string>
  )[status] ?? 'Error';
}
