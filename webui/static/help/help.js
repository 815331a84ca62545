// Issue 11 help button: on a page with tabs (the phone), the header's help button opens the
// topic of the tab on screen. The map tab -> address comes from the server (webui/help.py).
(() => {
  "use strict";
  const link = document.getElementById("help-button");
  if (!link || !link.dataset.tabs) return;
  const topics = JSON.parse(link.dataset.tabs);
  const fallback = link.getAttribute("href");
  document.addEventListener("click", (e) => {
    const tab = e.target.closest && e.target.closest("[role=tab][data-tab]");
    if (tab) link.setAttribute("href", topics[tab.dataset.tab] || fallback);
  });
})();
