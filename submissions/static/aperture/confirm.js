// Forms marked data-confirm="question" ask before they are sent (deleting, removing).
// Delegated from the document, so forms htmx swaps in later are covered too.
document.addEventListener('submit', (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : null;
  if (question && !window.confirm(question)) event.preventDefault();
});
