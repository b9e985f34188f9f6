import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { delay, fnSpec, startWorker, TENANT } from '../support/harness.mjs';

const INSPECT_CJS = `
module.exports = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    return Response.json({
      method: request.method,
      url: request.url,
      path: url.pathname,
      x: url.searchParams.getAll('x'),
      headers: Object.fromEntries(request.headers),
      requestId: ctx.requestId,
      text: await request.text(),
    });
  },
};`;

const API_ESM = `
export default {
  async fetch(request) {
    const input = await request.json();
    return Response.json({ received: input, sum: input.numbers.reduce((a, b) => a + b, 0) },
      { status: 201, headers: { 'x-api': 'yes' } });
  },
};`;

// No .mjs and no package.json: detected as ESM from its syntax.
const ECHO_ESM = `
export default {
  async fetch(request) {
    const bytes = await request.arrayBuffer();
    return new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' } });
  },
};`;

const PIPE_ESM = `
export default { fetch: (request) => new Response(request.body) };`;

const COOKIES_CJS = `
exports.fetch = () => {
  const headers = new Headers({ 'content-type': 'text/plain' });
  headers.append('set-cookie', 'session=abc; Path=/; HttpOnly');
  headers.append('set-cookie', 'theme=dark; Max-Age=3600');
  return new Response('cookies set', { headers });
};`;

const STREAM_ESM = `
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
export default {
  fetch() {
    const encoder = new TextEncoder();
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(encoder.encode('first\\n'));
        await wait(600);
        controller.enqueue(encoder.encode('last\\n'));
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/plain' } });
  },
};`;

const ENDLESS_ESM = `
let timer;
export default {
  fetch() {
    const body = new ReadableStream({
      start(controller) {
        timer = setInterval(() => controller.enqueue(new TextEncoder().encode('tick\\n')), 10);
      },
      cancel() {
        clearInterval(timer);
        console.log('stream cancelled');
      },
    });
    return new Response(body);
  },
};`;

const THROWER_CJS = `
module.exports = { fetch() { throw new Error('kaboom in fetch'); } };`;

const BAD_RETURN_CJS = `
module.exports = { async fetch() { return { status: 200, body: 'not a Response' }; } };`;

const WAITER_ESM = `
export default {
  fetch(request, env, ctx) {
    ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log('background done'); resolve(); }, 400)));
    ctx.waitUntil(Promise.reject(new Error('background failed')));
    return new Response('answered');
  },
};`;

// What a function can do with the Responses it makes (text bodies are kept as text until read).
const RESPONSES_ESM = `
export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams.get('case');
    if (q === 'read') {
      const made = new Response('read me', { status: 202, headers: { 'x-made': '1' } });
      const copy = made.clone();
      const text = await made.text();
      const stream = await new Response(copy.body).text();
      const json = await Response.json({ a: [1, 'ü'] }).json();
      const bytes = new TextDecoder().decode(await new Response('bytes ü').arrayBuffer());
      const blob = await new Response('blob', { headers: { 'content-type': 'text/x-blob' } }).blob();
      return Response.json({
        text, stream, json, bytes, blobType: blob.type, blobSize: blob.size,
        usedAfterRead: made.bodyUsed, usedBefore: new Response('x').bodyUsed,
        status: made.status, made: made.headers.get('x-made'), type: made.headers.get('content-type'),
        isResponse: made instanceof Response && Response.error() instanceof Response,
        name: made.constructor.name, tag: Object.prototype.toString.call(made),
        nullBody: new Response(null, { status: 204 }).body,
        inspected: String(made).length > 0,
      });
    }
    if (q === 'no-content') {
      try {
        return new Response('not allowed', { status: 204 });
      } catch (err) {
        return new Response(err.constructor.name + ': ' + err.message, { status: 200 });
      }
    }
    if (q === 'json') return Response.json({ ok: true }, { status: 201, headers: { 'x-json': 'yes' } });
    if (q === 'typed') return new Response('<p>hi</p>', { headers: { 'Content-Type': 'text/html' } });
    if (q === 'consumed') {
      const r = new Response('gone');
      await r.text();
      return r;
    }
    return new Response('plain ü');
  },
};`;

let worker;

