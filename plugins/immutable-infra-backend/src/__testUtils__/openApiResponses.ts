import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import {
  openApiDocument,
  OpenApiOperation,
  OpenApiResponse,
} from '../http/openApiDocument';

const DOCUMENT_ID = 'openapi.json';

type DocumentedRoute = {
  method: string;
  template: string;
  pattern: RegExp;
  operation: OpenApiOperation;
};

let compiled:
  | {
      ajv: Ajv2020;
      routes: DocumentedRoute[];
      validators: Map<string, ValidateFunction>;
    }
  | undefined;

function documentChecker() {
  if (!compiled) {
    const document = openApiDocument();
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    ajv.addKeyword('components');
    ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
    const routes = Object.entries(document.paths).flatMap(
      ([template, operations]) =>
        Object.entries(operations).map(([method, operation]) => ({
          method,
          template,
          pattern: new RegExp(
            `^${template.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`,
          ),
          operation: operation!,
        })),
    );
    // A fixed path before a template it also matches, as OpenAPI asks:
    // `/images/prune` before `/images/{id}`.
    routes.sort(
      (a, b) =>
        (a.template.match(/\{/g)?.length ?? 0) -
        (b.template.match(/\{/g)?.length ?? 0),
    );
    compiled = { ajv, routes, validators: new Map() };
  }
  return compiled;
}

/** The documented route a request is for, as a validator would match it. */
function documentedRoute(method: string, path: string) {
  return documentChecker().routes.find(
    route => route.method === method.toLowerCase() && route.pattern.test(path),
  );
}

/** The response the route documents for a status, shared ones resolved. */
function documentedResponse(
  operation: OpenApiOperation,
  status: number,
): Exclude<OpenApiResponse, { $ref: string }> | undefined {
  const response =
    operation.responses[String(status)] ??
    operation.responses[`${String(status)[0]}XX`];
  if (response && '$ref' in response) {
    const name = response.$ref.replace('#/components/responses/', '');
    return openApiDocument().components.responses[name] as Exclude<
      OpenApiResponse,
      { $ref: string }
    >;
  }
  return response;
}

function validatorFor(schemaRef: string): ValidateFunction {
  const { ajv, validators } = documentChecker();
  let validate = validators.get(schemaRef);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}${schemaRef}` });
    validators.set(schemaRef, validate);
  }
  return validate;
}

/**
 * What is wrong with an answer as the OpenAPI document describes the route:
 * a status it does not list, another content type, a body its schema
 * refuses. Undefined when it matches, or when the request is for no
 * documented route (an unknown path answers the router's 404).
 */
export function openApiMismatch(answer: {
  method: string;
  path: string;
  status: number;
  contentType?: string;
  body: string;
}): string | undefined {
  const route = documentedRoute(answer.method, answer.path);
  if (!route) {
    return undefined;
  }
  const where = `${answer.method} ${
    answer.path
  } (${route.method.toUpperCase()} ${route.template}) answered ${
    answer.status
  }`;
  const response = documentedResponse(route.operation, answer.status);
  if (!response) {
    return `${where}, a status its entry does not list (${Object.keys(
      route.operation.responses,
    ).join(', ')})`;
  }
  const [type, { schema }] = Object.entries(response.content)[0];
  if (!answer.contentType?.startsWith(type)) {
    return `${where} as ${answer.contentType}, not ${type}`;
  }
  if (type !== 'application/json') {
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return `${where} a body that is not JSON: ${answer.body.slice(0, 200)}`;
  }
  const validate = validatorFor(String(schema.$ref));
  if (validate(body)) {
    return undefined;
  }
  const problems = validate
    .errors!.slice(0, 10)
    .map(
      e => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
    );
  return `${where} a body that does not match ${schema.$ref}: ${problems.join(
    '; ',
  )}`;
}

const mismatches: string[] = [];

/**
 * Middleware for a test app, before the router: checks every answer of a
 * documented route against the OpenAPI document and keeps what does not
 * match, for {@link takeOpenApiMismatches}.
 */
export function checkAnswersAgainstOpenApi(): express.RequestHandler {
  return (req, res, next) => {
    const chunks: Buffer[] = [];
    const collect = (chunk: unknown, encoding?: unknown) => {
      if (
        chunk !== undefined &&
        chunk !== null &&
        typeof chunk !== 'function'
      ) {
        chunks.push(
          Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(
                String(chunk),
                typeof encoding === 'string'
                  ? (encoding as BufferEncoding)
                  : 'utf8',
              ),
        );
      }
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => express.Response;
    (res as any).write = (...args: unknown[]) => {
      collect(args[0], args[1]);
      return write(...args);
    };
    (res as any).end = (...args: unknown[]) => {
      collect(args[0], args[1]);
      const found = openApiMismatch({
        method: req.method,
        path: req.path,
        status: res.statusCode,
        contentType: res.getHeader('content-type')?.toString(),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (found) {
        mismatches.push(found);
      }
      return end(...args);
    };
    next();
  };
}

/** The mismatches found since the last call, and forgets them. */
export function takeOpenApiMismatches(): string[] {
  return mismatches.splice(0, mismatches.length);
}
