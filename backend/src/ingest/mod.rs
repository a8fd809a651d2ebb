//! Import domain logic without HTTP or SQL: what applying a batch decides.

pub mod plan;
