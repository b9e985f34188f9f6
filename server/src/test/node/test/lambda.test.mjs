import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fnSpec, startWorker } from '../support/harness.mjs';

const EVENT_CJS = `
exports.handler = async (event, context) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    event,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    },
  }),
});`;

const BARE_ESM = `
export const handler = async (event) => ({ ok: true, path: event.rawPath, n: [1, 2] });`;

const STRING_ESM = `
export async function handler() { return 'just a string'; }`;

const BINARY_CJS = `
exports.handler = async (event) => {
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body ?? '', 'utf8');
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/octet-stream', 'x-was-base64': event.isBase64Encoded },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
};`;

const COOKIES_CJS = `
exports.handler = async () => ({
  statusCode: 302,
  headers: { location: '/next', 'x-number': 42 },
  multiValueHeaders: { 'x-multi': ['one', 'two'] },
  cookies: ['a=1; Path=/', 'b=2; Secure; HttpOnly'],
});`;

const REMAINING_CJS = `
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
exports.handler = async (event, context) => {
  const first = context.getRemainingTimeInMillis();
  await wait(60);
  const second = context.getRemainingTimeInMillis();
  return { first, second };
};`;

const CALLBACK_CJS = `
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { statusCode: 202, body: 'via callback ' + event.rawPath }), 20);
};`;

const CALLBACK_ERROR_CJS = `
exports.handler = (event, context, callback) => { setTimeout(() => callback(new Error('callback failed')), 5); };`;

const SUCCEED_CJS = `
exports.handler = (event, context) => { context.succeed({ statusCode: 200, body: 'legacy succeed' }); };`;

const THROW_ESM = `
export const handler = async () => { throw new TypeError('lambda exploded'); };`;

const BAD_STATUS_CJS = `
exports.handler = async () => ({ statusCode: 'teapot', body: 'x' });`;

const UNDEFINED_CJS = `
exports.handler = async () => undefined;`;

let worker;

before(async () => {
  worker = await startWorker();
  const res = await worker.specialise([
    fnSpec('event', { 'index.js': EVENT_CJS }, { version: 7, memoryMb: 256 }),
    fnSpec('bare', { 'index.mjs': BARE_ESM }),
    fnSpec('string', { 'handler.js': STRING_ESM, 'package.json': '{"type":"module"}' }, { entry: 'handler.js' }),
    fnSpec('binary', { 'index.js': BINARY_CJS }),
    fnSpec('cookies', { 'index.js': COOKIES_CJS }),
    fnSpec('remaining', { 'index.js': REMAINING_CJS }),
    fnSpec('callback', { 'index.js': CALLBACK_CJS }),
    fnSpec('callback-error', { 'index.js': CALLBACK_ERROR_CJS }),
    fnSpec('succeed', { 'index.js': SUCCEED_CJS }),
    fnSpec('throw', { 'index.mjs': THROW_ESM }),
    fnSpec('bad-status', { 'index.js': BAD_STATUS_CJS }),
    fnSpec('undefined', { 'index.js': UNDEFINED_CJS }),
  ]);
  assert.equal(res.status, 200, res.text);
  for (const fn of res.json().loaded) assert.equal(fn.contract, 'lambda', fn.name);
});

after(() => worker.stop());

async function invokeEvent(options) {
  const res = await worker.invoke('event', options);
  assert.equal(res.status, 200, res.text);
  return res.json();
}

