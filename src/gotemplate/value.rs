//! Template values: the dynamic types a werf.yaml template meets (JSON-like data plus Go's
//! distinction between `int`, `int64` and `float64`, and between a missing value and nil).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A value with methods, such as werf's `.Files`.
pub trait Object: fmt::Debug {
    /// Go's type name, for messages.
    fn type_name(&self) -> &'static str;
    /// The signature of the method `name`, if there is one.
    fn method(&self, name: &str) -> Option<super::funcs::Signature>;
    /// Calls the method `name` with arguments already checked against its signature.
    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String>;
    /// How `%v` prints it (Go's `String()` method, when it has one).
    fn display(&self) -> String;
}

thread_local! {
    static NIL_LIST: Rc<Vec<Value>> = Rc::new(Vec::new());
}

#[derive(Clone, Debug)]
pub enum Value {
    /// Go's invalid `reflect.Value`: a missing map key or an unset variable; prints `<no value>`.
    Missing,
    /// A nil `interface{}` (JSON/YAML null, `nil`); prints `<nil>` inside values.
    Nil,
    Bool(bool),
    /// Go's `int`.
    Int(i64),
    /// Go's `int64` (sprig's arithmetic results).
    Int64(i64),
    Float(f64),
    Str(Rc<str>),
    /// `[]interface{}` (and the typed slices sprig returns, which templates cannot tell apart).
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`, iterated in key order as Go's template and fmt do; shared and
    /// mutable like a Go map (sprig's `set` changes the map every holder sees).
    Map(Rc<RefCell<BTreeMap<String, Value>>>),
    Object(Rc<dyn Object>),
}

impl Value {
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    /// Go's nil slice (`rest` of an empty list, `list` without arguments, …): prints as `[]` like
    /// an empty one, but encodes as JSON `null` and equals nil.
    pub fn nil_list() -> Value {
        NIL_LIST.with(|l| Value::List(l.clone()))
    }

    pub fn is_nil_list(&self) -> bool {
        matches!(self, Value::List(l) if NIL_LIST.with(|n| Rc::ptr_eq(l, n)))
    }

    /// The list's items, or a nil list when there are none (what Go's `append` onto a nil
    /// slice gives).
    pub fn list_or_nil(items: Vec<Value>) -> Value {
        if items.is_empty() {
            Value::nil_list()
        } else {
            Value::list(items)
        }
    }

    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    /// Go's type name as `reflect.Type.String()` spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// Go's template truth (`isTrue`): false for zero values, empty collections and nil.
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(_) => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts JSON data (integers become Go `int`, other numbers `float64`).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl PartialEq for Value {
    /// Deep equality of data (used by sprig's list functions, like Go's `reflect.DeepEqual`).
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b) || *a.borrow() == *b.borrow(),
            (Value::Object(a), Value::Object(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}
