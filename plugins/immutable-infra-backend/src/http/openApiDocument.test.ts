import SwaggerParser from '@apidevtools/swagger-parser';
import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { openApiMismatch } from '../__testUtils__/openApiResponses';
import { routerRoutes } from '../__testUtils__/routerRoutes';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';
import { openApiDocument, openApiPath } from './openApiDocument';

describe('the OpenAPI document', () => {
  it('has an entry for every route of the router, and a route for every entry', async () => {
    const { app, knex } = await createRouterTestApp([]);
    const routes = routerRoutes(app).map(
      route => `${route.method.toUpperCase()} ${openApiPath(route.path)}`,
    );
    const entries = Object.entries(openApiDocument().paths).flatMap(
      ([path, operations]) =>
        Object.keys(operations).map(
          method => `${method.toUpperCase()} ${path}`,
        ),
    );
    await knex.destroy();

    expect({
      routesWithoutAnEntry: routes.filter(route => !entries.includes(route)),
      entriesWithoutARoute: entries.filter(entry => !routes.includes(entry)),
    }).toEqual({ routesWithoutAnEntry: [], entriesWithoutARoute: [] });
    expect(routes.length).toBeGreaterThan(30);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const document = structuredClone(openApiDocument());
    await expect(SwaggerParser.validate(document as any)).resolves.toEqual(
      expect.objectContaining({ openapi: '3.1.0' }),
    );
  });

  it('gives each operation a unique id, and each path parameter its rule', () => {
    const operations = Object.values(openApiDocument().paths).flatMap(
      operation => Object.values(operation),
    );
    const ids = operations.map(operation => operation!.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const pathParameters = operations.flatMap(operation =>
      (operation!.parameters ?? []).filter(p => p.in === 'path'),
    );
    expect(pathParameters.length).toBeGreaterThan(0);
    for (const parameter of pathParameters) {
      expect(parameter.description).toMatch(/^The .+: (must be|expected) /);
    }
  });

  it('says which request bodies may be left out: those whose schema takes {}', () => {
    const { paths } = openApiDocument();
    expect(paths['/sync']?.post?.requestBody?.required).toBe(false);
    expect(paths['/families']?.post?.requestBody?.required).toBe(true);
  });

  it('is served at GET /openapi.json to callers with credentials', async () => {
    const { app, knex } = await createRouterTestApp([]);
    const served = await request(app).get('/openapi.json');
    const refused = await request(app)
      .get('/openapi.json')
      .set('Authorization', mockCredentials.none.header());
    await knex.destroy();

    expect(served.status).toBe(200);
    expect(served.body).toEqual(openApiDocument());
    expect(refused.status).toBe(401);
  });
});

describe('openApiMismatch, the check of the route tests’ answers', () => {
  /** What the check says of `method path` answering `status` with `body`. */
  const check = (
    call: string,
    status: number,
    body: unknown,
    contentType = 'application/json; charset=utf-8',
  ) => {
    const [method, path] = call.split(' ');
    return openApiMismatch({
      method,
      path,
      status,
      contentType,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  };

  it('passes an answer its entry describes', () => {
    expect(check('GET /health', 200, { status: 'ok' })).toBeUndefined();
  });

  it('names the field of a body its schema refuses', () => {
    expect(
      check('POST /families/payments-api/channels/staging/rollback', 200, {
        channel: { name: 'staging' },
        changed: 'yes',
      }),
    ).toMatch(
      /^POST \/families\/payments-api\/channels\/staging\/rollback \(POST \/families\/\{family\}\/channels\/\{channel\}\/rollback\) answered 200 a body that does not match #\/components\/schemas\/ChannelChangeResponse: .*\/channel must have required property 'managed'.*\/changed must be boolean/,
    );
  });

  it('refuses a field the schema does not have', () => {
    expect(check('GET /health', 200, { status: 'ok', uptime: 3 })).toMatch(
      /must NOT have additional properties.*uptime/,
    );
  });

  it('refuses a status the entry does not list, and a refusal not in the error body', () => {
    expect(check('GET /families', 404, {})).toBe(
      'GET /families (GET /families) answered 404, a status its entry does not list (200, 400, 401)',
    );
    expect(
      check('GET /images/payments-api@1', 404, { message: 'not found' }),
    ).toMatch(/does not match #\/components\/schemas\/Error/);
  });

  it('matches a fixed path before a template, and checks the content type', () => {
    expect(check('POST /images/prune', 200, { status: 'ok' })).toMatch(
      /\(POST \/images\/prune\).*#\/components\/schemas\/PruneResult/,
    );
    expect(check('GET /adoption.csv', 200, [])).toBe(
      'GET /adoption.csv (GET /adoption.csv) answered 200 as application/json; charset=utf-8, not text/csv',
    );
    expect(
      check('GET /adoption.csv', 200, 'entityRef\n', 'text/csv; charset=utf-8'),
    ).toBeUndefined();
  });

  it('leaves alone a request for no documented route', () => {
    expect(check('GET /nowhere', 404, '')).toBeUndefined();
  });
});
