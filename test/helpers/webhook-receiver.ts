/**
 * Test-only: a webhook receiver on a fixed loopback port that can go down and come back (the port is
 * kept, so the server's outbox retries the same URL). Records every request with its idempotency key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  key: string | undefined;
  body: { status: string; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }> };
  atMs: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.received.push({
            key: req.headers['idempotency-key'] as string | undefined,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            atMs: Date.now(),
          });
          res.writeHead(200).end('ok');
        } catch {
          res.writeHead(400).end('bad json');
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** `status check` of each message, in arrival order. */
  summary(): string[] {
    return this.received.map((m) => `${m.body.status} ${m.body.alerts[0]?.labels.check ?? m.body.alerts[0]?.labels.alertname}`);
  }
}