before(async () => {
  worker = await startWorker();
  const res = await worker.specialise([
    fnSpec('inspect', { 'index.js': INSPECT_CJS }),
    fnSpec('api', { 'index.mjs': API_ESM }),
    fnSpec('echo', { 'index.js': ECHO_ESM }),
    fnSpec('pipe', { 'main.js': PIPE_ESM, 'package.json': '{"name":"pipe","type":"module"}' }, { entry: 'main.js' }),
    fnSpec('cookies', { 'index.cjs': COOKIES_CJS }),
    fnSpec('stream', { 'index.mjs': STREAM_ESM }),
    fnSpec('thrower', { 'index.js': THROWER_CJS }),
    fnSpec('bad-return', { 'index.js': BAD_RETURN_CJS }),
    fnSpec('waiter', { 'index.mjs': WAITER_ESM }),
    fnSpec('endless', { 'index.mjs': ENDLESS_ESM }),
    fnSpec('responses', { 'index.mjs': RESPONSES_ESM }),
  ]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    res.json().loaded.map((f) => [f.name, f.contract]),
    [['inspect', 'fetch'], ['api', 'fetch'], ['echo', 'fetch'], ['pipe', 'fetch'], ['cookies', 'fetch'],
      ['stream', 'fetch'], ['thrower', 'fetch'], ['bad-return', 'fetch'], ['waiter', 'fetch'], ['endless', 'fetch'], ['responses', 'fetch']],
  );
});

after(() => worker.stop());

test('CJS fetch handler sees the original URL, method, query and body', async () => {
  const res = await worker.invoke('inspect', {
    method: 'PUT',
    url: 'http://acme.localhost:8080/fn/inspect/items?x=1&x=2&y=3',
    headers: { 'content-type': 'text/plain' },
    body: 'hello body',
    rid: 'req-123',
  });
  assert.equal(res.status, 200);
  const seen = res.json();
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.url, 'http://acme.localhost:8080/fn/inspect/items?x=1&x=2&y=3');
  assert.equal(seen.path, '/fn/inspect/items');
  assert.deepEqual(seen.x, ['1', '2']);
  assert.equal(seen.text, 'hello body');
  assert.equal(seen.requestId, 'req-123');
});

test('request headers reach the function, x-tenantry-* and hop headers do not', async () => {
  const res = await worker.invoke('inspect', {
    headers: { 'X-Custom': 'custom-value', accept: 'application/json', authorization: 'Bearer t0k3n' },
  });
  const { headers } = res.json();
  assert.equal(headers['x-custom'], 'custom-value');
  assert.equal(headers.accept, 'application/json');
  assert.equal(headers.authorization, 'Bearer t0k3n');
  assert.equal(headers.host, 'acme.localhost:8080');
  for (const name of Object.keys(headers)) assert.ok(!name.startsWith('x-tenantry-'), name);
  assert.equal(headers.connection, undefined);
});

test('ESM fetch handler: JSON API round trip with status and headers', async () => {
  const res = await worker.invoke('api', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ numbers: [1, 2, 3.5], name: 'Zoë' }),
  });
  assert.equal(res.status, 201);
  assert.equal(res.headers['x-api'], 'yes');
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.deepEqual(res.json(), { received: { numbers: [1, 2, 3.5], name: 'Zoë' }, sum: 6.5 });
});

test('Responses a function makes behave as Fetch says, read or returned', async () => {
  const read = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses?case=read' });
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.json(), {
    text: 'read me', stream: 'read me', json: { a: [1, 'ü'] }, bytes: 'bytes ü', blobType: 'text/x-blob', blobSize: 4,
    usedAfterRead: true, usedBefore: false, status: 202, made: '1', type: 'text/plain;charset=UTF-8',
    isResponse: true, name: 'Response', tag: '[object Response]', nullBody: null, inspected: true,
  });
  const plain = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses' });
  assert.equal(plain.status, 200);
  assert.equal(plain.text, 'plain ü');
  assert.equal(plain.headers['content-type'], 'text/plain;charset=UTF-8');
  assert.equal(plain.headers['content-length'], String(Buffer.byteLength('plain ü')));
  const json = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses?case=json' });
  assert.equal(json.status, 201);
  assert.equal(json.headers['content-type'], 'application/json');
  assert.equal(json.headers['x-json'], 'yes');
  assert.deepEqual(json.json(), { ok: true });
  const typed = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses?case=typed' });
  assert.equal(typed.headers['content-type'], 'text/html');
  assert.equal(typed.text, '<p>hi</p>');
  const refused = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses?case=no-content' });
  assert.equal(refused.text, 'TypeError: Response constructor: Invalid response status code 204');
  const consumed = await worker.invoke('responses', { url: 'http://acme.localhost/fn/responses?case=consumed' });
  assert.equal(consumed.status, 500);
  assert.equal(consumed.headers['x-tenantry-error'], 'function');
  assert.match(consumed.json().message, /body was already read/);
});

test('binary body round trip is byte exact', async () => {
  const payload = randomBytes(256 * 1024);
  const res = await worker.invoke('echo', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: payload,
  });
  assert.equal(res.status, 200);
  assert.ok(res.body.equals(payload));
});

