//! The backend's behaviour suite: the real router called in process, a real database, every
//! test run against SQLite and (when `cargo xtask test` provides one) PostgreSQL.

mod support;

mod accounts;
mod customers;
mod imports;
