// The partner's upload page: two ways to send a file straight to OSS.
//
// 1. STS + the official browser SDK ali-oss: GET /sts gives temporary credentials (AccessKeyId,
//    AccessKeySecret, SecurityToken, Expiration); ali-oss signs every request with V4 and calls
//    /sts again through refreshSTSToken before they expire.
// 2. A PostObject form: GET /post-policy?name=…&type=… gives a signed policy (key prefix, size
//    limit, content type, 10-minute expiry); the page posts the file with it, so no credential
//    of any kind is in the browser beyond that one form.
//
// Page URL options (for trying things out and for the automated test):
//   #token=…        the server's access token, when it requires one (kept out of the query so
//                   that it is not sent in Referer headers or logged by proxies)
//   ?refreshMs=N    ali-oss's refreshSTSTokenInterval (default 5 minutes)
//   ?partSize=N     multipart part size in bytes (default 1 MiB, at least 100 KiB)
'use strict';

(function () {
  const query = new URLSearchParams(location.search);
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const refreshMs = query.has('refreshMs') ? Number(query.get('refreshMs')) : 5 * 60 * 1000;
  const partSize = Math.max(100 * 1024, Number(query.get('partSize')) || 1024 * 1024);

  const $ = (id) => document.getElementById(id);
  let config = null;

  // ---- the server's API -------------------------------------------------------------------

  async function api(path) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(path, { headers, cache: 'no-store' });
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        const doc = JSON.parse(text);
        detail = doc.field ? `${doc.field}: ${doc.error}` : doc.error || text;
      } catch (_) { /* plain text */ }
      throw Object.assign(new Error(`${path.split('?')[0]} answered HTTP ${response.status}: ${detail}`), {
        code: `HTTP ${response.status}`,
      });
    }
    return JSON.parse(text);
  }

  // The credentials ali-oss wants, from /sts (the scenario's JSON answer).
  async function fetchCredentials() {
    const sts = await api('/sts');
    return {
      accessKeyId: sts.AccessKeyId,
      accessKeySecret: sts.AccessKeySecret,
      stsToken: sts.SecurityToken,
    };
  }

  // ---- way 1: STS + ali-oss ---------------------------------------------------------------

  function ossClient(credentials) {
    return new OSS({
      ...credentials,
      bucket: config.bucket,
      // ali-oss takes the region with the "oss-" prefix and signs V4 with the bare region id.
      region: `oss-${config.region}`,
      endpoint: config.endpoint,
      secure: config.endpoint.startsWith('https:'),
      // A local emulator on 127.0.0.1 is reached path-style (http://host:port/bucket/key): ali-oss
      // calls that sldEnable. Against Alibaba Cloud the bucket goes into the host name.
      sldEnable: config.pathStyle,
      authorizationV4: true,
      refreshSTSToken: fetchCredentials,
      refreshSTSTokenInterval: refreshMs,
    });
  }

  async function uploadWithSts(file, key, multipart, onProgress) {
    const client = ossClient(await fetchCredentials());
    if (multipart) {
      const result = await client.multipartUpload(key, file, {
        partSize,
        parallel: 3,
        mime: file.type || undefined,
        progress: (fraction) => onProgress(fraction),
      });
      return headersOf(result.res.headers, result.res.status);
    }
    onProgress(null);
    const result = await client.put(key, file, { mime: file.type || undefined });
    return headersOf(result.res.headers, result.res.status);
  }

  function headersOf(headers, status) {
    const get = (name) => headers[name] || headers[name.toLowerCase()] || '';
    return {
      status,
      etag: get('etag'),
      crc64: get('x-oss-hash-crc64ecma'),
      requestId: get('x-oss-request-id'),
    };
  }

  // ---- way 2: a PostObject form -----------------------------------------------------------

  async function uploadWithForm(file, key, onProgress) {
    // The server names the object src/<name>; a key typed by hand replaces the form's `key`
    // field, and OSS checks it against the policy's `starts-with` condition.
    const name = key.startsWith(config.prefix) && !key.slice(config.prefix.length).includes('/')
      ? key.slice(config.prefix.length)
      : file.name;
    const form = await api(`/post-policy?name=${encodeURIComponent(name)}&type=${encodeURIComponent(file.type)}`);
    const body = new FormData();
    for (const { name: field, value } of form.fields) {
      body.append(field, field === 'key' ? key : value);
    }
    body.append('file', file, file.name); // the file goes last, as OSS requires
    const xhr = new XMLHttpRequest();
    const done = new Promise((resolve, reject) => {
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onload = () => resolve();
      xhr.onerror = () => reject(new Error(`network error posting to ${form.url} (is the bucket's CORS rule allowing ${location.origin}?)`));
    });
    xhr.open('POST', form.url);
    xhr.send(body);
    await done;
    if (xhr.status < 200 || xhr.status > 299) {
      throw ossError(xhr.status, xhr.responseText);
    }
    return {
      status: xhr.status,
      etag: xhr.getResponseHeader('etag') || '',
      crc64: xhr.getResponseHeader('x-oss-hash-crc64ecma') || '',
      requestId: xhr.getResponseHeader('x-oss-request-id') || '',
    };
  }

  // OSS's XML error document as an Error with code, message and request id.
  function ossError(status, text) {
    const doc = new DOMParser().parseFromString(text || '<Error/>', 'application/xml');
    const field = (name) => doc.getElementsByTagName(name)[0]?.textContent || '';
    const code = field('Code') || `HTTP ${status}`;
    const e = new Error(field('Message') || `HTTP ${status}`);
    return Object.assign(e, { code, status, requestId: field('RequestId') });
  }

  // ---- CRC-64/XZ (what OSS reports in x-oss-hash-crc64ecma), in two 32-bit halves ----------

  const CRC_TABLE = (() => {
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    const polyLo = 0xd7870f42;
    const polyHi = 0xc96c5795;
    for (let i = 0; i < 256; i++) {
      let l = i;
      let h = 0;
      for (let bit = 0; bit < 8; bit++) {
        const carry = l & 1;
        l = ((l >>> 1) | (h << 31)) >>> 0;
        h = h >>> 1;
        if (carry) {
          l = (l ^ polyLo) >>> 0;
          h = (h ^ polyHi) >>> 0;
        }
      }
      lo[i] = l;
      hi[i] = h;
    }
    return { lo, hi };
  })();

  async function crc64(file) {
    let lo = 0xffffffff;
    let hi = 0xffffffff;
    const chunk = 4 * 1024 * 1024;
    for (let offset = 0; offset < file.size; offset += chunk) {
      const bytes = new Uint8Array(await file.slice(offset, offset + chunk).arrayBuffer());
      for (let i = 0; i < bytes.length; i++) {
        const index = (lo ^ bytes[i]) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ CRC_TABLE.lo[index]) >>> 0;
        hi = ((hi >>> 8) ^ CRC_TABLE.hi[index]) >>> 0;
      }
    }
    const value = (BigInt((~hi) >>> 0) << 32n) | BigInt((~lo) >>> 0);
    return value.toString();
  }

  // ---- the page ---------------------------------------------------------------------------

  const WAYS = {
    'sts-put': 'STS + ali-oss, simple upload',
    'sts-multipart': 'STS + ali-oss, multipart upload',
    'post-form': 'Signed form (PostObject)',
  };

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = n;
    let unit = -1;
    do {
      value /= 1024;
      unit += 1;
    } while (value >= 1024 && unit < units.length - 1);
    return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]} (${n.toLocaleString('en')} bytes)`;
  }

  function setProgress(fraction, text, state = 'running') {
    $('status-card').dataset.state = state;
    const bar = $('progress');
    if (fraction === null) {
      bar.removeAttribute('value'); // indeterminate: the SDK's simple put reports no progress
    } else {
      bar.value = Math.round(fraction * 100);
    }
    $('progress-text').textContent = text;
  }

  function showResult(result) {
    const card = $('result');
    card.hidden = false;
    card.dataset.state = result.ok ? 'done' : 'error';
    $('result-title').textContent = result.ok ? 'Uploaded' : 'Upload refused';
    $('r-way').textContent = WAYS[result.way];
    $('r-key').textContent = result.key;
    $('r-size').textContent = formatBytes(result.size);
    $('r-etag').textContent = result.etag || '—';
    $('r-crc-server').textContent = result.crc64 || '—';
    $('r-crc-local').textContent = result.localCrc64 || '—';
    const match = $('r-crc-match');
    if (result.ok) {
      match.textContent = result.crc64 === result.localCrc64 ? '✓ identical' : '✗ differs';
      match.className = result.crc64 === result.localCrc64 ? 'match' : 'mismatch';
    } else {
      match.textContent = '';
    }
    $('r-request-id').textContent = result.requestId || '—';
    $('r-speed').textContent = result.ok
      ? `${(result.size / 1048576 / Math.max(result.seconds, 0.001)).toFixed(1)} MiB/s (${result.seconds.toFixed(2)} s)`
      : '—';
    const error = $('r-error');
    error.hidden = result.ok;
    error.textContent = result.ok ? '' : `${result.code}: ${result.message}`;

    const item = document.createElement('li');
    item.className = result.ok ? 'ok' : 'failed';
    item.textContent = result.ok
      ? `${result.key} — ${formatBytes(result.size)}, ${WAYS[result.way]}`
      : `${result.key} — refused (${result.code}), ${WAYS[result.way]}`;
    $('history').prepend(item);
  }

  // Uploads `file` to `key` the chosen way; resolves to the result shown on the page (also kept
  // in window.lastResult). Never rejects: a refusal is a result too.
  async function upload(file, key, way) {
    $('upload').disabled = true;
    $('result').hidden = true;
    const started = performance.now();
    const onProgress = (fraction) => setProgress(
      fraction,
      fraction === null ? `Sending ${formatBytes(file.size)}…` : `${Math.round(fraction * 100)}% of ${formatBytes(file.size)}`,
    );
    setProgress(0, 'Starting…');
    const base = { way, key, size: file.size };
    let result;
    try {
      const [sent, localCrc64] = await Promise.all([
        way === 'post-form'
          ? uploadWithForm(file, key, onProgress)
          : uploadWithSts(file, key, way === 'sts-multipart', onProgress),
        crc64(file),
      ]);
      result = { ...base, ok: true, ...sent, localCrc64, seconds: (performance.now() - started) / 1000 };
      setProgress(1, `Done: ${formatBytes(file.size)} in ${result.seconds.toFixed(2)} s`, 'done');
    } catch (e) {
      result = {
        ...base,
        ok: false,
        code: e.code || e.name || 'Error',
        message: e.message || String(e),
        status: e.status,
        requestId: e.requestId || '',
      };
      const reached = $('progress').hasAttribute('value') ? $('progress').value / 100 : 0;
      setProgress(reached, `Failed: ${result.code} (${result.message})`, 'error');
    }
    window.lastResult = result;
    showResult(result);
    $('upload').disabled = false;
    return result;
  }

  async function start() {
    try {
      config = await api('/config');
    } catch (e) {
      setProgress(0, `Cannot load the configuration: ${e.message}`);
      return;
    }
    $('bucket').textContent = config.bucket;
    $('endpoint').textContent = `${config.endpoint} (${config.pathStyle ? 'path-style' : 'virtual-hosted'}, region ${config.region})`;
    $('prefix').textContent = config.prefix;
    $('max-bytes').textContent = formatBytes(config.maxBytes);
    if (config.tokenRequired && !token) {
      setProgress(0, 'This server requires its access token: open the page as …/#token=<token>.');
    } else if (typeof OSS === 'undefined') {
      setProgress(0, 'The ali-oss bundle did not load: run `npm ci` in examples/web. The signed-form way still works.');
    }
    $('file').addEventListener('change', () => {
      const file = $('file').files[0];
      if (file) {
        $('key').value = config.prefix + file.name;
        $('upload').disabled = false;
        setProgress(0, `Ready: ${file.name}, ${formatBytes(file.size)}`);
      }
    });
    $('upload-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const file = $('file').files[0];
      const way = document.querySelector('input[name="way"]:checked').value;
      if (file) upload(file, $('key').value.trim() || config.prefix + file.name, way);
    });
    document.body.dataset.ready = 'true';
  }

  window.uploadPage = { upload, crc64 };
  start();
})();
