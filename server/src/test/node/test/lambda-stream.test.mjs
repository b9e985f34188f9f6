import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fnSpec, startWorker } from '../support/harness.mjs';

// Handlers written for Lambda response streaming, as AWS documents them.
const TICKS_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType('text/plain');
  responseStream.write('first ' + context.awsRequestId + '\\n');
  await new Promise((r) => setTimeout(r, 300));
  responseStream.write('last\\n');
  responseStream.end();
});`;

const DEFAULT_TYPE_ESM = `
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write(Buffer.from([0, 1, 2, 255]));
  stream.write({ path: event.rawPath });
  stream.end();
});`;

const PRELUDE_ESM = `
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-order': '42' },
    cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
  });
  stream.write('{"created":');
  stream.end('true}');
});`;

// The prelude written by hand, in pieces, as some libraries do.
const MANUAL_PRELUDE_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.setContentType('application/vnd.awslambda.http-integration-response');
  const prelude = JSON.stringify({ statusCode: 418, headers: { 'content-type': 'text/plain' } });
  stream.write(prelude.slice(0, 10));
  stream.write(prelude.slice(10));
  stream.write(new Uint8Array(4));
  stream.write(Buffer.concat([new Uint8Array(4), Buffer.from('short ')]));
  stream.end('and stout');
});`;

const PIPELINE_CJS = `
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  await pipeline(Readable.from(['a', 'b', 'c'].map((s) => s.repeat(20000))), responseStream);
});`;

const NO_CONTENT_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  awslambda.HttpResponseStream.from(responseStream, { statusCode: 204, headers: { 'x-empty': 'yes' } }).end();
});`;

const ENDS_LATER_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  setTimeout(() => responseStream.end('ended after the handler returned'), 50);
  return 'ignored';
});`;

const THROWS_FIRST_CJS = `
exports.handler = awslambda.streamifyResponse(async () => { throw new RangeError('nothing to stream'); });`;

const THROWS_MIDWAY_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial ');
  await new Promise((r) => setTimeout(r, 20));
  throw new Error('broke halfway');
});`;

// Ends its answer, then keeps working and fails: the call lasts until the handler is done, and its error is logged.
const FAILS_AFTER_END_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.end('answered');
  await new Promise((r) => setTimeout(r, 200));
  console.log('still in the call');
  throw new Error('failed after the end');
});`;

const NOT_ASYNC_CJS = `
exports.handler = awslambda.streamifyResponse((event, responseStream) => { setTimeout(() => responseStream.end('late'), 10); });`;

