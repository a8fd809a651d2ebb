//! One module per page. Pages load their own data; small shared pieces have modules of
//! their own ([`error_note`]), so a page never imports the module that declares it.

pub mod customers;
pub mod error_note;
pub mod groups;
pub mod import;
pub mod jobs;
pub mod login;
pub mod profiles;
pub mod webhooks;
