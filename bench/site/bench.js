// Browser measurements for `cargo xtask bench`, driven through WebDriver. Each function
// calls `done(result)` with milliseconds measured by performance.now() in this page.
"use strict";

function chosenFile() {
  return document.getElementById("file").files[0];
}

// Intake's own parse worker, full pass: decode + parse + map + validate + duplicates.
window.intakeWorkerPass = function (done) {
  const file = chosenFile();
  const worker = new Worker("/worker_loader.js");
  let started = 0;
  worker.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "ready") {
      started = performance.now();
      worker.postMessage({ msg: JSON.stringify({ type: "check", settings: {} }), file });
    } else if (message.type === "checked") {
      const ms = performance.now() - started;
      worker.terminate();
      done({ ms, bytes: file.size, rows: message.progress.rows, valid: message.progress.valid });
    } else if (message.type === "failed") {
      worker.terminate();
      done({ error: message.message });
    }
  };
};

// PapaParse's plain parse of the same file (no validation), rows counted in chunks so the
// page does not hold the whole file.
window.papaParsePass = function (done) {
  const file = chosenFile();
  let rows = 0;
  const started = performance.now();
  Papa.parse(file, {
    chunkSize: 1024 * 1024,
    chunk: (results) => { rows += results.data.length; },
    complete: () => done({ ms: performance.now() - started, bytes: file.size, rows }),
    error: (e) => done({ error: String(e) }),
  });
};
