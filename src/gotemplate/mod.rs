//! A Go `text/template` engine with the sprig function library, written to render werf.yaml the
//! way werf does (werf uses Go's engine with sprig and its own functions); pure Rust, no Go.

pub mod builtins;
pub mod exec;
pub mod funcs;
mod lex;
pub mod node;
pub mod parse;
pub mod printf;
pub mod sprig;
pub mod strconv;
pub mod value;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use exec::{ExecError, MAX_DEPTH, Span};
pub use funcs::FuncMap;
pub use parse::ParseError;
pub use value::{Object, Value};

use node::{Tree, is_empty_list};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Parse(ParseError),
    #[error("{0}")]
    Exec(ExecError),
}

/// A set of templates sharing one function map, like Go's `*template.Template` with its
/// associated templates; `tpl` can add templates while rendering.
pub struct Engine {
    pub funcs: FuncMap,
    trees: RefCell<HashMap<String, Rc<Tree>>>,
    main: RefCell<String>,
    /// Whatever the embedding program's functions need (werf's environment, files, …).
    pub host: Option<Box<dyn std::any::Any>>,
}

impl Engine {
    pub fn new(funcs: FuncMap) -> Engine {
        Engine {
            funcs,
            trees: RefCell::new(HashMap::new()),
            main: RefCell::new(String::new()),
            host: None,
        }
    }

    /// Go's built-ins only.
    pub fn builtins() -> FuncMap {
        let mut map = FuncMap::default();
        builtins::register(&mut map);
        map
    }

    /// Go's built-ins and sprig's `TxtFuncMap`.
    pub fn with_sprig() -> FuncMap {
        let mut map = Engine::builtins();
        sprig::register(&mut map);
        map
    }

    /// Parses `text` as template `name` (and what it defines), replacing same-named templates
    /// unless the new one is empty, as Go's `Template.New(name).Parse(text)` does.
    pub fn parse(&self, name: &str, text: &str) -> Result<(), ParseError> {
        let funcs = &self.funcs;
        let trees = parse::parse(name, text, &|f| funcs.contains(f))?;
        let mut set = self.trees.borrow_mut();
        if self.main.borrow().is_empty() {
            *self.main.borrow_mut() = name.to_owned();
        }
        for (tree_name, tree) in trees {
            if let Some(old) = set.get(&tree_name)
                && is_empty_list(&tree.root)
                && !is_empty_list(&old.root)
            {
                continue;
            }
            set.insert(tree_name, Rc::new(tree));
        }
        Ok(())
    }

    pub fn lookup(&self, name: &str) -> Option<Rc<Tree>> {
        self.trees.borrow().get(name).cloned()
    }

    pub fn main_name(&self) -> String {
        self.main.borrow().clone()
    }

    /// Renders template `name` with `data` as dot and `$`.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, Error> {
        self.run(name, data, false).map(|(out, _)| out)
    }

    /// As [`Engine::execute`], also returning where each piece of output came from in the
    /// template's own text (not in the templates it calls).
    pub fn execute_traced(&self, name: &str, data: &Value) -> Result<(String, Vec<Span>), Error> {
        self.run(name, data, true)
    }

    fn run(&self, name: &str, data: &Value, trace: bool) -> Result<(String, Vec<Span>), Error> {
        let Some(tree) = self.lookup(name) else {
            return Err(Error::Exec(ExecError {
                message: format!(
                    "template: no template {} associated with template {}",
                    strconv::quote(name),
                    strconv::quote(&self.main_name())
                ),
                location: None,
            }));
        };
        // Go's reflect.ValueOf(nil) is the invalid value, not a nil interface.
        let data = if data.is_nil() { &Value::Missing } else { data };
        let mut exec = exec::Exec::new(self, tree, data.clone(), 0);
        if trace {
            exec.trace = Some(Vec::new());
        }
        exec.run_traced(data).map_err(Error::Exec)
    }
}

/// Parses and renders one template text with Go's built-ins and sprig.
pub fn render(name: &str, text: &str, data: &Value) -> Result<String, Error> {
    let engine = Engine::new(Engine::with_sprig());
    engine.parse(name, text).map_err(Error::Parse)?;
    engine.execute(name, data)
}

#[cfg(test)]
mod tests;
