// Design Collaborator: keys a designer expects. Loaded in the page's <head>, before the app renders.
document.addEventListener("keydown", (event) => {
  // 1-8 select a candidate, unless the designer is typing.
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-8]$/.test(event.key)) return;
  if (target && (target.closest("input, textarea, select") || target.isContentEditable)) return;
  const choice = document.querySelectorAll("#selected input[type=radio]")[Number(event.key) - 1];
  if (choice) {
    choice.click();
    event.preventDefault();
  }
});

// On a phone the sessions sidebar starts closed, so the conversation and the composer come first.
if (window.innerWidth < 768) {
  new MutationObserver((_, observer) => {
    const toggle = document.querySelector(".sidebar.open > .toggle-button");
    if (!toggle) return;
    observer.disconnect();
    requestAnimationFrame(() => toggle.click());  // once the sidebar's own handlers are attached
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
}
