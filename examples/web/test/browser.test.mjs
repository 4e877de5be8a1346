// The upload page in a real headless browser (Debian's chromium driven by playwright-core):
// starts `sts_server --emulator`, uploads generated files through each way the page offers,
// checks that the stored objects are byte-identical (bytes and CRC-64 as the emulator reports
// them), that an over-size file and keys outside the partner's prefix are refused, and saves a
// screenshot of the page after every upload.
//
// Run it with `bash examples/web/run-browser-test.sh` (builds the server, installs what is
// missing). Environment: STS_SERVER_BIN (default target/debug/examples/sts_server),
// CHROMIUM_PATH (default /usr/bin/chromium), CI_ARTIFACTS_DIR (default target/ci-artifacts/browser).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const serverBin = process.env.STS_SERVER_BIN || path.join(repo, 'target/debug/examples/sts_server');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const artifacts = process.env.CI_ARTIFACTS_DIR || path.join(repo, 'target/ci-artifacts/browser');
const MAX_BYTES = 2 * 1024 * 1024;
const PART_SIZE = 256 * 1024;

// ---- CRC-64/XZ, bit by bit with BigInt (independent of the page's table-driven code) --------

const POLY = 0xc96c5795d7870f42n;
const MASK = 0xffffffffffffffffn;
function crc64(bytes) {
  let crc = MASK;
  for (const b of bytes) {
    crc ^= BigInt(b);
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
    }
  }
  return (crc ^ MASK).toString();
}

