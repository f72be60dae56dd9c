// Small behaviours every page may use, delegated from the document so forms htmx swaps in
// later are covered too. No page has inline script (the Content-Security-Policy forbids it).
//
// - form[data-confirm="question"] asks before it is sent (deleting, removing).
// - form[data-submit-once] disables its buttons once sent, so a double click sends once.
// - a[data-back] goes back in the browser's history (its href is the fallback).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.matches && form.matches('form[data-submit-once]')) {
    form.querySelectorAll('button[type=submit]').forEach((button) => {
      button.disabled = true;
      button.textContent = 'Submitting…';
    });
  }
});

document.addEventListener('click', (event) => {
  const link = event.target.closest ? event.target.closest('a[data-back]') : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
