// What the researcher sees and hears of the uploader (the protocol is in uploads.js): the drop
// zone and file pickers, one row per file with its true state, the total in decimal units
// from the start, and a polite live log that a screen reader reads as files end.
// Everything is built with DOM calls: file names are never parsed as HTML.
(function () {
  'use strict';
  const formatBytes = (n) => window.apertureUnits.formatBytes(n);
  const LABELS = {
    ready: 'Ready',
    waiting: 'Waiting',
    uploading: 'Uploading',
    verifying: 'Checking',
    verified: 'Verified',
    failed: 'Failed',
    removed: 'Removed',
    interrupted: 'Interrupted',
  };
  const BADGE = { verified: 'status-verified', failed: 'status-failed', removed: 'status-aborted' };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, name, className) {
    const node = el('button', className, label);
    node.type = 'button';
    node.append(el('span', 'visually-hidden', ' ' + name));
    return node;
  }

  // Files and folders dropped: folders are walked (webkitGetAsEntry), each file keeps its
  // path inside the dropped folder as its name.
  async function droppedFiles(dataTransfer) {
    const entries = Array.from(dataTransfer.items || [])
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    if (!entries.length || entries.some((e) => !e)) return Array.from(dataTransfer.files || []);
    const files = [];
    async function walk(entry, prefix) {
      if (entry.isFile) {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        if (prefix) Object.defineProperty(file, 'relativePath', { value: prefix + file.name });
        files.push(file);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          if (!batch.length) break;
          for (const child of batch) await walk(child, prefix + entry.name + '/');
        }
      }
    }
    for (const entry of entries) await walk(entry, '');
    return files;
  }

  class UploadView {
    constructor(root, actions) {
      this.root = root;
      this.actions = actions;
      this.rows = new Map();
      this.list = root.querySelector('#upload-list');
      this.log = root.querySelector('#upload-log');
      this.summaryNode = root.querySelector('#upload-summary');
      this.progressBar = root.querySelector('#upload-progress');
      this.progressText = root.querySelector('#upload-progress-text');
      this.startButton = root.querySelector('#upload-start');
      this.pauseButton = root.querySelector('#upload-pause');
      this.summaryText = '';
      this.startButton.addEventListener('click', () => actions.start());
      this.pauseButton.addEventListener('click', () => actions.pause());
      root.querySelectorAll('[data-upload-choose]').forEach((chooser) => {
        const input = root.querySelector('#' + chooser.dataset.uploadChoose);
        chooser.addEventListener('click', () => input.click());
      });
    }

    onFiles(add) {
      this.root.querySelectorAll('input[type=file]').forEach((input) => {
        input.addEventListener('change', () => { add(Array.from(input.files)); input.value = ''; });
      });
      const zone = this.root.querySelector('#upload-drop');
      zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
      zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
      zone.addEventListener('drop', async (event) => {
        event.preventDefault();
        zone.classList.remove('dragging');
        add(await droppedFiles(event.dataTransfer));
      });
    }

    add(item) {
      const row = el('li', 'upload-item');
      row.dataset.uploadItem = String(item.id);
      const name = el('span', 'upload-name', item.name);
      name.title = item.name;
      const size = el('span', 'upload-size', formatBytes(item.size));
      size.title = item.size + ' bytes';
      const state = el('span', 'badge upload-state');
      const detail = el('span', 'upload-detail');
      const actions = el('span', 'upload-actions');
      const retry = button('Retry', item.name, 'link-button');
      const remove = button('Remove', item.name, 'link-button danger');
      retry.addEventListener('click', () => this.actions.retry(item));
      remove.addEventListener('click', () => this.actions.remove(item));
      actions.append(retry, remove);
      row.append(name, size, state, detail, actions);
      this.list.append(row);
      this.list.hidden = false;
      this.rows.set(item.id, { row, state, detail, retry, remove });
      this.update(item);
    }

    update(item) {
      const parts = this.rows.get(item.id);
      if (!parts) return;
      parts.row.className = 'upload-item state-' + item.state;
      parts.state.className = 'badge upload-state ' + (BADGE[item.state] || 'status-' + item.state);
      parts.state.textContent = LABELS[item.state];
      parts.detail.className = 'upload-detail' + (item.state === 'failed' ? ' field-error' : '');
      parts.detail.textContent = this.detailOf(item);
      const focused = document.activeElement;
      parts.retry.hidden = item.state !== 'failed';
      parts.remove.hidden = !UploadView.offersRemove(item);
      // Keep the keyboard somewhere sensible when the focused button goes away.
      if ((focused === parts.retry && parts.retry.hidden) || (focused === parts.remove && parts.remove.hidden)) {
        this.focusNear(parts);
      }
    }

    // The row's other button, else the nearest button of a following (then a preceding) row.
    focusNear(parts) {
      const own = [parts.remove, parts.retry].find((b) => !b.hidden);
      if (own) { own.focus(); return; }
      const buttons = (row) => Array.from(row.querySelectorAll('button')).filter((b) => !b.hidden);
      const rows = Array.from(this.list.children);
      const at = rows.indexOf(parts.row);
      const after = rows.slice(at + 1).flatMap(buttons);
      const before = rows.slice(0, at).flatMap(buttons);
      (after[0] || before[before.length - 1] || this.list).focus();
    }

    detailOf(item) {
      const of = formatBytes(Math.min(item.accepted, item.size)) + ' of ' + formatBytes(item.size);
      switch (item.state) {
        case 'uploading': return of;
        case 'verifying': return 'All parts arrived; the server is checking the SHA-256.';
        case 'verified': return 'SHA-256 confirmed by the server.' + (item.checking ? ' Checking the contents…' : '');
        case 'failed': return item.reason;
        case 'interrupted': return 'The page was reloaded during this upload (' + of + ' arrived). Add the file again to resume.';
        default: return '';
      }
    }

    progress({ accepted, total, busy, paused, ready }) {
      this.root.dataset.busy = busy ? 'true' : 'false';
      this.progressBar.max = Math.max(total, 1);
      this.progressBar.value = accepted;
      this.progressBar.hidden = total === 0;
      let text = formatBytes(accepted) + ' of ' + formatBytes(total);
      if (paused && busy) text += ' · paused';
      else if (busy) text += ' accepted by the server';
      else if (ready) text += ' · ' + ready + (ready === 1 ? ' file' : ' files') + ' ready';
      this.progressText.textContent = total ? text : '';
      this.startButton.textContent = 'Upload ' + ready + (ready === 1 ? ' file' : ' files');
      this.startButton.disabled = ready === 0;
      this.startButton.hidden = ready === 0;
      this.pauseButton.hidden = !busy;
      this.pauseButton.textContent = paused ? 'Resume' : 'Pause';
    }

    summary(text) {
      this.summaryText = text;
      this.summaryNode.textContent = text;
      this.summaryNode.hidden = !text;
      this.announce(text);
    }

    // A log, not a status line: every file's end is read, not only the last one.
    announce(text) {
      const line = el('p', '', text);
      this.log.append(line);
      while (this.log.childElementCount > 30) this.log.firstElementChild.remove();
    }

    refreshTable() {
      clearTimeout(this.tableTimer);
      this.tableTimer = setTimeout(() => {
        if (window.htmx) window.htmx.ajax('GET', this.root.dataset.tableUrl, { target: '#file-table', swap: 'outerHTML' });
      }, 300);
    }
  }

  // Whether a file's row here has its Remove button (while it is sent or after it failed).
  UploadView.offersRemove = (item) => !['verifying', 'verified', 'removed'].includes(item.state);

  window.apertureUploadView = UploadView;
})();