// Deterministic bytes that do not compress or repeat at part boundaries (xorshift32).
function generate(size, seed) {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---- the server and the browser ------------------------------------------------------------

let server;
let serverOutput = '';
let pageUrl;
let emulator;
let browser;
let page;
const stsRequests = [];

function waitForReady(child) {
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      serverOutput += chunk;
      const line = serverOutput.split('\n').find((l) => l.startsWith('STS_SERVER_READY '));
      if (line) {
        child.stdout.off('data', onData);
        child.stdout.on('data', (c) => { serverOutput += c; });
        resolve(JSON.parse(line.slice('STS_SERVER_READY '.length)));
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { serverOutput += c; });
    child.on('exit', (code) => reject(new Error(`sts_server exited (${code}) before it was ready:\n${serverOutput}`)));
  });
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const env = { ...process.env, UPLOAD_MAX_BYTES: String(MAX_BYTES) };
  delete env.STS_SERVER_TOKEN;
  delete env.STS_SERVER_ADDR;
  server = spawn(serverBin, ['--emulator', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await waitForReady(server);
  emulator = ready.emulator;
  // refreshMs=0: ali-oss calls refreshSTSToken (our /sts) before every request, so the test
  // sees the wiring work without waiting for credentials to age.
  pageUrl = `${ready.page}?refreshMs=0&partSize=${PART_SIZE}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // Root in a container: chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 900, height: 1400 } });
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/sts') stsRequests.push(r.url()); });
  page.on('pageerror', (e) => { serverOutput += `\n[page error] ${e.message}`; });
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    await exited;
  }
});

// Picks `bytes` as the file named `name`, sets the key and the way, clicks Upload and returns
// the result the page shows; saves a screenshot as <shot>.png.
async function uploadThroughPage({ name, bytes, key, way, shot, type = 'application/octet-stream' }) {
  await page.evaluate(() => { window.lastResult = null; });
  await page.setInputFiles('#file', { name, mimeType: type, buffer: bytes });
  await page.fill('#key', key);
  await page.check(`input[name="way"][value="${way}"]`);
  await page.click('#upload');
  await page.waitForFunction(() => window.lastResult !== null, null, { timeout: 60_000 });
  const result = await page.evaluate(() => window.lastResult);
  await page.screenshot({ path: path.join(artifacts, `${shot}.png`), fullPage: true });
  return result;
}

// The object as the emulator stores it (read by the server with the demo admin's key).
async function stored(key) {
  const response = await fetch(new URL(`/emulator/object?key=${encodeURIComponent(key)}`, pageUrl));
  if (response.status === 404) return null;
  assert.equal(response.status, 200, await response.clone().text());
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    crc64: response.headers.get('x-oss-hash-crc64ecma'),
    etag: response.headers.get('etag'),
  };
}

async function assertUploaded(result, bytes, key) {
  assert.equal(result.ok, true, `upload failed: ${result.code}: ${result.message}\n${serverOutput}`);
  const expected = crc64(bytes);
  const object = await stored(key);
  assert.ok(object, `${key} is not in the bucket`);
  assert.ok(object.bytes.equals(bytes), `${key}: the stored bytes differ from the file`);
  assert.equal(object.crc64, expected, 'CRC-64 stored by the emulator');
  assert.equal(result.crc64, expected, 'CRC-64 the page got from OSS');
  assert.equal(result.localCrc64, expected, 'CRC-64 the page computed');
  assert.equal(result.etag, object.etag, 'ETag the page shows');
  assert.equal(result.size, bytes.length);
  assert.ok(result.requestId, 'the page could read x-oss-request-id (exposed by CORS)');
  const shown = await page.textContent('#r-crc-match');
  assert.match(shown, /identical/);
}

test('the CRC-64 used by this test is CRC-64/XZ', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0x995dc9bbdf1939fan.toString());
});

test('the page shows the destination it got from /config', async () => {
  assert.equal(await page.textContent('#bucket'), 'examplebucket');
  assert.equal(await page.textContent('#prefix'), 'src/');
  assert.match(await page.textContent('#endpoint'), /^http:\/\/127\.0\.0\.1:\d+ \(path-style, region cn-hangzhou\)$/);
});

test('STS + ali-oss simple put stores the file byte-identical', async () => {
  const bytes = generate(300 * 1024 + 17, 1);
  const key = 'src/browser-put.bin';
  const result = await uploadThroughPage({ name: 'browser-put.bin', bytes, key, way: 'sts-put', shot: '1-sts-put' });
  await assertUploaded(result, bytes, key);
  assert.equal(await page.getAttribute('#progress', 'value'), '100');
});

test('STS + ali-oss multipart upload stores the file byte-identical, refreshing via /sts', async () => {
  const bytes = generate(MAX_BYTES - 1000, 2);
  const key = 'src/browser-multipart.bin';
  const before = stsRequests.length;
  // The emulator holds each part for a moment, so that the page can be seen mid-upload.
  const fault = await fetch(new URL('/_emulator/faults', emulator), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'delay', millis: 700, operation: 'UploadPart', count: Math.ceil(bytes.length / PART_SIZE) }),
  });
  assert.equal(fault.status, 200, await fault.text());
  const midway = page.waitForFunction(() => {
    const bar = document.getElementById('progress');
    return bar.value > 0 && bar.value < 100;
  }, null, { timeout: 60_000 }).then(() => page.screenshot({ path: path.join(artifacts, '2-sts-multipart-in-progress.png'), fullPage: true }));
  const result = await uploadThroughPage({ name: 'browser-multipart.bin', bytes, key, way: 'sts-multipart', shot: '2-sts-multipart' });
  await midway;
  await assertUploaded(result, bytes, key);
  assert.equal(await page.getAttribute('#progress', 'value'), '100');
  const done = await page.textContent('#progress-text');
  assert.ok(done.startsWith('Done: ') && done.includes(`(${bytes.length.toLocaleString('en')} bytes)`), done);
  // One /sts for the client, then one refreshSTSToken per request: initiate, 8 parts, complete.
  const parts = Math.ceil(bytes.length / PART_SIZE);
  assert.ok(stsRequests.length - before >= parts + 2, `only ${stsRequests.length - before} /sts calls for ${parts} parts`);
});

test('a PostObject form from /post-policy stores the file byte-identical', async () => {
  const bytes = generate(1024 * 1024 + 3, 3);
  const key = 'src/browser-form.bin';
  const result = await uploadThroughPage({ name: 'browser-form.bin', bytes, key, way: 'post-form', shot: '3-post-form' });
  await assertUploaded(result, bytes, key);
  assert.equal(result.status, 200, 'the form asks for success_action_status 200');
  assert.equal(await page.getAttribute('#progress', 'value'), '100');
});

test('a file over the form size limit is refused by OSS and not stored', async () => {
  const bytes = generate(MAX_BYTES + 1, 4);
  const key = 'src/browser-too-large.bin';
  const result = await uploadThroughPage({ name: 'browser-too-large.bin', bytes, key, way: 'post-form', shot: '4-post-form-too-large' });
  assert.equal(result.ok, false);
  assert.equal(result.code, 'EntityTooLarge');
  assert.equal(result.status, 400);
  assert.equal(await stored(key), null);
  assert.match(await page.textContent('#r-error'), /^EntityTooLarge: /);
});

test('a key outside the prefix is refused with STS credentials', async () => {
  const bytes = generate(1000, 5);
  const key = 'outside/browser-sts.bin';
  const result = await uploadThroughPage({ name: 'browser-sts.bin', bytes, key, way: 'sts-put', shot: '5-sts-outside-prefix' });
  assert.equal(result.ok, false);
  assert.equal(result.code, 'AccessDenied');
  assert.equal(result.status, 403);
  assert.equal(await stored(key), null);
});

test('a key outside the prefix is refused with a PostObject form', async () => {
  const bytes = generate(1000, 6);
  const key = 'outside/browser-form.bin';
  const result = await uploadThroughPage({ name: 'browser-form.bin', bytes, key, way: 'post-form', shot: '6-post-form-outside-prefix' });
  assert.equal(result.ok, false);
  assert.equal(result.code, 'AccessDenied');
  assert.equal(result.status, 403);
  assert.equal(await stored(key), null);
});

test('/post-policy refuses a name that would leave the prefix', async () => {
  const response = await page.evaluate(async () => {
    const r = await fetch('/post-policy?name=..%2Fescape.bin');
    return { status: r.status, body: await r.json() };
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.field, 'name');
});
