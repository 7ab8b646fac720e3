import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** Builds the OpenAPI document deterministically (sorted keys), so the committed file can be diffed in CI. */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Aviary control plane — REST API')
    .setDescription(
      'Resource API of Aviary, the self-hosted MQTT service. Authenticate with HTTP Basic ' +
        '`AccessKeyId:AccessKeySecret`. Errors are `{code, message, requestId}` with the same codes as the ' +
        'Alibaba-compatible RPC endpoint at `/` (see openapi/rpc-actions.json).',
    )
    .setVersion('1')
    .addBasicAuth()
    .build();
  const doc = SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
  return sortKeys(doc) as OpenAPIObject;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function serializeOpenApi(doc: OpenAPIObject): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

export function mountSwagger(app: INestApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
}
