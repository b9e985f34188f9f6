// Test harness: spawns a worker on a private Unix socket and talks HTTP to it.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const WORKER_PATH = fileURLToPath(new URL('../../../main/resources/dev/tenantry/runtime/worker.js', import.meta.url));
export const TENANT = { id: '7f1c2d9e-0b7a-4c55-9a51-2f3e4d5c6b7a', slug: 'acme' };

export function fnSpec(name, files, options = {}) {
  const encoded = {};
  for (const [file, content] of Object.entries(files)) encoded[file] = Buffer.from(content).toString('base64');
  return {
    name,
    version: options.version ?? 1,
    entry: options.entry ?? Object.keys(files)[0],
    files: encoded,
    modules: options.modules ?? {},
    env: options.env ?? {},
    secrets: options.secrets ?? {},
    timeoutMs: options.timeoutMs ?? 3000,
    memoryMb: options.memoryMb ?? 128,
  };
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startWorker() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantry-worker-test-'));
  const socketPath = path.join(dir, 'worker.sock');
  // The flags the host starts workers with (Sandbox.java).
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '--experimental-vm-modules', WORKER_PATH], {
    env: { TENANTRY_SOCKET: socketPath, TMPDIR: dir, PATH: process.env.PATH, HOST_ONLY_SECRET: 'host' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker = new Worker(child, socketPath, dir);
  await worker.waitForLine((l) => l.type === 'ready', 5000);
  return worker;
}

class Worker {
  constructor(child, socketPath, dir) {
    this.child = child;
    this.socketPath = socketPath;
    this.dir = dir;
    this.lines = [];
    this.invalidLines = [];
    this.stderr = '';
    this.waiters = new Set();
    this.agent = new http.Agent({ keepAlive: true });
    readline.createInterface({ input: child.stdout }).on('line', (text) => this.#onLine(text));
    child.stderr.on('data', (d) => {
      this.stderr += d;
    });
  }

  #onLine(text) {
    let line;
    try {
      line = JSON.parse(text);
    } catch {
      this.invalidLines.push(text);
      return;
    }
    line.receivedAt = performance.now();
    this.lines.push(line);
    for (const waiter of this.waiters) waiter();
  }

  waitForLine(predicate, timeoutMs = 3000) {
    const found = this.lines.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find(predicate);
        if (!line) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching stdout line within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  logs(predicate = () => true) {
    return this.lines.filter((l) => l.type === 'log' && predicate(l));
  }

  request({ method = 'GET', path: urlPath = '/', headers = {}, body, chunks, onChunk } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.socketPath, agent: this.agent, method, path: urlPath, headers },
        (res) => {
          const parts = [];
          res.on('data', (chunk) => {
            parts.push(chunk);
            if (onChunk) onChunk(chunk, performance.now());
          });
          res.on('end', () => {
            const buffer = Buffer.concat(parts);
            resolve({
              status: res.statusCode,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: buffer,
              text: buffer.toString(),
              json: () => JSON.parse(buffer.toString()),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (chunks) {
        (async () => {
          for (const chunk of chunks) {
            req.write(chunk);
            await delay(5);
          }
          req.end();
        })();
      } else {
        req.end(body);
      }
    });
  }

  specialise(functions, tenant = TENANT) {
    return this.request({
      method: 'POST',
      path: '/specialise',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, functions }),
    });
  }

  invoke(name, { method = 'GET', url, headers = {}, body, chunks, onChunk, rid = randomUUID(), deadlineMs = 5000 } = {}) {
    return this.request({
      method,
      path: `/invoke/${name}`,
      headers: {
        'x-tenantry-url': url ?? `http://acme.localhost:8080/fn/${name}`,
        'x-tenantry-request-id': rid,
        'x-tenantry-deadline': String(Date.now() + deadlineMs),
        'x-tenantry-source-ip': '203.0.113.7',
        ...headers,
      },
      body,
      chunks,
      onChunk,
    });
  }

  async stop() {
    this.agent.destroy();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill();
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
