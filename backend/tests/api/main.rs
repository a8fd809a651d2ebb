//! The backend's behaviour suite: the real router called in process, a real database, every
//! test run against SQLite and (when `cargo xtask test` provides one) PostgreSQL. `process`
//! runs the real `intake` binary (SIGKILL and restart, the command line, two servers).

mod support;

mod accounts;
mod cli_rules;
mod connections;
mod contract;
mod customers;
mod dry_run;
mod faults;
mod groups;
mod hostile;
mod imports;
mod integrity;
mod lanes;
mod languages;
mod limits;
mod outcomes;
mod pg_search;
mod process;
mod profiles;
mod queue;
mod routes;
mod search_index;
mod security;
mod settings;
mod signin;
mod value_maps;
mod webhook_restart;
mod webhooks;
mod workbooks;
