//! sprig 3.2.3's `TxtFuncMap` (the function library werf adds to its templates), one file per
//! sprig group; functions that read the clock, randomness or the network are refused.

mod conv;
mod crypto;
mod decimal;
mod defaults;
mod dicts;
mod encoding;
mod lists;
mod math;
mod paths;
pub mod refused;
mod regex;
mod semver;
mod strings;
mod yaml;

pub use crypto::adler32;
pub use yaml::{from_yaml, to_yaml};

use super::funcs::FuncMap;

pub fn register(map: &mut FuncMap) {
    refused::register(map);
    strings::register(map);
    lists::register(map);
    dicts::register(map);
    math::register(map);
    defaults::register(map);
    encoding::register(map);
    regex::register(map);
    semver::register(map);
    crypto::register(map);
    paths::register(map);
}
