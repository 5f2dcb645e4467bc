/* The offline fallback page: lists the pages this device saved (the service worker's
   "pages" cache), so a person who opened a page that was never saved can go to one. */
(function () {
  "use strict";
  function list() {
    var holder = document.querySelector("[data-saved-pages]");
    if (!holder || !window.caches) return;
    caches.open("pages").then(function (cache) { return cache.keys(); }).then(function (keys) {
      holder.textContent = "";
      var seen = {};
      keys.forEach(function (request) {
        var url = new URL(request.url);
        if (url.pathname.indexOf("/roster/") !== -1 || seen[url.pathname]) return;
        seen[url.pathname] = true;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = url.pathname + url.search;
        link.textContent = url.pathname;
        item.append(link);
        holder.append(item);
      });
      if (!holder.children.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "None yet: open your pages once while online.";
        holder.append(none);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", list);
  else list();
})();
