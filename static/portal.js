// The portal's only script besides htmx. Loaded with `defer` from base.html; the
// Content-Security-Policy forbids inline handlers, so behaviour is declared in data- attributes.

// <form data-confirm="Delete x? This cannot be undone."> asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// The friction-report form (footer link "Something confusing?") arrives by HTMX as a
// <dialog data-open-on-load> appended to <body>: open it as a modal when it lands, and remove
// it when it closes (Escape or a [data-close-dialog] button) so the next click starts afresh.
document.addEventListener("htmx:load", (event) => {
  const dialog = event.detail.elt.closest?.("dialog[data-open-on-load]");
  if (dialog && !dialog.open) {
    dialog.addEventListener("close", () => dialog.remove());
    dialog.showModal();
  }
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-dialog]");
  if (button) {
    button.closest("dialog")?.close();
  }
});

// <form data-discards-plan="#plan">: a plan is shown for the answers it was made from, so the
// moment an answer changes the plan (and its Create button) is taken away, with the region's
// data-discarded-text saying why. The region is inside the form or anywhere on the page; it
// holds a plan when it has the plan's [name='planned'] token or a [data-plan] element. The
// server refuses a stale Create as well.
function discardPlan(event) {
  const form = event.target.closest?.("form[data-discards-plan]");
  if (!form || !event.target.name || event.target.type === "hidden") {
    return;
  }
  const selector = form.dataset.discardsPlan;
  const region = form.querySelector(selector) || document.querySelector(selector);
  if (!region || !region.querySelector("[name='planned'], [data-plan]")) {
    return;
  }
  const notice = document.createElement("p");
  notice.className = "notice";
  notice.setAttribute("role", "status");
  notice.textContent = region.dataset.discardedText;
  region.replaceChildren(notice);
}
document.addEventListener("input", discardPlan);
document.addEventListener("change", discardPlan);

// A link drawn as a button (<a role="button">) answers Space as a button does, not only Enter
// (WAI-ARIA: keyboard users press Space on anything announced as a button).
document.addEventListener("keydown", (event) => {
  const link = event.target.closest?.('a[role="button"]');
  if (link && event.key === " " && !event.repeat) {
    event.preventDefault();
    link.click();
  }
});
