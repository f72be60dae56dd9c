// The network side of the browser uploader (uploads.js): Aperture's API with its
// {code, message, fields} answers, and each part's PUT to where the server signed it to go.
// A lost connection is waited out and retried; a refusal is final and keeps the server's words.
// Loaded before uploads.js: window.apertureUploadClient.
(function () {
  'use strict';
  const RETRY_DELAYS = [1000, 3000, 5000, 10000, 20000, 30000];
  // Bytes read and not yet accepted are held in memory: at most this much over all files
  // (one part at a time when a part alone is larger, as for files of terabytes).
  const MEMORY_BUDGET = 384 * 1024 * 1024;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  function waitOnline() {
    if (navigator.onLine !== false) return Promise.resolve();
    return new Promise((resolve) => window.addEventListener('online', resolve, { once: true }));
  }
  let inMemory = 0;
  let memoryWaiters = [];
  async function reserveMemory(bytes) {
    while (inMemory > 0 && inMemory + bytes > MEMORY_BUDGET) {
      await new Promise((resolve) => memoryWaiters.push(resolve));
    }
    inMemory += bytes;
  }
  function releaseMemory(bytes) {
    inMemory -= bytes;
    const waiters = memoryWaiters;
    memoryWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  class Refused extends Error {} // the server said no: retrying the same request will not help
  class Changed extends Refused {} // the local file is not the one the upload began with

  // The human reason from {code, message, fields}: the message, then what each field says.
  function reasonOf(data, status) {
    const message = (data && data.message) || 'The server answered ' + status + '.';
    const fields = data && data.fields ? Object.values(data.fields).flat().filter(Boolean) : [];
    const extra = fields.filter((text) => !message.includes(text));
    return [message, ...extra].join(' ');
  }

  // One API caller per page, with its CSRF token.
  function makeApi(csrf) {
    return async function api(method, path, body) {
      for (let attempt = 0; ; attempt += 1) {
        await waitOnline();
        let response;
        try {
          response = await fetch('/api/v1/' + path, {
            method,
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
        } catch (error) { // the network, not the server
          if (attempt >= RETRY_DELAYS.length) throw new Error('The connection to Aperture was lost. Retry when you are back online.');
          await sleep(RETRY_DELAYS[attempt]);
          continue;
        }
        if (response.status >= 502 && response.status <= 504 && attempt < RETRY_DELAYS.length) {
          await sleep(RETRY_DELAYS[attempt]);
          continue;
        }
        if (response.status === 204) return null;
        const data = await response.json().catch(() => ({}));
        if (!response.ok) {
          const error = new Refused(reasonOf(data, response.status));
          error.status = response.status;
          error.code = data.code;
          throw error;
        }
        return data;
      }
    };
  }

  // PUT one part's bytes where the server signed them to go. Network losses and expired URLs
  // are retried (a new URL each time); a refusal is final and carries the storage's reason.
  async function sendPart({ api, whilePaused }, item, number, checksum, bytes) {
    let garbled = 0; // times the storage found other bytes than the checksum promised
    for (let attempt = 0; ; attempt += 1) {
      await whilePaused();
      await waitOnline();
      if (item.abort.signal.aborted) throw new Refused('Stopped.');
      const target = await api('POST', 'uploads/' + item.upload.id + '/parts/' + number + '/', { checksum });
      let response;
      try {
        response = await fetch(target.url, { method: target.method || 'PUT', headers: target.headers, body: bytes, signal: item.abort.signal });
      } catch (error) {
        if (item.abort.signal.aborted) throw new Refused('Stopped.');
        if (attempt >= RETRY_DELAYS.length) throw new Error('The connection was lost while sending part ' + number + '. Retry when you are back online.');
        await sleep(RETRY_DELAYS[attempt]);
        continue;
      }
      if (response.ok) return;
      const text = await response.text();
      const expired = response.status === 403 && text.includes('Request has expired');
      if ((expired || response.status >= 500) && attempt < RETRY_DELAYS.length) {
        if (!expired) await sleep(RETRY_DELAYS[attempt]);
        continue;
      }
      let data = {};
      try { data = JSON.parse(text); } catch (error) {
        const s3 = /<Code>([^<]*)<\/Code>[\s\S]*?<Message>([^<]*)<\/Message>/.exec(text); // S3 answers in XML
        if (s3) data = { code: s3[1], message: s3[2] };
      }
      if (data.code === 'bad_digest' || data.code === 'BadDigest') {
        garbled += 1;
        if (garbled < 3) continue; // damaged on the way: the same bytes again
        throw new Refused('Part ' + number + ' did not match its checksum when it arrived, ' + garbled + ' times in a row: something between this browser and the server changes the bytes. Retry later, or use the command-line uploader.');
      }
      const reason = reasonOf(data, response.status);
      throw new Refused(/^Part \d/.test(reason) ? reason : 'Part ' + number + ': ' + reason);
    }
  }

  window.apertureUploadClient = {
    Refused, Changed, makeApi, sendPart, reserveMemory, releaseMemory, sleep,
  };
})();
