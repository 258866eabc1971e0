import { ResponseError } from '@backstage/errors';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ImmutableInfraClient } from './ImmutableInfraClient';

type Recorded = {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
};

describe('ImmutableInfraClient', () => {
  let server: Server;
  let baseUrl: string;
  let recorded: Recorded[];
  let reply: { status: number; body: unknown };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        recorded.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
        });
        res.writeHead(reply.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/immutable-infra`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(() => {
    recorded = [];
  });

  const client = () =>
    new ImmutableInfraClient({
      discoveryApi: { getBaseUrl: async () => baseUrl },
    });

  it('fetches an entity summary, encoding the ref and sending the token', async () => {
    reply = {
      status: 200,
      body: {
        entityRef: 'component:default/payments-api',
        enrolled: true,
        annotations: {
          imageFamily: 'payments-api',
          fleetSelector: [{ key: 'app', value: 'payments' }],
          environments: ['staging', 'production'],
          stateful: false,
        },
      },
    };
    const summary = await client().getEntitySummary(
      { kind: 'Component', namespace: 'default', name: 'pay ments' },
      { token: 'abc' },
    );
    expect(summary.enrolled).toBe(true);
    expect(recorded[0]).toMatchObject({
      method: 'GET',
      url: '/api/immutable-infra/entities/Component/default/pay%20ments/summary',
    });
    expect(recorded[0].headers.authorization).toBe('Bearer abc');
  });

  it('posts an enrollment as JSON', async () => {
    reply = {
      status: 201,
      body: {
        created: true,
        family: {
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
          createdAt: '2026-11-26T07:00:00.000Z',
        },
      },
    };
    const result = await client().enroll({
      name: 'payments-api',
      entityRef: 'component:default/payments-api',
    });
    expect(result.created).toBe(true);
    expect(recorded[0].method).toBe('POST');
    expect(recorded[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(recorded[0].body)).toEqual({
      name: 'payments-api',
      entityRef: 'component:default/payments-api',
    });
    expect(recorded[0].headers.authorization).toBeUndefined();
  });

  it('throws a ResponseError carrying the backend error', async () => {
    reply = {
      status: 409,
      body: {
        error: { name: 'ConflictError', message: 'already enrolled by x' },
        request: { method: 'POST', url: '/families' },
        response: { statusCode: 409 },
      },
    };
    const error = await client()
      .enroll({ name: 'a', entityRef: 'component:default/a' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.body.error.message).toBe('already enrolled by x');
  });

  it('pages entity images and builds registry paths', async () => {
    reply = { status: 200, body: { family: 'app', items: [] } };
    await client().listEntityImages(
      { kind: 'component', namespace: 'default', name: 'app' },
      { cursor: '5', limit: 2 },
    );
    expect(recorded[0].url).toBe(
      '/api/immutable-infra/entities/component/default/app/images?cursor=5&limit=2',
    );

    reply = {
      status: 200,
      body: {
        changed: true,
        channel: { name: 'production', managed: false, version: 'app@3' },
      },
    };
    const change = await client().assignChannel('app', 'production', {
      version: 3,
    });
    expect(change.channel.version).toBe('app@3');
    expect(recorded[1]).toMatchObject({
      method: 'PUT',
      url: '/api/immutable-infra/families/app/channels/production',
    });
    expect(JSON.parse(recorded[1].body)).toEqual({ version: 3 });
  });
});
