// Runflow dashboard: the few behaviours htmx does not cover. No inline script anywhere (CSP).
(function () {
  "use strict";

  // Times arrive as RFC 3339 in UTC; show them in the browser's own time zone.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      if (node.dataset.local) return;
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      node.textContent = when.toLocaleString();
      node.title = node.getAttribute("datetime");
      node.dataset.local = "1";
    });
  }

  // The organization switcher submits itself when a new organization is chosen.
  function autosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  }

  // Files dropped on an upload form are uploaded as if picked.
  function dropzones(root) {
    root.querySelectorAll("form[data-dropzone]").forEach(function (form) {
      var input = form.querySelector("input[type=file]");
      ["dragenter", "dragover"].forEach(function (name) {
        form.addEventListener(name, function (event) {
          event.preventDefault();
          form.classList.add("dragging");
        });
      });
      form.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
      form.addEventListener("drop", function (event) {
        event.preventDefault();
        form.classList.remove("dragging");
        if (!event.dataTransfer || !event.dataTransfer.files.length) return;
        input.files = event.dataTransfer.files;
        form.requestSubmit();
      });
    });
  }

  function enhance(root) {
    localTimes(root);
    autosubmit(root);
    dropzones(root);
  }

  // An output declared as a video may be an animated WebP or GIF, which <video> cannot play
  // (its URL does not say which): shown as the image it is. `error` does not bubble, so this
  // listens in the capture phase, for players added by later swaps too.
  function imageForUnplayableVideo(event) {
    var video = event.target;
    if (!(video instanceof HTMLVideoElement) || !("imageFallback" in video.dataset)) return;
    var image = document.createElement("img");
    image.src = video.getAttribute("src");
    image.alt = video.getAttribute("aria-label") || "";
    image.className = video.className;
    video.replaceWith(image);
  }

  document.addEventListener("error", imageForUnplayableVideo, true);
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localTimes(event.target); });
  document.addEventListener("htmx:sseMessage", function (event) { localTimes(event.target); });
})();
