import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { fetchProbe, probeHostRefusal, probeInstances } from './probe';

const instance = (id: string, privateIp?: string) => ({
  instanceId: id,
  privateIp,
  tags: {},
});

describe('the rollout probe', () => {
  it('may reach the instance itself, or only the hosts the config allows', () => {
    expect(
      probeHostRefusal('http://{privateIp}:8080/healthz', []),
    ).toBeUndefined();
    expect(
      probeHostRefusal('https://{privateDns}/healthz', []),
    ).toBeUndefined();
    expect(
      probeHostRefusal('http://health.internal:9000/{instanceId}', [
        'health.internal:9000',
      ]),
    ).toBeUndefined();
    expect(
      probeHostRefusal('http://169.254.169.254/latest/meta-data', []),
    ).toMatch(
      /host 169\.254\.169\.254 is not the instance's address .* nor in immutableInfra\.rollouts\.probe\.allowedHosts/,
    );
    // A placeholder in the path or in a longer name is not the instance.
    expect(
      probeHostRefusal('http://{privateIp}.evil.example/healthz', []),
    ).toMatch(/^the rollout probe's host \{privateIp\}\.evil\.example is not/);
    expect(probeHostRefusal('http://evil.example/{privateIp}', [])).toMatch(
      /^the rollout probe's host evil\.example is not/,
    );
    // Allowed is the host with its port, not the host on any port.
    expect(
      probeHostRefusal('http://health.internal:9001/{instanceId}', [
        'health.internal:9000',
      ]),
    ).toMatch(/^the rollout probe's host health\.internal:9001 is not/);
  });

  it('fails closed: a refused host or an instance without its address does not pass', async () => {
    const fetch = jest.fn(async () => ({ healthy: true as const }));
    expect(
      await probeInstances({
        template: 'http://metadata.internal/',
        instances: [instance('i-1', '10.0.0.1')],
        allowedHosts: [],
        fetch,
      }),
    ).toEqual(
      new Map([['i-1', expect.stringMatching(/^HTTP probe refused: /)]]),
    );
    expect(
      await probeInstances({
        template: 'http://{privateIp}:8080/healthz',
        instances: [instance('i-2'), instance('i-3', '10.0.0.3')],
        allowedHosts: [],
        fetch,
      }),
    ).toEqual(new Map([['i-2', 'HTTP probe: no privateIp yet']]));
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith('http://10.0.0.3:8080/healthz');
  });

  it('passes a 2xx only, follows no redirect, and says why a probe failed', async () => {
    const server = createServer((request, response) => {
      if (request.url === '/ok') {
        response.writeHead(204).end();
      } else if (request.url === '/moved') {
        response.writeHead(302, { Location: '/ok' }).end();
      } else {
        response.writeHead(503).end('down');
      }
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await fetchProbe(`${base}/ok`)).toEqual({ healthy: true });
      expect(await fetchProbe(`${base}/moved`)).toEqual({
        healthy: false,
        why: 'answered 302',
      });
      expect(await fetchProbe(`${base}/down`)).toEqual({
        healthy: false,
        why: 'answered 503',
      });
    } finally {
      server.close();
    }
  });

  it('says a probe could not connect where nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>(done => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as AddressInfo;
    await new Promise(done => closed.close(done));
    expect(await fetchProbe(`http://127.0.0.1:${port}/healthz`)).toEqual({
      healthy: false,
      why: 'could not connect (ECONNREFUSED)',
    });
  });
});
