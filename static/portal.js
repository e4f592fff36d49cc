// The portal's only script besides htmx. Loaded with `defer` from base.html; the
// Content-Security-Policy forbids inline handlers, so behaviour is declared in data- attributes.

// <form data-confirm="Delete x? This cannot be undone."> asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
