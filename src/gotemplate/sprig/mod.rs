//! sprig 3.2.3's `TxtFuncMap` (the function library werf adds to its templates), one file per
//! sprig group; functions that read the clock, randomness or the network are refused.

use super::funcs::FuncMap;

pub fn register(_map: &mut FuncMap) {}
