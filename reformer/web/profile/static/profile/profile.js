/* Profile photo: preview before saving, size check before any upload, upload progress.

   The server checks everything again (content, size); this only spares the user a slow
   upload that would be refused. Works for photo panels swapped in later by htmx, because
   the listeners are delegated from the document. */
(function () {
  "use strict";

  var TOO_LARGE = "Image must be smaller than 5MB";

  function parts(form) {
    return {
      input: form.querySelector("input[type=file]"),
      preview: form.querySelector("#photo-preview"),
      current: form.querySelector("#photo-current"),
      error: form.querySelector("#photo-error"),
      errorText: form.querySelector("[data-photo-error-text]"),
      progress: form.querySelector("#photo-progress"),
      save: form.querySelector("[data-photo-save]")
    };
  }

  function showError(p, message) {
    p.errorText.textContent = message;
    p.error.hidden = !message;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest && input.closest("[data-photo-form]");
    if (!form || input.type !== "file") return;
    var p = parts(form);
    var file = input.files && input.files[0];
    showError(p, "");
    p.progress.hidden = true;
    if (!file) { p.save.disabled = true; p.preview.hidden = true; return; }
    var max = parseInt(form.dataset.maxBytes, 10);
    if (file.size > max) {
      input.value = "";
      p.preview.hidden = true;
      if (p.current) p.current.hidden = false;
      p.save.disabled = true;
      showError(p, TOO_LARGE);
      return;
    }
    if (!/^image\/(jpeg|png)$/.test(file.type)) {
      showError(p, "Choose a JPEG or PNG image.");
    }
    var reader = new FileReader();
    reader.onload = function () {
      p.preview.src = reader.result;
      p.preview.hidden = false;
      if (p.current) p.current.hidden = true;
      p.save.disabled = false;
    };
    reader.readAsDataURL(file);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("[data-photo-form]");
    if (!form) return;
    var p = parts(form);
    p.progress.value = 0;
    p.progress.hidden = false;
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("[data-photo-form]");
    if (!form || !event.detail.lengthComputable) return;
    var p = parts(form);
    p.progress.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    p.progress.dataset.seen = "1";
  });
})();