test('chunked request body streams through to a streamed response', async () => {
  const chunks = [randomBytes(1000), randomBytes(70000), randomBytes(3)];
  const res = await worker.invoke('pipe', { method: 'POST', chunks });
  assert.equal(res.status, 200);
  assert.ok(res.body.equals(Buffer.concat(chunks)));
});

test('multiple Set-Cookie headers stay separate', async () => {
  const res = await worker.invoke('cookies');
  assert.equal(res.status, 200);
  assert.deepEqual(res.headers['set-cookie'], ['session=abc; Path=/; HttpOnly', 'theme=dark; Max-Age=3600']);
  assert.equal(res.text, 'cookies set');
});

test('a streamed body reaches the client progressively', async () => {
  const started = performance.now();
  const arrivals = [];
  const res = await worker.invoke('stream', {
    onChunk: (chunk, at) => arrivals.push({ text: chunk.toString(), at: at - started }),
  });
  const finished = performance.now() - started;
  assert.equal(res.text, 'first\nlast\n');
  assert.equal(arrivals[0].text, 'first\n');
  assert.ok(arrivals[0].at < 300, `first chunk after ${arrivals[0].at} ms`);
  assert.ok(finished >= 580, `finished after ${finished} ms`);
});

test('a throwing handler answers 500 with x-tenantry-error and logs the stack', async () => {
  const res = await worker.invoke('thrower', { rid: 'rid-throw' });
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.deepEqual(res.json(), { error: 'FunctionError', message: 'kaboom in fetch' });
  const line = await worker.waitForLine((l) => l.rid === 'rid-throw' && l.line.includes('kaboom in fetch'));
  assert.equal(line.fn, 'thrower');
  assert.equal(line.stream, 'stderr');
  await worker.waitForLine((l) => l.rid === 'rid-throw' && /at .*index\.js:\d+:\d+/.test(l.line));
});

test('returning something other than a Response is a function error', async () => {
  const res = await worker.invoke('bad-return');
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.match(res.json().message, /must return a Response, got Object/);
});

test('waitUntil work runs after the response and its failures are logged', async () => {
  const started = performance.now();
  const res = await worker.invoke('waiter', { rid: 'rid-wait' });
  assert.equal(res.text, 'answered');
  assert.ok(performance.now() - started < 300, 'response did not wait for background work');
  await worker.waitForLine((l) => l.rid === 'rid-wait' && l.line === 'background done');
  await worker.waitForLine((l) => l.rid === 'rid-wait' && l.stream === 'stderr' && l.line.includes('background failed'));
});

test('unknown function answers 404 not-loaded', async () => {
  const res = await worker.invoke('nope');
  assert.equal(res.status, 404);
  assert.equal(res.headers['x-tenantry-error'], 'not-loaded');
});

test('other paths answer 404', async () => {
  assert.equal((await worker.request({ path: '/elsewhere' })).status, 404);
  assert.equal((await worker.request({ path: '/specialise' })).status, 404);
});

test('health reports the tenant, functions and rss', async () => {
  const res = await worker.request({ path: '/health' });
  assert.equal(res.status, 200);
  const health = res.json();
  assert.equal(health.tenant, TENANT.id);
  assert.deepEqual(health.functions.find((f) => f.name === 'api'), { name: 'api', version: 1, contract: 'fetch' });
  assert.ok(health.rss > 0);
});

test('an unread large request body does not stall the keep-alive connection', async () => {
  const res = await worker.invoke('cookies', { method: 'POST', body: randomBytes(4 * 1024 * 1024) });
  assert.equal(res.status, 200);
  const next = await Promise.race([worker.invoke('cookies'), delay(2000).then(() => 'stalled')]);
  assert.notEqual(next, 'stalled');
  assert.equal(next.status, 200);
});

test('HEAD gets the headers without a body', async () => {
  const res = await worker.invoke('cookies', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-length'], '11');
  assert.equal(res.body.length, 0);
});

test('an unusable x-tenantry-url answers 400 bad-request', async () => {
  const res = await worker.invoke('inspect', { url: 'not a url' });
  assert.equal(res.status, 400);
  assert.equal(res.headers['x-tenantry-error'], 'bad-request');
});

test('a client that goes away cancels the function stream', async () => {
  const rid = 'rid-endless';
  await new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: worker.socketPath,
        path: '/invoke/endless',
        headers: { 'x-tenantry-url': 'http://acme.localhost/fn/endless', 'x-tenantry-request-id': rid },
      },
      (res) => res.once('data', () => {
        req.destroy();
        resolve();
      }),
    );
    req.on('error', () => {});
    req.on('close', resolve);
    req.end();
  });
  await worker.waitForLine((l) => l.rid === rid && l.line === 'stream cancelled');
  assert.equal((await worker.invoke('cookies')).status, 200);
});
