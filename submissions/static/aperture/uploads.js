// The browser uploader of a submission's files page (the network side is upload-client.js,
// what is shown upload-view.js). It speaks Aperture's upload protocol (create -> sign and PUT
// each part -> complete with the whole file's SHA-256) and reports
// each file's real end state: Verified (the server confirmed the checksum), Failed with the
// server's reason, or Removed. Nothing is called done before the server says so.
//
// Reading and hashing happen in a Web Worker (build/vendor/uploader/hash-worker.js, hash-wasm
// bundled by frontend/build.mjs): parts are read in order, once, and the same bytes are
// hashed and sent. With S3 storage the part URLs are presigned S3 URLs; with folder storage
// they point at Aperture. A file whose upload was interrupted (a reload, a closed tab) is
// remembered here by name, size and date; added again, it resumes: the server lists the parts
// it holds and only the others are sent (they are read, to hash the whole file, not re-sent).
(function () {
  'use strict';
  const root = document.getElementById('uploader');
  if (!root || !window.Worker || !window.apertureUnits || !window.apertureUploadClient) return;
  const UploadView = window.apertureUploadView;
  const { Refused, Changed, makeApi, reserveMemory, releaseMemory, sleep } = window.apertureUploadClient;
  const formatBytes = window.apertureUnits.formatBytes;
  const submission = root.dataset.submission;
  const facility = root.dataset.facility;
  const api = makeApi(root.dataset.csrf);
  const FILES_AT_ONCE = 2;
  const PARTS_IN_FLIGHT = 3; // per file, and within the client's memory budget
  const MEMORY = 'aperture-uploads:' + submission;

  const view = new UploadView(root, { remove, retry, start: startAll, pause: togglePause });
  const items = [];
  let nextId = 1;
  let paused = false;
  let resumeWaiters = [];

  // --- the worker: read a part once, hash it into the file's SHA-256 ----------------------
  const worker = new Worker(root.dataset.worker);
  const jobs = new Map();
  let nextJob = 1;
  let workerProblem = '';
  worker.onmessage = (event) => {
    const reply = event.data;
    const job = jobs.get(reply.job);
    jobs.delete(reply.job);
    if (!job) return;
    if (reply.error) job.reject(new Refused(reply.error));
    else job.resolve(reply);
  };
  // The worker's script did not load or run: every file waiting on it fails, in words.
  worker.onerror = (event) => {
    event.preventDefault();
    workerProblem = "This browser could not start the uploader's SHA-256 worker, so nothing was sent. Reload the page, or use the command-line uploader.";
    for (const job of jobs.values()) job.reject(new Refused(workerProblem));
    jobs.clear();
  };
  function ask(message, transfer) {
    if (workerProblem) return Promise.reject(new Refused(workerProblem));
    return new Promise((resolve, reject) => {
      const job = nextJob++;
      jobs.set(job, { resolve, reject });
      worker.postMessage({ ...message, job }, transfer || []);
    });
  }

  // --- pause ---------------------------------------------------------------------------------
  function whilePaused() {
    if (!paused) return Promise.resolve();
    return new Promise((resolve) => resumeWaiters.push(resolve));
  }

  // --- memory across reloads -----------------------------------------------------------------
  function remembered() {
    try { return JSON.parse(localStorage.getItem(MEMORY) || '[]'); } catch (error) { return []; }
  }
  function remember(item) {
    const kept = remembered().filter((r) => r.id !== item.upload.id);
    kept.push({ id: item.upload.id, name: item.name, size: item.size, modified: item.modified });
    localStorage.setItem(MEMORY, JSON.stringify(kept));
  }
  function forget(uploadId) {
    const kept = remembered().filter((r) => r.id !== uploadId);
    if (kept.length) localStorage.setItem(MEMORY, JSON.stringify(kept));
    else localStorage.removeItem(MEMORY);
  }

  // --- one file from start to its end state -----------------------------------------------
  const nameOf = (file) => file.relativePath || file.webkitRelativePath || file.name;
  const sameFile = (item, file) => item.name === nameOf(file) && item.size === file.size && item.modified === (file.lastModified || 0);

  function set(item, state, reason) {
    item.state = state;
    item.reason = reason || '';
    view.update(item);
    if (state === 'verified') view.announce(item.name + ': verified. The server confirmed its SHA-256.');
    if (state === 'failed') view.announce(item.name + ': failed. ' + item.reason);
    if (state === 'removed') view.announce(item.name + ': removed.');
    if (['verified', 'failed', 'removed'].includes(state)) {
      view.refreshTable(); // and the staging meter with it (sent out of band)
      pump();
    }
    syncTableRemoves();
    progress();
  }

  // One Remove per file: while this list offers a file's Remove button, the table's own is
  // hidden, so a screen reader does not meet two "Remove <name>" buttons for one file.
  function syncTableRemoves() {
    const offered = new Set(items.filter((i) => i.upload && UploadView.offersRemove(i)).map((i) => String(i.upload.id)));
    document.querySelectorAll('#file-table tr[data-file]').forEach((row) => {
      const form = row.querySelector('form[data-table-remove]');
      if (form) form.hidden = offered.has(row.dataset.file);
    });
  }
  document.body.addEventListener('htmx:afterSettle', syncTableRemoves);

  function progress() {
    const counted = items.filter((i) => i.state !== 'removed' && i.file);
    const total = counted.reduce((sum, i) => sum + i.size, 0);
    // A failed file's parts were accepted, but its bytes are gone: they do not count.
    const accepted = counted.filter((i) => i.state !== 'failed').reduce((sum, i) => sum + Math.min(i.accepted, i.size), 0);
    const counts = { verified: 0, failed: 0, removed: 0 };
    for (const item of items) if (item.state in counts) counts[item.state] += 1;
    // The summary waits for inspection too: a file can pass its checksum and still be refused.
    const busy = items.some((i) => ['waiting', 'uploading', 'verifying'].includes(i.state) || (i.state === 'verified' && i.checking));
    const started = items.some((i) => i.state !== 'ready' && i.state !== 'interrupted');
    view.progress({ accepted, total, busy, paused, counts, ready: items.filter((i) => i.state === 'ready').length });
    if (started && !busy) {
      const parts = [counts.verified + ' verified'];
      if (counts.failed) parts.push(counts.failed + ' failed');
      if (counts.removed) parts.push(counts.removed + ' removed');
      const text = counts.failed
        ? parts.join(', ') + '. Retry or remove the failed ' + (counts.failed === 1 ? 'file' : 'files') + '.'
        : (counts.verified ? 'Upload complete: ' : '') + parts.join(', ') + '.';
      if (text !== view.summaryText) view.summary(text);
    }
  }

  async function create(item) {
    const body = {
      submission, name: item.name, size: item.size, checksum_algorithm: 'sha256',
      fingerprint: ['browser', item.name, item.size, item.modified].join('|'),
    };
    return api('POST', 'uploads/', body);
  }

  async function run(item) {
    item.attempt += 1;
    item.cancelled = false;
    item.abort = new AbortController();
    item.accepted = 0;
    const key = item.id + ':' + item.attempt;
    set(item, 'uploading');
    try {
      if (!item.upload) {
        item.upload = await create(item);
        view.refreshTable(); // its bytes are reserved now: the meter counts them
      }
      remember(item);
      const held = new Map(); // part number -> checksum, of parts the server already holds
      if (item.upload.resumed || item.resuming) {
        for (const part of await api('GET', 'uploads/' + item.upload.id + '/parts/')) held.set(part.number, part.checksum);
      }
      const { part_size: partSize, part_count: partCount } = item.upload;
      const inFlight = new Set();
      for (let number = 1; number <= partCount; number += 1) {
        await whilePaused();
        if (item.cancelled) return;
        while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
        const start = (number - 1) * partSize;
        const end = Math.min(item.size, start + partSize);
        await reserveMemory(end - start);
        let read;
        try {
          read = await ask({ type: 'part', key, file: item.file, number, start, end });
        } catch (error) {
          releaseMemory(end - start);
          throw error;
        }
        if (held.has(number)) {
          releaseMemory(end - start);
          if (held.get(number) !== read.checksum) throw new Changed('This file changed since its upload began (part ' + number + ' differs from the one the server holds). Retry to send it again from the start.');
          item.accepted += end - start;
          progress();
          continue;
        }
        const sent = window.apertureUploadClient.sendPart({ api, whilePaused }, item, number, read.checksum, read.bytes).finally(() => releaseMemory(end - start)).then(() => {
          inFlight.delete(sent);
          item.accepted += end - start;
          progress();
          view.update(item);
        });
        sent.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
        inFlight.add(sent);
      }
      await Promise.all(inFlight);
      if (item.cancelled) return;
      const { sha256 } = await ask({ type: 'digest', key });
      item.sha256 = sha256;
      set(item, 'verifying');
      const upload = await api('POST', 'uploads/' + item.upload.id + '/complete/', { sha256 });
      item.completed = true;
      forget(item.upload.id);
      // The bytes are there: the server's checks are followed without holding a slot.
      follow(item, upload);
    } catch (error) {
      worker.postMessage({ type: 'forget', key });
      item.abort.abort(); // parts still on their way stop
      if (item.cancelled) return;
      if (error instanceof Refused && item.upload) forget(item.upload.id);
      item.lostConnection = !(error instanceof Refused);
      item.startAfresh = error instanceof Changed;
      set(item, 'failed', error.message);
    }
  }

  // After completion the server verifies (SHA-256 and size), then inspects the content.
  // Verified is shown once the checksum is confirmed; a later inspection failure still shows.
  // Verification may wait in the queue and a large file takes a while to hash, so the page
  // asks every few seconds; it keeps asking after Verified until inspection has its say.
  async function follow(item, upload) {
    try {
      for (let delay = 500; ; delay = Math.min(delay * 1.5, 5000)) {
        item.serverStatus = upload.status;
        if (upload.status === 'failed' || upload.status === 'aborted') {
          set(item, 'failed', upload.failure_message || 'The server could not verify this file. Upload it again.');
          return;
        }
        item.checking = upload.status !== 'inspected'; // inspection has not had its say yet
        if ((upload.status === 'verified' || upload.status === 'inspected') && item.state !== 'verified') {
          item.accepted = item.size;
          set(item, 'verified');
        }
        if (upload.status === 'inspected') {
          view.update(item);
          progress();
          return;
        }
        if (item.state === 'removed') return;
        await sleep(delay);
        upload = await api('GET', 'uploads/' + item.upload.id + '/');
      }
    } catch (error) {
      if (item.state === 'verified') { // its checksum was confirmed; the table follows the rest
        item.checking = false;
        progress();
        return;
      }
      item.lostConnection = !(error instanceof Refused);
      set(item, 'failed', error.message);
    }
  }

  let running = 0;
  function pump() {
    while (running < FILES_AT_ONCE) {
      const item = items.find((i) => i.state === 'waiting');
      if (!item) return;
      running += 1;
      run(item).finally(() => { running -= 1; pump(); });
    }
  }

  // --- what the researcher does ---------------------------------------------------------------
  function add(files) {
    let added = 0;
    for (const file of files) {
      const known = items.find((i) => i.state !== 'removed' && sameFile(i, file));
      if (known && known.file) continue; // already in the list
      if (known) { // an interrupted upload: this is its file again
        known.file = file;
        set(known, 'ready');
        added += 1;
        continue;
      }
      const item = { id: nextId++, file, name: nameOf(file), size: file.size, modified: file.lastModified || 0, state: 'ready', reason: '', accepted: 0, attempt: 0, upload: null };
      items.push(item);
      view.add(item);
      added += 1;
    }
    if (added) view.announce(added + (added === 1 ? ' file' : ' files') + ' added, ' + formatBytes(items.filter((i) => i.state === 'ready').reduce((s, i) => s + i.size, 0)) + ' ready to upload.');
    progress();
  }

  async function startAll() {
    const ready = items.filter((i) => i.state === 'ready');
    if (!ready.length) return;
    // Would they fit? Files that already hold a reservation (resumed) are not counted again.
    const fresh = ready.filter((i) => !i.upload);
    if (fresh.length) {
      try {
        await api('POST', 'quota/check/', { facility, files: fresh.map((i) => ({ name: i.name, size: i.size })) });
      } catch (error) {
        if (error.status !== 404) {
          view.summary('Nothing was sent. ' + error.message);
          return;
        }
      }
    }
    for (const item of ready) set(item, 'waiting');
    pump();
  }

  function togglePause() {
    paused = !paused;
    if (!paused) {
      const waiters = resumeWaiters;
      resumeWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
    view.announce(paused ? 'Paused: parts already on their way finish, no new part starts.' : 'Resumed.');
    progress();
  }

  async function retry(item) {
    if (item.state !== 'failed') return;
    item.lostConnection = false;
    if (item.completed && !['failed', 'aborted'].includes(item.serverStatus)) {
      // Completed, then the connection went while waiting for the checks: ask again.
      set(item, 'verifying');
      follow(item, { status: item.serverStatus || 'uploaded' });
      return;
    }
    // A file the server refused after completion, or whose local copy changed, is removed
    // (aborted) first and sent again from the start; an open upload otherwise resumes.
    if (item.upload && (item.startAfresh || ['failed', 'aborted'].includes(item.serverStatus))) {
      try { await api('DELETE', 'uploads/' + item.upload.id + '/'); } catch (error) { /* already gone */ }
      item.upload = null;
      item.completed = false;
      item.startAfresh = false;
    }
    item.resuming = Boolean(item.upload);
    item.serverStatus = '';
    set(item, 'waiting');
    pump();
  }

  async function remove(item) {
    if (['verifying', 'verified', 'removed'].includes(item.state)) return;
    item.cancelled = true;
    if (item.abort) item.abort.abort();
    if (item.upload) {
      try { await api('DELETE', 'uploads/' + item.upload.id + '/'); } catch (error) {
        if (error.status !== 404) { view.announce(item.name + ' could not be removed: ' + error.message); return; }
      }
      forget(item.upload.id);
    }
    set(item, 'removed');
  }

  // Uploads interrupted by a reload: shown until their file is added again (or removed).
  async function restore() {
    const entries = remembered().sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      let upload;
      try { upload = await api('GET', 'uploads/' + entry.id + '/'); } catch (error) { forget(entry.id); continue; }
      if (upload.status !== 'uploading') { forget(entry.id); continue; }
      let held = [];
      try { held = await api('GET', 'uploads/' + entry.id + '/parts/'); } catch (error) { /* shown as 0 */ }
      const accepted = held.reduce((sum, part) => sum + part.size, 0);
      const item = { id: nextId++, file: null, name: entry.name, size: entry.size, modified: entry.modified, state: 'interrupted', reason: '', accepted, attempt: 0, upload: { ...upload, resumed: true } };
      items.push(item);
      view.add(item);
    }
    const waiting = items.filter((i) => i.state === 'interrupted').map((i) => i.name);
    if (waiting.length) view.announce('Add ' + waiting.join(', ') + ' again to resume: the page was closed or reloaded during the upload.');
    progress();
  }

  view.onFiles(add);
  // Files that failed because the connection was lost start again when it is back.
  window.addEventListener('online', () => items.filter((i) => i.state === 'failed' && i.lostConnection).forEach(retry));
  window.addEventListener('beforeunload', (event) => {
    if (items.some((i) => ['waiting', 'uploading'].includes(i.state))) event.preventDefault();
  });
  restore();
  root.dataset.ready = 'true';
  window.apertureUploader = { items }; // for the browser tests and the curious
})();
