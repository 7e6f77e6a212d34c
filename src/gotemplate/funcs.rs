//! Function signatures and the function map: every function declares Go's parameter types so
//! arguments are converted and refused exactly where Go's reflection-based call would.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::exec::Exec;
use super::value::Value;

/// A parameter type, as far as templates can tell types apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `interface{}`.
    Any,
    /// `reflect.Value` (Go's built-ins): like `Any`, but nil stays distinguishable.
    Reflect,
    Str,
    Int,
    Int64,
    Float,
    Bool,
    Map,
    List,
}

impl Ty {
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Reflect => "reflect.Value",
            Ty::Str => "string",
            Ty::Int => "int",
            Ty::Int64 => "int64",
            Ty::Float => "float64",
            Ty::Bool => "bool",
            Ty::Map => "map[string]interface {}",
            Ty::List => "[]interface {}",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub params: &'static [Ty],
    /// The element type of a final `...` parameter.
    pub variadic: Option<Ty>,
}

pub const fn sig(params: &'static [Ty]) -> Signature {
    Signature {
        params,
        variadic: None,
    }
}

pub const fn variadic(params: &'static [Ty], rest: Ty) -> Signature {
    Signature {
        params,
        variadic: Some(rest),
    }
}

pub type NativeFn = fn(&mut Exec<'_>, &[Value]) -> Result<Value, String>;

#[derive(Clone, Copy)]
pub enum Imp {
    Native(NativeFn),
    /// Go's short-circuit `and` and `or`, evaluated by the executor.
    And,
    Or,
}

#[derive(Clone, Copy)]
pub struct Func {
    pub sig: Signature,
    pub imp: Imp,
}

#[derive(Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<&'static str, Func, FnvBuild>,
}

/// FNV-1a, for maps of short keys looked up at every identifier parsed or call made, where
/// SipHash's resistance to chosen keys costs more than it protects: the function names are
/// fixed, and a parse's own tables hold only the template's constants.
pub(crate) type FnvBuild = BuildHasherDefault<Fnv>;

pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl FuncMap {
    pub fn insert(&mut self, name: &'static str, sig: Signature, f: NativeFn) {
        self.funcs.insert(
            name,
            Func {
                sig,
                imp: Imp::Native(f),
            },
        );
    }

    pub fn insert_func(&mut self, name: &'static str, func: Func) {
        self.funcs.insert(name, func);
    }

    pub fn remove(&mut self, name: &str) {
        self.funcs.remove(name);
    }

    pub fn get(&self, name: &str) -> Option<Func> {
        self.funcs.get(name).copied()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &&'static str> {
        self.funcs.keys()
    }
}
