//! End-to-end tests live in `tests/`: they start the real `intake` binary on a free port
//! with a temporary database, drive a real headless Chromium through chromedriver, and find
//! elements the way a user (or a screen reader) does: by label and by visible name.

pub mod harness;
