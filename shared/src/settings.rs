//! How to read a CSV file: the one settings type of the browser worker's protocol, the REST
//! API's raw upload, the command line and the `imports.settings` column. `None` means
//! "detect". Its JSON is the stored shape; [`ReadSettings::parse_stored`] reads it back
//! strictly (an unknown key or a wrong type is an error, never a default).
//!
//! The type is defined beside detection (`import`, which reads it), so that `import` does
//! not depend on this module; this is its public path.

pub use crate::import::choices::{NamedMapping, ReadSettings, UnknownColumn};
pub use crate::import::{ConsentChoice, ValueMap};
