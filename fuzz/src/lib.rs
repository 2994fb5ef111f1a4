//! rinit's parsers for the fuzz targets: option parsing and settings
//! resolution, `--expand`, and the /proc readers, from rinit's library.

pub use rinit::*;
