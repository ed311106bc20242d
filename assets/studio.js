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

// The language switch: Gradio's own locale, which translates every label of the page (the studio's, from its
// gr.I18n, and Gradio's own). Gradio's settings panel sets it through `changeLocale`, exported by one of the
// modules the page has already loaded; importing a loaded module again runs nothing and gives the same store.
window.studioLocale = async (locale) => {
  const loaded = performance.getEntriesByType("resource").map((entry) => entry.name)
    .filter((name) => /\/assets\/[\w.-]+\.js$/.test(name))
    .sort((a, b) => /\/core-/.test(b) - /\/core-/.test(a));  // it lives in core-*.js in Gradio 6
  for (const url of loaded) {
    const module = await import(url);
    if (typeof module.changeLocale === "function") {
      module.changeLocale(locale);
      return locale;
    }
  }
  console.warn("Design Collaborator: Gradio's changeLocale was not found; labels keep their language.");
  return locale;
};
