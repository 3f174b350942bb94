// Progressive enhancement only: every page works without this script.
// Buttons with data-confirm ask before their form is sent (showing identifiers in full).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
