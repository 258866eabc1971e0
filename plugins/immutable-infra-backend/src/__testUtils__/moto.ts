import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address ? address.port : 0),
      );
    });
  });
}

function motoPython(): string {
  for (const candidate of [
    process.env.MOTO_PYTHON,
    'python3',
    '/usr/bin/python3',
  ]) {
    if (
      candidate &&
      spawnSync(candidate, ['-c', 'import moto.server, flask_cors']).status ===
        0
    ) {
      return candidate;
    }
  }
  throw new Error(
    "No Python with moto found: pip install 'moto[server]' (or apt-get install python3-moto), or set MOTO_PYTHON",
  );
}

/** A private moto server (EC2 and Auto Scaling) for one test file. */
export type MotoServer = { endpoint: string; stop(): Promise<void> };

/**
 * Starts a moto server of its own on a free loopback port, so test files
 * running in parallel never see each other's resources.
 */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    motoPython(),
    ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    {
      env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) {
        break;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`moto did not start on ${endpoint}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise(resolve => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Static credentials for the emulator, the Backstage way. */
export function emulatorConfig(endpoint: string) {
  return {
    aws: {
      mainAccount: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    immutableInfra: {
      // The whole documented request budget (the limiter's default is a
      // fifth): tests burst more than a portal's share of a real account.
      aws: { endpoint, maxAttempts: 1, rateLimit: { share: 1 } },
      // The emulator implements no DescribeSessions: the session list would
      // read as unknown on every instance.
      drift: { sessionHistory: false },
    },
  };
}
