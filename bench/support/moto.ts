/**
 * Starts a moto_server of its own on a free port (null when moto_server is not on PATH), behind a tiny
 * proxy that sends DynamoDB calls one at a time: moto's conditional writes are not atomic under
 * concurrency (see test/support/global-setup.ts), real DynamoDB's are, and the gate relies on them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface BenchMoto {
  endpoint: string;
  /** DynamoDB calls that went through the proxy so far, by operation (X-Amz-Target). */
  calls(): Record<string, number>;
  doc(): DynamoDBDocumentClient;
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startBenchMoto(): Promise<BenchMoto | null> {
  const command = onPath('moto_server');
  if (command === undefined) return null;
  const port = await freePort();
  const child: ChildProcess = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const motoUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (true) {
    try {
      const response = await fetch(`${motoUrl}/moto-api/`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('moto_server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let queue: Promise<void> = Promise.resolve();
  const calls: Record<string, number> = {};
  const proxy = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? 'other').replace(/^DynamoDB_\d+\./, '');
    calls[operation] = (calls[operation] ?? 0) + 1;
    queue = queue.then(
      () =>
        new Promise<void>((done) => {
          res.once('close', () => done());
          const upstream = request(
            { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.once('error', (error) => {
            if (!res.headersSent) res.writeHead(502);
            res.end(String(error));
          });
          req.pipe(upstream);
        }),
    );
  });
  proxy.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    calls: () => ({ ...calls }),
    doc() {
      const client = new DynamoDBClient(clientConfig);
      clients.push(client);
      return DynamoDBDocumentClient.from(client);
    },
    async createTable(name) {
      const client = new DynamoDBClient(clientConfig);
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      client.destroy();
    },
    async close() {
      for (const client of clients) client.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      agent.destroy();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
