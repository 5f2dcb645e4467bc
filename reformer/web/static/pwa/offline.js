/* The offline fallback page: lists the pages this device saved (the service worker's
   "pages" cache), so a person who opened a page that was never saved can go to one. */
(function () {
  "use strict";
  function list() {
    var holder = document.querySelector("[data-saved-pages]");
    if (!holder || !window.caches) return;
    caches.open("pages").then(function (cache) {
      return cache.keys().then(function (keys) {
        var pages = keys.filter(function (request) {
          return new URL(request.url).pathname.indexOf("/roster/") === -1;
        });
        // Each saved page by its own title ("My dashboard", "Check-in"...).
        return Promise.all(pages.map(function (request) {
          return cache.match(request).then(function (response) { return response.text(); })
            .then(function (html) {
              var found = /<title>([^<]*)<\/title>/i.exec(html);
              var title = found ? found[1].split(" \u00b7 ")[0].trim() : "";
              return { url: new URL(request.url), title: title };
            });
        }));
      });
    }).then(function (pages) {
      holder.textContent = "";
      var seen = {};
      pages.forEach(function (page) {
        var key = page.url.pathname + page.url.search;
        if (seen[key]) return;
        seen[key] = true;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = key;
        var parser = document.createElement("textarea");
        parser.innerHTML = page.title;  // decode entities such as &amp;
        link.textContent = (parser.value || key) + (page.url.search ? " (" + page.url.search.slice(1) + ")" : "");
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
