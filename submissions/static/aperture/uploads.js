// The browser uploader: Uppy's Dashboard and its S3 multipart plugin, whose hooks call
// Aperture's upload API. With S3 storage the part URLs are presigned S3 URLs; with folder
// storage they point at Aperture. The chunking, retries, pause and resume are Uppy's.
// Golden Retriever (in the Uppy bundle) remembers the file list across a reload; files too
// big for the browser to keep come back as "ghosts" the researcher re-selects, and the
// server's list of received parts decides what is still to send.
(function () {
  'use strict';
  const root = document.getElementById('uploader');
  if (!root || !window.Uppy) return;
  const { Uppy, Dashboard, AwsS3, GoldenRetriever } = window.Uppy;
  const MiB = 1024 * 1024;
  const submission = root.dataset.submission;
  const facility = root.dataset.facility;
  const csrf = root.dataset.csrf;
  const status = document.getElementById('upload-status');
  // Uppy asks for the part size with only the Blob in hand; the server chose it per upload.
  const partSizes = new WeakMap();

  function waitOnline() {
    if (navigator.onLine !== false) return Promise.resolve();
    return new Promise((resolve) => window.addEventListener('online', resolve, { once: true }));
  }

  async function api(method, path, body) {
    await waitOnline();
    const response = await fetch('/api/v1/' + path, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || 'The server answered ' + response.status + '.');
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  async function sha256base64(blob) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    let text = '';
    for (const byte of digest) text += String.fromCharCode(byte);
    return btoa(text);
  }

  const nameOf = (file) => file.meta.relativePath || file.name;
  const fingerprintOf = (file) => ['browser', nameOf(file), file.size, file.data.lastModified || 0].join('|');

  // One id per submission: Golden Retriever keys what it remembers by it, so files left
  // on one submission's page never reappear on another's.
  const uppy = new Uppy({ id: 'aperture-' + submission, autoProceed: false, meta: {} });
  uppy.use(Dashboard, {
    inline: true,
    target: '#uppy-dashboard',
    height: 380,
    width: '100%',
    showProgressDetails: true,
    fileManagerSelectionType: 'both',
    proudlyDisplayPoweredByUppy: false,
    note: 'Any file type and size. Every part is checksummed (SHA-256).',
    doneButtonHandler: null,
    locale: {
      strings: {
        recoveredXFiles: {
          0: 'The page was reloaded during an upload. Add the same file again (“Re-select”) to resume it: parts that already arrived are not sent again.',
          1: 'The page was reloaded during an upload. Add the same %{smart_count} files again (“Re-select”) to resume them: parts that already arrived are not sent again.',
        },
        recoveredAllFiles: 'The page was reloaded during an upload; your files are back. Resume to send the parts that have not arrived yet.',
      },
    },
  });
  uppy.use(AwsS3, {
    shouldUseMultipart: true,
    limit: 4,
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
    getChunkSize: (blob) => partSizes.get(blob) || 32 * MiB,
    async createMultipartUpload(file) {
      const upload = await startUpload(file);
      return { uploadId: upload.id, key: upload.id };
    },
    async listParts(file, { uploadId }) {
      const parts = await api('GET', 'uploads/' + uploadId + '/parts/');
      return parts.map((p) => ({ PartNumber: p.number, Size: p.size, ETag: p.etag }));
    },
    async signPart(file, { uploadId, partNumber, body }) {
      const checksum = await sha256base64(body);
      const target = await api('POST', 'uploads/' + uploadId + '/parts/' + partNumber + '/', { checksum });
      return { url: target.url, headers: target.headers, method: target.method };
    },
    async completeMultipartUpload(file, { uploadId }) {
      const upload = await api('POST', 'uploads/' + uploadId + '/complete/');
      return { location: upload.receipt_url || '' };
    },
    async abortMultipartUpload(file, { uploadId }) {
      await api('POST', 'uploads/' + uploadId + '/abort/').catch(() => {});
    },
  });

  async function startUpload(file) {
    const upload = await api('POST', 'uploads/', {
      submission, name: nameOf(file), size: file.size, checksum_algorithm: 'sha256',
      fingerprint: fingerprintOf(file),
    });
    partSizes.set(file.data, upload.part_size);
    return upload;
  }

  // Before any byte moves: ask the quota (when that endpoint exists), then create or find
  // each upload. Marking the file as "restoring" makes Uppy list the parts that already
  // arrived (after a reload, or a previous attempt) and send only the others. A file that
  // already has an upload holds its quota; creating it again finds it (or says why not).
  uppy.addPreProcessor(async (fileIDs) => {
    const files = fileIDs.map((id) => uppy.getFile(id));
    const fresh = files.filter((f) => !(f.s3Multipart && f.s3Multipart.uploadId));
    try {
      if (fresh.length) await api('POST', 'quota/check/', { facility, files: fresh.map((f) => ({ name: nameOf(f), size: f.size })) });
    } catch (error) {
      if (error.status !== 404) {
        uppy.info(error.message, 'error', 15000);
        announce(error.message);
        throw error;
      }
    }
    for (const file of files) {
      if (file.s3Multipart && file.s3Multipart.uploadId && partSizes.has(file.data)) continue;
      try {
        const upload = await startUpload(file);
        uppy.setFileState(file.id, { s3Multipart: { uploadId: upload.id, key: upload.id } });
      } catch (error) {
        const detail = error.data && error.data.fields ? Object.values(error.data.fields).flat().join(' ') : '';
        uppy.info(nameOf(file) + ': ' + error.message + ' ' + detail, 'error', 15000);
        throw error;
      }
    }
  });

  function announce(text) { if (status) status.textContent = text; }
  function refreshTable() {
    if (window.htmx) window.htmx.ajax('GET', root.dataset.tableUrl, { target: '#file-table', swap: 'outerHTML' });
  }
  uppy.on('upload-success', (file) => { announce(nameOf(file) + ' uploaded; verifying.'); refreshTable(); });
  uppy.on('upload-error', (file, error) => announce(nameOf(file) + ' failed: ' + error.message));
  uppy.on('complete', (result) => {
    announce(result.successful.length + ' uploaded, ' + result.failed.length + ' failed.');
    refreshTable();
  });
  // A network loss longer than Uppy's retries leaves files in error: take them up again.
  uppy.on('back-online', () => uppy.retryAll());

  if (GoldenRetriever) {
    // Restored uploads would continue at the step they reached, past the pre-processor that
    // finds each upload on the server and its part size; run them from the start instead.
    uppy.on('restored', () => {
      const { currentUploads } = uppy.getState();
      const restarted = {};
      for (const [id, upload] of Object.entries(currentUploads)) restarted[id] = { ...upload, step: 0 };
      uppy.setState({ currentUploads: restarted });
      const ghosts = uppy.getFiles().filter((f) => f.isGhost).map(nameOf);
      if (ghosts.length) announce('Add ' + ghosts.join(', ') + ' again to resume: the page was reloaded during the upload.');
    });
    uppy.use(GoldenRetriever);
  }
  window.apertureUppy = uppy; // for the browser tests and the curious
})();
