/* Reformer's service worker (PHX-26), served at /sw.js so its scope is the whole site.
   Registered as /sw.js?v=<version>&q=<queue.js URL>: a deploy changes the version, so the
   browser installs a new worker, which waits until the person chooses "Reload".

   - Static files: cache first (the app shell is stored at install).
   - Pages (navigations): network first, so a deploy's HTML is never hidden behind a
     cached copy; a successful page is kept for offline, the fallback is /offline/.
   - Class rosters (htmx fragments) likewise, from the pages the server lists for offline.
   - Attendance marks queued offline (IndexedDB, queue.js) are sent when the connection
     returns: background sync where the browser has it, a message from the page otherwise.
   - Push: show the notification; a click opens (or focuses) the page it names. */
"use strict";

var params = new URL(self.location.href).searchParams;
var VERSION = params.get("v") || "dev";
var SHELL_CACHE = "shell-" + VERSION;
var PAGES_CACHE = "pages";
var META_CACHE = "meta";
var MOST_PAGES = 60;
var PARTIALS = [/^\/staff\/classes\/\d+\/roster\/$/];
var NEVER_CACHED = [/^\/admin\//, /^\/accounts\//, /^\/api\//, /^\/webhooks\//, /^\/sw\.js$/];
var OFFLINE_URL = "/offline/";

if (params.get("q")) importScripts(params.get("q"));

self.addEventListener("install", function (event) {
  event.waitUntil(
    fetch("/pwa/shell.json", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        return caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(data.shell); });
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function sameOrigin(url) { return url.origin === self.location.origin; }

function cacheable(url) {
  return !NEVER_CACHED.some(function (pattern) { return pattern.test(url.pathname); });
}

function isPartial(url) {
  return PARTIALS.some(function (pattern) { return pattern.test(url.pathname); });
}

function trim(cache) {
  return cache.keys().then(function (keys) {
    var extra = keys.length - MOST_PAGES;
    return Promise.all(keys.slice(0, Math.max(extra, 0)).map(function (key) { return cache.delete(key); }));
  });
}

function stamped(response) {
  // A copy that records when it was fetched (the page shows "last updated" from it too).
  var headers = new Headers(response.headers);
  headers.set("X-Reformer-Saved-At", new Date().toISOString());
  return response.clone().blob().then(function (body) {
    return new Response(body, { status: 200, statusText: "OK", headers: headers });
  });
}

function keep(request, response) {
  if (!response.ok || response.type !== "basic") return Promise.resolve();
  var type = response.headers.get("Content-Type") || "";
  if (type.indexOf("text/html") !== 0) return Promise.resolve();
  return Promise.all([caches.open(PAGES_CACHE), stamped(response)]).then(function (both) {
    var cache = both[0];
    var copies = [cache.put(request.url, both[1].clone())];
    if (response.redirected && response.url) copies.push(cache.put(response.url, both[1]));
    return Promise.all(copies).then(function () { return trim(cache); });
  });
}

function fromCache(request) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request.url, { ignoreVary: true });
  });
}

function networkFirst(event, fallback) {
  var request = event.request;
  return fetch(request).then(function (response) {
    event.waitUntil(keep(request, response));
    return response;
  }).catch(function () {
    return fromCache(request).then(function (cached) {
      if (cached) return cached;
      if (!fallback) return Response.error();
      return caches.match(OFFLINE_URL).then(function (page) { return page || Response.error(); });
    });
  });
}

function cacheFirst(request) {
  return caches.match(request).then(function (cached) {
    if (cached) return cached;
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!sameOrigin(url) || !cacheable(url)) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(event, true));
  } else if (isPartial(url)) {
    event.respondWith(networkFirst(event, false));
  }
});

/* --- Pages kept for offline --------------------------------------------------------------- */

function readMeta() {
  return caches.open(META_CACHE).then(function (cache) {
    return cache.match("/__meta").then(function (hit) { return hit ? hit.json() : {}; });
  });
}

function writeMeta(meta) {
  return caches.open(META_CACHE).then(function (cache) {
    return cache.put("/__meta", new Response(JSON.stringify(meta), { headers: { "Content-Type": "application/json" } }));
  });
}

function warm() {
  return fetch("/pwa/shell.json", { cache: "no-store", credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      return readMeta().then(function (meta) {
        // Another person (or nobody) is signed in now: forget the pages kept for the last.
        var forget = meta.user !== data.user ? caches.delete(PAGES_CACHE) : Promise.resolve();
        return forget.then(function () {
          return writeMeta({ user: data.user, warmedAt: Date.now() });
        }).then(function () {
          var fetches = data.pages.map(function (path) {
            return fetch(path, { credentials: "same-origin" }).then(function (response) {
              return keep(new Request(new URL(path, self.location.origin).href), response);
            });
          }).concat(data.partials.map(function (path) {
            return fetch(path, { credentials: "same-origin", headers: { "HX-Request": "true" } })
              .then(function (response) {
                return keep(new Request(new URL(path, self.location.origin).href), response);
              });
          }));
          return Promise.all(fetches.map(function (p) { return p.catch(function () {}); }));
        });
      });
    }).then(function () { return tell({ type: "offline-ready" }); });
}

/* --- Attendance marks queued offline ------------------------------------------------------ */

var syncing = null;

function tell(message) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

function sendMarks() {
  return self.ReformerQueue.all().then(function (marks) {
    if (!marks.length) return null;
    var url = marks[0].syncUrl;
    var csrf = marks[marks.length - 1].csrf;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        marks: marks.map(function (mark) {
          return { key: mark.key, booking: mark.booking, status: mark.status, marked_at: mark.markedAt };
        })
      })
    }).then(function (response) {
      if (response.status === 403 || response.status === 401) {
        return tell({ type: "marks-blocked", count: marks.length });
      }
      if (!response.ok) throw new Error("sync answered " + response.status);
      return response.json().then(function (data) {
        var done = marks.filter(function (mark, i) {
          var result = data.results[i];
          return result && result.outcome !== "pending";
        });
        return self.ReformerQueue.remove(done.map(function (mark) { return mark.seq; })).then(function () {
          return tell({
            type: "marks-synced",
            results: data.results.map(function (result, i) {
              return Object.assign({ booking: marks[i].booking, name: marks[i].name }, result);
            })
          });
        });
      });
    });
  });
}

function syncMarks() {
  // One sync at a time: marks go in order and each once.
  if (!syncing) {
    syncing = sendMarks().finally(function () { syncing = null; });
  }
  return syncing;
}

self.addEventListener("sync", function (event) {
  if (event.tag === "attendance-marks") event.waitUntil(syncMarks());
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skip-waiting") {
    self.skipWaiting();
  } else if (data.type === "warm") {
    event.waitUntil(warm());
  } else if (data.type === "sync-marks") {
    event.waitUntil(syncMarks().catch(function () {}));
  }
});

/* --- Push --------------------------------------------------------------------------------- */

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data.text() }; }
  var title = data.title || "Reformer";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: data.icon || undefined,
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
    for (var i = 0; i < clients.length; i++) {
      if (clients[i].url === target && "focus" in clients[i]) return clients[i].focus();
    }
    if (clients.length && "navigate" in clients[0]) {
      return clients[0].navigate(target).then(function (client) { return client && client.focus(); });
    }
    return self.clients.openWindow(target);
  }));
});