const BAD_PRELUDE_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('application/vnd.awslambda.http-integration-response');
  responseStream.write('{not json');
  responseStream.write(new Uint8Array(8));
  responseStream.end('body');
});`;

const LATE_TYPE_CJS = `
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('x');
  try {
    responseStream.setContentType('text/html');
  } catch (err) {
    responseStream.end(' ' + err.message);
  }
});`;

// A buffered handler that looks at a streaming one: Lambda's mark is on it.
const MARKED_CJS = `
const streaming = awslambda.streamifyResponse(async () => {});
exports.handler = async () => ({ mark: streaming[Symbol.for('aws.lambda.runtime.handler.streaming')] });`;

let worker;

before(async () => {
  worker = await startWorker();
  const res = await worker.specialise([
    fnSpec('ticks', { 'index.js': TICKS_CJS }),
    fnSpec('default-type', { 'index.mjs': DEFAULT_TYPE_ESM }),
    fnSpec('prelude', { 'index.mjs': PRELUDE_ESM }),
    fnSpec('manual-prelude', { 'index.js': MANUAL_PRELUDE_CJS }),
    fnSpec('pipeline', { 'index.js': PIPELINE_CJS }),
    fnSpec('no-content', { 'index.js': NO_CONTENT_CJS }),
    fnSpec('ends-later', { 'index.js': ENDS_LATER_CJS }),
    fnSpec('throws-first', { 'index.js': THROWS_FIRST_CJS }),
    fnSpec('throws-midway', { 'index.js': THROWS_MIDWAY_CJS }),
    fnSpec('not-async', { 'index.js': NOT_ASYNC_CJS }),
    fnSpec('fails-after-end', { 'index.js': FAILS_AFTER_END_CJS }),
    fnSpec('bad-prelude', { 'index.js': BAD_PRELUDE_CJS }),
    fnSpec('late-type', { 'index.js': LATE_TYPE_CJS }),
    fnSpec('marked', { 'index.js': MARKED_CJS }),
  ]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json().errors ?? [], []);
  for (const fn of res.json().loaded) assert.equal(fn.contract, 'lambda', fn.name);
});

after(() => worker.stop());

test('each write reaches the caller as it is made', async () => {
  const started = performance.now();
  const arrivals = [];
  const res = await worker.invoke('ticks', {
    rid: 'rid-ticks',
    onChunk: (chunk, at) => arrivals.push({ text: chunk.toString(), at: at - started }),
  });
  const finished = performance.now() - started;
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.equal(res.text, 'first rid-ticks\nlast\n');
  assert.equal(arrivals[0].text, 'first rid-ticks\n');
  assert.ok(arrivals[0].at < 250, `first chunk after ${arrivals[0].at} ms`);
  assert.ok(finished >= 290, `finished after ${finished} ms`);
});

test('without a content type the answer is application/octet-stream; objects are written as JSON', async () => {
  const res = await worker.invoke('default-type', { url: 'http://acme.localhost:8080/fn/default-type/x' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.deepEqual([...res.body.subarray(0, 4)], [0, 1, 2, 255]);
  assert.deepEqual(JSON.parse(res.body.subarray(4).toString()), { path: '/fn/default-type/x' });
});

test('HttpResponseStream.from sets the status, headers and cookies', async () => {
  const res = await worker.invoke('prelude');
  assert.equal(res.status, 201);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers['x-order'], '42');
  assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
  assert.deepEqual(res.json(), { created: true });
});

test('a prelude written by hand, split across writes, is read up to its 8 zero bytes', async () => {
  const res = await worker.invoke('manual-prelude');
  assert.equal(res.status, 418);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.text, 'short and stout');
});

test('stream.pipeline into the response stream, with back-pressure', async () => {
  const res = await worker.invoke('pipeline');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'a'.repeat(20000) + 'b'.repeat(20000) + 'c'.repeat(20000));
});

test('a prelude with nothing after it is still sent', async () => {
  const res = await worker.invoke('no-content');
  assert.equal(res.status, 204);
  assert.equal(res.headers['x-empty'], 'yes');
  assert.equal(res.text, '');
});

test('the call lasts until the stream ends, even after the handler returned; a return value is ignored with a warning', async () => {
  const res = await worker.invoke('ends-later', { rid: 'rid-ends-later' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'ended after the handler returned');
  await worker.waitForLine((l) => l.rid === 'rid-ends-later' && l.line === 'Streaming handlers ignore return values.');
});

test('a handler that throws before writing answers 500 and logs the error', async () => {
  const res = await worker.invoke('throws-first', { rid: 'rid-throws-first' });
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.deepEqual(res.json(), { error: 'FunctionError', message: 'nothing to stream' });
  await worker.waitForLine((l) => l.rid === 'rid-throws-first' && l.line === 'RangeError: nothing to stream');
});

test('a handler that throws after writing cuts the answer short, and the worker serves the next call', async () => {
  await assert.rejects(worker.invoke('throws-midway', { rid: 'rid-midway' }), /aborted|ECONNRESET|socket hang up/);
  await worker.waitForLine((l) => l.rid === 'rid-midway' && l.line === 'Error: broke halfway');
  const next = await worker.invoke('prelude');
  assert.equal(next.status, 201);
});

test('after the stream ends the call lasts until the handler is done; a later error is logged with the call', async () => {
  const res = await worker.invoke('fails-after-end', { rid: 'rid-after-end' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'answered');
  await worker.waitForLine((l) => l.rid === 'rid-after-end' && l.line === 'still in the call');
  await worker.waitForLine((l) => l.rid === 'rid-after-end' && l.line === 'Error: failed after the end');
});

test('a streaming handler that is not async is a function error', async () => {
  const res = await worker.invoke('not-async');
  assert.equal(res.status, 500);
  assert.match(res.json().message, /must be async/);
});

test('a prelude that is not JSON is a function error', async () => {
  const res = await worker.invoke('bad-prelude');
  assert.equal(res.status, 500);
  assert.match(res.json().message, /prelude is not JSON/);
});

test('the content type cannot change once the answer started', async () => {
  const res = await worker.invoke('late-type');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(res.text, 'x Cannot set content-type, too late.');
});

test('streamifyResponse marks the handler as Lambda does', async () => {
  const res = await worker.invoke('marked');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { mark: 'response' });
});