test('payload format 2.0 event: path, query, headers and request context', async () => {
  const { event } = await invokeEvent({
    method: 'POST',
    url: 'http://acme.localhost:8080/fn/event/orders/42?tag=a&tag=b&q=hello%20world',
    rid: 'rid-event',
    headers: { 'content-type': 'application/json', 'user-agent': 'test-agent/1.0', 'X-Multi': ['v1', 'v2'] },
    body: '{"order":42}',
  });
  assert.equal(event.version, '2.0');
  assert.equal(event.routeKey, '$default');
  assert.equal(event.rawPath, '/fn/event/orders/42');
  assert.equal(event.rawQueryString, 'tag=a&tag=b&q=hello%20world');
  assert.deepEqual(event.queryStringParameters, { tag: 'a,b', q: 'hello world' });
  assert.equal(event.headers['content-type'], 'application/json');
  assert.equal(event.headers['x-multi'], 'v1,v2');
  assert.equal(event.headers.host, 'acme.localhost:8080');
  for (const name of Object.keys(event.headers)) {
    assert.equal(name, name.toLowerCase());
    assert.ok(!name.startsWith('x-tenantry-'), name);
  }
  assert.equal(event.cookies, undefined);
  assert.equal(event.body, '{"order":42}');
  assert.equal(event.isBase64Encoded, false);

  const rc = event.requestContext;
  assert.equal(rc.accountId, 'tenantry');
  assert.equal(rc.apiId, 'acme');
  assert.equal(rc.domainName, 'acme.localhost');
  assert.equal(rc.domainPrefix, 'acme');
  assert.deepEqual(rc.http, {
    method: 'POST',
    path: '/fn/event/orders/42',
    protocol: 'HTTP/1.1',
    sourceIp: '203.0.113.7',
    userAgent: 'test-agent/1.0',
  });
  assert.equal(rc.requestId, 'rid-event');
  assert.equal(rc.routeKey, '$default');
  assert.equal(rc.stage, '$default');
  assert.match(rc.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  assert.ok(Math.abs(rc.timeEpoch - Date.now()) < 5000);
});

test('without query or body those fields are omitted', async () => {
  const { event } = await invokeEvent({ url: 'http://acme.localhost:8080/fn/event' });
  assert.equal(event.rawQueryString, '');
  assert.equal('queryStringParameters' in event, false);
  assert.equal('body' in event, false);
  assert.equal(event.isBase64Encoded, false);
});

test('cookies arrive as event.cookies, not as a header', async () => {
  const { event } = await invokeEvent({ headers: { cookie: 'session=abc; theme=dark' } });
  assert.deepEqual(event.cookies, ['session=abc', 'theme=dark']);
  assert.equal(event.headers.cookie, undefined);
});

test('context object carries the function identity', async () => {
  const { context } = await invokeEvent({ rid: 'rid-ctx' });
  assert.deepEqual(context, {
    awsRequestId: 'rid-ctx',
    functionName: 'event',
    functionVersion: '7',
    invokedFunctionArn: 'arn:tenantry:lambda:local:acme:function:event',
    memoryLimitInMB: '256',
    logGroupName: '/tenantry/acme/event',
    logStreamName: context.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
  });
  assert.match(context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[7\]\d+$/);
});

test('binary body: base64 in the event, isBase64Encoded response decoded byte exact', async () => {
  const payload = randomBytes(100 * 1024);
  const res = await worker.invoke('binary', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: payload,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-was-base64'], 'true');
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.ok(res.body.equals(payload));
});

test('textual body arrives as a utf-8 string', async () => {
  const res = await worker.invoke('binary', {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: 'héllo ✓',
  });
  assert.equal(res.headers['x-was-base64'], 'false');
  assert.equal(res.text, 'héllo ✓');
});

test('a bare object result becomes a JSON 200', async () => {
  const res = await worker.invoke('bare', { url: 'http://acme.localhost:8080/fn/bare/x' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.deepEqual(res.json(), { ok: true, path: '/fn/bare/x', n: [1, 2] });
});

test('a string result is sent as-is', async () => {
  const res = await worker.invoke('string');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'just a string');
});

test('undefined result answers an empty 200', async () => {
  const res = await worker.invoke('undefined');
  assert.equal(res.status, 200);
  assert.equal(res.text, '');
});

test('statusCode, headers, multiValueHeaders and cookies are honoured', async () => {
  const res = await worker.invoke('cookies');
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, '/next');
  assert.equal(res.headers['x-number'], '42');
  assert.equal(res.headers['x-multi'], 'one, two');
  assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; Secure; HttpOnly']);
  assert.equal(res.text, '');
});

test('getRemainingTimeInMillis is positive and decreasing', async () => {
  const res = await worker.invoke('remaining', { deadlineMs: 2000 });
  const { first, second } = res.json();
  assert.ok(first > 0 && first <= 2000, `first=${first}`);
  assert.ok(second > 0 && second <= first - 50, `first=${first} second=${second}`);
});

test('callback-style handler', async () => {
  const res = await worker.invoke('callback', { url: 'http://acme.localhost:8080/cb' });
  assert.equal(res.status, 202);
  assert.equal(res.text, 'via callback /cb');
});

test('callback error answers 500', async () => {
  const res = await worker.invoke('callback-error');
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.equal(res.json().message, 'callback failed');
});

test('legacy context.succeed', async () => {
  const res = await worker.invoke('succeed');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'legacy succeed');
});

test('a rejecting handler answers 500 and logs the stack', async () => {
  const res = await worker.invoke('throw', { rid: 'rid-lambda-throw' });
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.deepEqual(res.json(), { error: 'FunctionError', message: 'lambda exploded' });
  await worker.waitForLine((l) => l.rid === 'rid-lambda-throw' && l.line === 'TypeError: lambda exploded');
});

test('an invalid statusCode is a function error', async () => {
  const res = await worker.invoke('bad-status');
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.match(res.json().message, /invalid statusCode "teapot"/);
});
