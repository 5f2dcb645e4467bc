/* Attendance marks made offline, kept in IndexedDB until the service worker sends them.
   Shared by the page (which adds marks) and the service worker (which sends them), so
   both see one queue. Marks keep the order they were made in (an auto-increment "seq").
   self.ReformerQueue = {add(mark), all(), remove(seqs), count()} (promises). */
(function (scope) {
  "use strict";

  var DB = "reformer-offline";
  var STORE = "marks";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.value); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  scope.ReformerQueue = {
    add: function (mark) {
      return run("readwrite", function (store) { store.add(mark); return null; });
    },
    all: function () {
      return run("readonly", function (store) {
        var box = { value: [] };
        store.openCursor().onsuccess = function (event) {
          var cursor = event.target.result;
          if (cursor) { box.value.push(cursor.value); cursor.continue(); }
        };
        return box;
      });
    },
    remove: function (seqs) {
      return run("readwrite", function (store) {
        seqs.forEach(function (seq) { store.delete(seq); });
        return null;
      });
    },
    count: function () {
      return run("readonly", function (store) {
        var box = { value: 0 };
        store.count().onsuccess = function (event) { box.value = event.target.result; };
        return box;
      });
    }
  };
})(self);
