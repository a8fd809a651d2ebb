// Browser measurements for `cargo xtask bench`, driven through WebDriver. Each function
// calls `done(result)` with milliseconds measured by performance.now() in this page.
"use strict";

function chosenFile() {
  return document.getElementById("file").files[0];
}

// Intake's own parse worker, full pass: decode + parse + map + validate + duplicates, timed
// from the check request to its answer. `afterPreview` runs it as the import page does: the
// page asks the worker for a preview when a file is chosen and for the check when the user
// clicks "Check the whole file" (here one second after the preview arrives; nobody clicks
// sooner). Without it the check is the first thing a new worker does (its helper worker
// starts during the check).
function workerPass(done, afterPreview) {
  const file = chosenFile();
  const worker = new Worker("/worker_loader.js");
  let started = 0;
  const check = () => {
    started = performance.now();
    worker.postMessage({ msg: JSON.stringify({ check: { settings: {} } }), file });
  };
  worker.onmessage = (event) => {
    // A JSON string, or {msg, attachment} (a check's problems, a Blob, follow its answer).
    // Externally tagged: "ready", or {"checked": {...}}.
    const parsed = JSON.parse(typeof event.data === "string" ? event.data : event.data.msg);
    const type = typeof parsed === "string" ? parsed : Object.keys(parsed)[0];
    const message = typeof parsed === "string" ? {} : parsed[type];
    if (type === "ready") {
      if (afterPreview) {
        worker.postMessage({ msg: JSON.stringify({ preview: { settings: {}, rows: 20 } }), file });
      } else {
        check();
      }
    } else if (type === "preview") {
      setTimeout(check, 1000);
    } else if (type === "checked") {
      const ms = performance.now() - started;
      worker.terminate();
      done({ ms, bytes: file.size, rows: message.progress.rows, valid: message.progress.valid });
    } else if (type === "failed") {
      worker.terminate();
      done({ error: message.message });
    }
  };
}

window.intakeWorkerPass = (done) => workerPass(done, true);
window.intakeColdWorkerPass = (done) => workerPass(done, false);

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

// Intake's workbook worker (calamine in wasm): the first sheet read to CSV text, which the
// import page then previews and checks as a CSV file. Timed from the request (once the
// worker's wasm is ready) to the answer holding the whole sheet.
window.intakeWorkbookPass = function (done) {
  const file = chosenFile();
  const worker = new Worker("/workbook_loader.js");
  let started = 0;
  worker.onmessage = (event) => {
    const d = event.data;
    if (d.ready) {
      started = performance.now();
      worker.postMessage({ file });
    } else if (d.error) {
      worker.terminate();
      done({ error: d.error });
    } else if (d.text && !d.partial) {
      // The whole sheet (a long one is answered twice: its first rows, then all of it).
      const ms = performance.now() - started;
      worker.terminate();
      done({ ms, bytes: file.size, text_bytes: d.text.size });
    }
  };
};

// SheetJS as most web apps use it: the file's bytes read, the workbook parsed, its first
// sheet turned into CSV text, in the page.
window.sheetJsPass = async function (done) {
  try {
    const file = chosenFile();
    const started = performance.now();
    const data = await file.arrayBuffer();
    const book = XLSX.read(data, { type: "array", dense: true });
    const csv = XLSX.utils.sheet_to_csv(book.Sheets[book.SheetNames[0]]);
    done({ ms: performance.now() - started, bytes: file.size, text_bytes: csv.length });
  } catch (e) {
    done({ error: String(e) });
  }
};
