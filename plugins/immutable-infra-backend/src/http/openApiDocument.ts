import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import { z } from 'zod';
import {
  REQUEST_SCHEMAS,
  RESPONSE_SCHEMAS,
  ROUTE_CONTRACTS,
  ROUTE_TAGS,
  RouteContract,
  RouteError,
} from './routeContracts';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1). @internal */
export type JsonSchema = { [keyword: string]: unknown };

/** A response of an operation, or a reference to a shared one. @internal */
export type OpenApiResponse =
  | { $ref: string }
  | {
      description: string;
      content: Record<string, { schema: JsonSchema }>;
    };

/** One operation of the document. @internal */
export type OpenApiOperation = {
  operationId: string;
  tags: string[];
  summary: string;
  security?: [];
  parameters?: Array<{
    name: string;
    in: 'path' | 'query';
    required: boolean;
    description?: string;
    schema: JsonSchema;
  }>;
  requestBody?: {
    required: boolean;
    content: { 'application/json': { schema: JsonSchema } };
  };
  responses: Record<string, OpenApiResponse>;
};

/** The OpenAPI 3.1 document of the plugin's HTTP API. @internal */
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  security: Array<Record<string, []>>;
  paths: Record<
    string,
    Partial<Record<RouteContract['method'], OpenApiOperation>>
  >;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
    securitySchemes: Record<string, object>;
  };
};

/** Refusals, by status: the name of the shared response, and what it means. */
const ERRORS: Record<400 | 401 | 413 | 415 | RouteError, [string, string]> = {
  400: [
    'BadRequest',
    'A path parameter, query or body fails its schema (the message names each field and what it expects), or the request cannot be done as asked (the message says why)',
  ],
  401: ['Unauthorized', 'No valid Backstage user or service token'],
  403: ['Forbidden', 'The permission policy denies the action'],
  404: [
    'NotFound',
    'Nothing by that name, or an entity the caller may not read in the catalog',
  ],
  409: [
    'Conflict',
    'The request conflicts with the current state, which the message names',
  ],
  413: ['PayloadTooLarge', 'The body is larger than the limit'],
  415: [
    'UnsupportedMediaType',
    'The body is compressed in a Content-Encoding, or written in a charset, the API does not read (it reads identity, gzip and deflate; UTF-8)',
  ],
  503: [
    'ServiceUnavailable',
    'A check that must be made could not be (EC2 unreachable); nothing changed, the same request can be sent again',
  ],
};

const schemaRef = (name: string) => `#/components/schemas/${name}`;

/** `/images/:id` as OpenAPI writes it: `/images/{id}`. @internal */
export function openApiPath(routePath: string): string {
  return routePath.replace(/:(\w+)/g, '{$1}');
}

/**
 * The named schemas, converted by zod with references between them: a
 * request as the caller may write it (defaults optional), an answer as the
 * backend writes it.
 */
function convert(
  schemas: Record<string, z.ZodType>,
  io: 'input' | 'output',
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    registry.add(schema, { id });
  }
  const converted = z.toJSONSchema(registry, { io, uri: schemaRef });
  return Object.fromEntries(
    Object.entries(converted.schemas).map(([id, schema]) => {
      const { $id: _id, $schema: _dialect, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

function parameters(route: RouteContract): OpenApiOperation['parameters'] {
  const found: NonNullable<OpenApiOperation['parameters']> = [];
  const declared = [...route.path.matchAll(/:(\w+)/g)].map(m => m[1]);
  for (const [location, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) {
      continue;
    }
    const json = z.toJSONSchema(schema, { io: 'input' }) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = property;
      found.push({
        name,
        in: location,
        required: location === 'path' || !!json.required?.includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  const inPath = found.filter(p => p.in === 'path').map(p => p.name);
  if (inPath.sort().join() !== [...declared].sort().join()) {
    throw new Error(
      `${route.method.toUpperCase()} ${
        route.path
      }: its path has the parameters [${declared}], its params schema [${inPath}]`,
    );
  }
  return found.length ? found : undefined;
}

function operation(route: RouteContract): OpenApiOperation {
  const responses: Record<string, OpenApiResponse> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    responses[status] = {
      description: status === '201' ? 'Created' : 'OK',
      content:
        answer === 'text/csv'
          ? { 'text/csv': { schema: { type: 'string' } } }
          : { 'application/json': { schema: { $ref: schemaRef(answer) } } },
    };
  }
  const errors = new Set<keyof typeof ERRORS>(route.errors);
  // Every route that needs credentials refuses a query it does not read.
  if (route.params || route.query || route.body || !route.unauthenticated) {
    errors.add(400);
  }
  if (!route.unauthenticated) {
    errors.add(401);
  }
  if (route.body) {
    errors.add(413);
    errors.add(415);
  }
  for (const status of [...errors].sort((a, b) => a - b)) {
    responses[status] = { $ref: `#/components/responses/${ERRORS[status][0]}` };
  }
  const params = parameters(route);
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.unauthenticated ? { security: [] } : {}),
    ...(params ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            // Handlers read a missing body as {}: required only when {} fails.
            required: !REQUEST_SCHEMAS[route.body].safeParse({}).success,
            content: {
              'application/json': { schema: { $ref: schemaRef(route.body) } },
            },
          },
        }
      : {}),
    responses,
  };
}

function packageVersion(): string {
  const manifest = resolvePackagePath(
    '@immutable-infra/backstage-plugin-backend',
    'package.json',
  );
  return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

function build(): OpenApiDocument {
  const requests = convert(REQUEST_SCHEMAS, 'input');
  const answers = convert(RESPONSE_SCHEMAS, 'output');
  const clash = Object.keys(requests).filter(name => name in answers);
  if (clash.length) {
    throw new Error(`Schema names used twice: ${clash.join(', ')}`);
  }
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTE_CONTRACTS) {
    const path = openApiPath(route.path);
    if (paths[path]?.[route.method]) {
      throw new Error(`${route.method.toUpperCase()} ${path} is listed twice`);
    }
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Immutable Infra',
      version: packageVersion(),
      description:
        'Image registry, fleet inventory, drift, rollouts and adoption of immutable infrastructure, for Backstage. Request schemas are the ones the backend validates with; every refusal answers the Error body.',
    },
    servers: [{ url: '/api/immutable-infra' }],
    tags: Object.entries(ROUTE_TAGS).map(([name, description]) => ({
      name,
      description,
    })),
    security: [{ backstageToken: [] }],
    paths,
    components: {
      schemas: { ...requests, ...answers },
      responses: Object.fromEntries(
        Object.values(ERRORS).map(([name, description]) => [
          name,
          {
            description,
            content: {
              'application/json': { schema: { $ref: schemaRef('Error') } },
            },
          },
        ]),
      ),
      securitySchemes: {
        backstageToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A Backstage user or service token',
        },
      },
    },
  };
}

let document: OpenApiDocument | undefined;

/**
 * The OpenAPI 3.1 document of every route of `/api/immutable-infra`, made
 * from {@link ROUTE_CONTRACTS} and the zod schemas of `-common` the handlers
 * validate with. Served at `GET /openapi.json`.
 *
 * @internal
 */
export function openApiDocument(): OpenApiDocument {
  document ??= build();
  return document;
}
