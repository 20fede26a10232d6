// breachcheck web app: drop a file on a case page, follow its job, show the verdict.
// Plain JavaScript, served by the server itself; no external request.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function status(text) {
    var el = document.getElementById("upload-status");
    if (el) { el.textContent = text; }
  }

  function follow(jobId) {
    var bar = document.getElementById("upload-progress");
    var es = new EventSource("/api/v1/jobs/" + jobId + "/events");
    es.addEventListener("job", function (ev) {
      var job = JSON.parse(ev.data);
      var p = job.progress || {};
      if (bar && p.total_bytes > 0) {
        bar.hidden = false;
        bar.max = p.total_bytes;
        bar.value = Math.min(p.bytes, p.total_bytes);
      }
      status("Job " + job.id + ": " + job.state + ", " + p.lines + " lines read");
      var cell = document.querySelector('[data-job="' + job.id + '"]');
      if (cell) {
        cell.dataset.state = job.state;
        var s = cell.querySelector(".state");
        if (s) { s.textContent = job.state; }
        var l = cell.querySelector(".lines");
        if (l) { l.textContent = p.lines + " lines"; }
      }
      if (job.state === "done" || job.state === "failed") {
        es.close();
        if (job.state === "failed") {
          status("Job " + job.id + " failed: " + (job.error || "see the server's log"));
        }
        window.location.reload();
      }
    });
    es.onerror = function () {
      // The stream ends when the job does; a dropped stream is retried by the browser.
    };
  }

  function upload(caseId, file) {
    status("Uploading " + file.name + " (" + file.size + " bytes)…");
    fetch("/api/v1/cases/" + caseId + "/samples?filename=" + encodeURIComponent(file.name), {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/octet-stream" }
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        status("Upload refused: " + (res.body.message || res.body.error));
        return;
      }
      status(res.body.duplicate
        ? "This case already holds these bytes (sample " + res.body.sample_id + ")."
        : "Uploaded: sample " + res.body.sample_id + ", job " + res.body.job_id + " queued.");
      follow(res.body.job_id);
    }).catch(function () {
      status("Upload failed: the server could not be reached.");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var drop = document.getElementById("drop");
    if (drop) {
      var caseId = drop.dataset["case"];
      var input = document.getElementById("file");
      input.addEventListener("change", function () {
        if (input.files.length > 0) { upload(caseId, input.files[0]); }
      });
      ["dragenter", "dragover"].forEach(function (t) {
        drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
      });
      drop.addEventListener("drop", function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length > 0) { upload(caseId, e.dataTransfer.files[0]); }
      });
    }
    // Jobs still queued or running when the page was drawn are followed too.
    document.querySelectorAll("[data-job]").forEach(function (cell) {
      var st = cell.dataset.state;
      if (st === "queued" || st === "running") { follow(cell.dataset.job); }
    });
  });
})();
