//! The executor: walks a parse tree with Go's semantics (variables and scopes, field chains on
//! maps, pipelines passing the final argument, `if`/`with`/`range`/`template`, break and
//! continue) and calls functions through their declared signatures.

use std::fmt::Display;
use std::rc::Rc;

use super::Engine;
use super::funcs::{Func, Imp, Signature, Ty};
use super::node::{Arg, Branch, Command, List, Node, Pipe, Substr, Tree};
use super::printf;
use super::value::Value;

/// How deep `{{template}}`, `include` and `tpl` may nest before the render stops.
pub const MAX_DEPTH: usize = 1000;

/// An execution error in Go's words: `template: NAME:LINE:COL: executing "NAME" at <NODE>: MSG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub message: String,
    /// The template's source name, line (1-based) and column (0-based byte, as Go counts).
    pub location: Option<(String, usize, usize)>,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

type R<T> = Result<T, ExecError>;

enum Flow {
    Normal,
    Break,
    Continue,
}

/// Where a piece of the main template's output came from: output byte offset, source byte
/// offset, and whether it is literal text (whose lines follow the source's lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub out: usize,
    pub src: usize,
    pub text: bool,
}

pub struct Exec<'e> {
    pub engine: &'e Engine,
    tree: Rc<Tree>,
    /// Variables in scope, innermost last; names share the template's text.
    vars: Vec<(Substr, Value)>,
    /// The evaluated arguments of the calls being made, innermost last: one vector for all
    /// calls instead of one per call.
    argv: Vec<Value>,
    out: String,
    pub depth: usize,
    /// Filled for the main template when the caller wants a line map of the output.
    pub trace: Option<Vec<Span>>,
}

impl<'e> Exec<'e> {
    pub fn new(engine: &'e Engine, tree: Rc<Tree>, data: Value, depth: usize) -> Self {
        Exec {
            engine,
            tree,
            vars: vec![(Substr::from("$"), data)],
            argv: Vec::new(),
            out: String::new(),
            depth,
            trace: None,
        }
    }

    /// Runs the tree and returns what it printed.
    pub fn run(self, dot: &Value) -> R<String> {
        self.run_traced(dot).map(|(out, _)| out)
    }

    /// Runs the tree and returns what it printed with the spans it recorded.
    pub fn run_traced(mut self, dot: &Value) -> R<(String, Vec<Span>)> {
        let tree = self.tree.clone();
        // The parser only accepts break/continue inside a range, so the flow ends normal.
        self.walk_list(dot, &tree.root)?;
        Ok((self.out, self.trace.unwrap_or_default()))
    }

    /// An error at byte `pos` of the current template, quoting `context` as Go does.
    pub fn error_at(&self, pos: usize, context: &dyn Display, message: impl Display) -> ExecError {
        let text = &self.tree.text[..pos.min(self.tree.text.len())];
        let line = 1 + text.matches('\n').count();
        let col = match text.rfind('\n') {
            Some(i) => pos - i - 1,
            None => pos,
        };
        ExecError {
            message: format!(
                "template: {}:{}:{}: executing {} at <{}>: {}",
                self.tree.parse_name,
                line,
                col,
                super::strconv::quote(&self.tree.name),
                context,
                message
            ),
            location: Some((self.tree.parse_name.to_string(), line, col)),
        }
    }

    fn walk_list(&mut self, dot: &Value, list: &List) -> R<Flow> {
        for node in &list.nodes {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        // Templates, include and tpl recurse up to MAX_DEPTH; grow the stack rather than
        // overflow whatever thread renders.
        stacker::maybe_grow(64 << 10, 1 << 20, || self.walk_here(dot, node))
    }

    fn walk_here(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        if let Some(trace) = &mut self.trace
            && matches!(
                node,
                Node::Text { .. } | Node::Action { .. } | Node::Template { .. }
            )
        {
            trace.push(Span {
                out: self.out.len(),
                src: node.pos(),
                text: matches!(node, Node::Text { .. }),
            });
        }
        match node {
            Node::Text { text, .. } => self.out.push_str(text),
            Node::Comment { .. } => {}
            Node::Action { pipe, .. } => {
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(&value);
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, b, node),
            Node::Template { pos, name, pipe } => {
                let Some(tree) = self.engine.lookup(name) else {
                    return Err(self.error_at(
                        *pos,
                        node,
                        format!("template {} not defined", super::strconv::quote(name)),
                    ));
                };
                if self.depth >= MAX_DEPTH {
                    return Err(self.error_at(
                        *pos,
                        node,
                        format!("exceeded maximum template depth ({MAX_DEPTH})"),
                    ));
                }
                let new_dot = match pipe {
                    Some(pipe) => self.eval_pipeline(dot, pipe)?,
                    None => Value::Missing,
                };
                let inner = Exec::new(self.engine, tree, new_dot.clone(), self.depth + 1);
                let printed = inner.run(&new_dot)?;
                self.out.push_str(&printed);
            }
        }
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, value: &Value) {
        match value {
            Value::Missing => self.out.push_str("<no value>"),
            other => printf::write_display(&mut self.out, other),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Value, b: &Branch) -> R<Flow> {
        let mark = self.vars.len();
        let value = self.eval_pipeline(dot, &b.pipe)?;
        let flow = if value.truth() {
            if with {
                self.walk_list(&value, &b.list)?
            } else {
                self.walk_list(dot, &b.list)?
            }
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Value, b: &Branch, node: &Node) -> R<Flow> {
        let mark = self.vars.len();
        let value = self.eval_pipeline(dot, &b.pipe)?;
        let inner_mark = self.vars.len();
        let items: Vec<(Value, Value)> = match &value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::Map(entries) => entries
                .borrow()
                .iter()
                .map(|(k, v)| (Value::str(k.as_str()), v.clone()))
                .collect(),
            Value::Missing | Value::Nil => Vec::new(),
            other => {
                return Err(self.error_at(
                    b.pos,
                    node,
                    format!("range can't iterate over {}", printf::display(other)),
                ));
            }
        };
        let mut flow = Flow::Normal;
        if items.is_empty() {
            if let Some(else_list) = &b.else_list {
                flow = self.walk_list(dot, else_list)?;
            }
        } else {
            for (index, elem) in items {
                if !b.pipe.decl.is_empty() {
                    self.set_top_var(1, elem.clone());
                }
                if b.pipe.decl.len() > 1 {
                    self.set_top_var(2, index);
                }
                let result = self.walk_list(&elem, &b.list)?;
                self.vars.truncate(inner_mark);
                if matches!(result, Flow::Break) {
                    break;
                }
            }
        }
        self.vars.truncate(mark);
        // In the else branch, Go's range still catches a break (ending itself), while a
        // continue reaches the enclosing range's iteration.
        Ok(match flow {
            Flow::Continue => Flow::Continue,
            Flow::Normal | Flow::Break => Flow::Normal,
        })
    }

    fn set_top_var(&mut self, n: usize, value: Value) {
        let len = self.vars.len();
        self.vars[len - n].1 = value;
    }

    fn var_value(&self, name: &str, pos: usize, node: &dyn Display) -> R<Value> {
        for (var, value) in self.vars.iter().rev() {
            if **var == *name {
                return Ok(value.clone());
            }
        }
        Err(self.error_at(pos, node, format!("undefined variable: {name}")))
    }

    pub fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.eval_pipeline_here(dot, pipe))
    }

    fn eval_pipeline_here(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let mut v = self.eval_command(dot, cmd, value.take())?;
            if matches!(v, Value::Nil) {
                // Go turns a nil interface result into an invalid value ("lovely!").
                v = Value::Missing;
            }
            value = Some(v);
        }
        let value = value.unwrap_or(Value::Missing);
        for (pos, name) in &pipe.decl {
            if pipe.is_assign {
                let Some(slot) = self.vars.iter_mut().rev().find(|(var, _)| **var == **name) else {
                    return Err(self.error_at(*pos, pipe, format!("undefined variable: {name}")));
                };
                slot.1 = value.clone();
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, cmd: &Command, final_: &Option<Value>) -> R<()> {
        if cmd.args.len() > 1 || final_.is_some() {
            let first = &cmd.args[0];
            return Err(self.error_at(
                first.pos(),
                first,
                format!("can't give argument to non-function {first}"),
            ));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { pos, idents } => {
                self.eval_field_chain(dot, dot.clone(), *pos, first, idents, &cmd.args, final_)
            }
            Arg::Chain { .. } => self.eval_chain(dot, first, &cmd.args, final_),
            // Go reports a failing call at the whole command.
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, cmd.pos, name, cmd, &cmd.args, final_)
            }
            Arg::Pipe(pipe) => {
                self.not_a_function(cmd, &final_)?;
                self.eval_pipeline(dot, pipe)
            }
            Arg::Variable { pos, idents } => {
                let value = self.var_value(&idents[0], *pos, first)?;
                if idents.len() == 1 {
                    self.not_a_function(cmd, &final_)?;
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, *pos, first, &idents[1..], &cmd.args, final_)
            }
            _ => {
                self.not_a_function(cmd, &final_)?;
                match first {
                    Arg::Bool { value, .. } => Ok(Value::Bool(*value)),
                    Arg::Dot { .. } => Ok(dot.clone()),
                    Arg::Nil { pos } => Err(self.error_at(*pos, first, "nil is not a command")),
                    Arg::Number { number, .. } => self.ideal_constant(number, first),
                    Arg::String { text, .. } => Ok(Value::Str(text.clone())),
                    _ => Err(self.error_at(first.pos(), first, "can't evaluate command")),
                }
            }
        }
    }

    fn ideal_constant(&self, n: &super::node::Number, node: &Arg) -> R<Value> {
        let text = &n.text;
        let is_hex = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if n.is_complex {
            return Err(self.error_at(node.pos(), node, "complex constants are not supported"));
        }
        if n.is_float && !is_hex && !is_rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return Err(self.error_at(node.pos(), node, format!("{text} overflows int")));
        }
        Ok(Value::Missing)
    }

    fn eval_chain(
        &mut self,
        dot: &Value,
        chain: &Arg,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let Arg::Chain { pos, node, fields } = chain else {
            return Ok(Value::Missing);
        };
        if let Arg::Nil { .. } = node.as_ref() {
            return Err(self.error_at(
                *pos,
                chain,
                format!("indirection through explicit nil in {chain}"),
            ));
        }
        let receiver = self.eval_arg_untyped(dot, node)?;
        self.eval_field_chain(dot, receiver, *pos, chain, fields, args, final_)
    }

    /// Go's `evalArg` with no type: the value as it is.
    fn eval_arg_untyped(&mut self, dot: &Value, arg: &Arg) -> R<Value> {
        match arg {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { pos, idents } => self.eval_field_chain(
                dot,
                dot.clone(),
                *pos,
                arg,
                idents,
                std::slice::from_ref(arg),
                None,
            ),
            Arg::Variable { pos, idents } => {
                let value = self.var_value(&idents[0], *pos, arg)?;
                if idents.len() == 1 {
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, *pos, arg, &idents[1..], &[], None)
            }
            Arg::Pipe(pipe) => self.eval_pipeline(dot, pipe),
            Arg::Identifier { name } => self.eval_function(dot, name.start(), name, arg, &[], None),
            Arg::Chain { .. } => self.eval_chain(dot, arg, &[], None),
            _ => self.eval_empty_interface(dot, arg),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        pos: usize,
        node: &Arg,
        idents: &[Substr],
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(dot, ident, pos, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], pos, node, args, final_, receiver)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        node: &Arg,
        args: &[Arg],
        final_: Option<Value>,
        receiver: Value,
    ) -> R<Value> {
        let has_args = args.len() > 1 || final_.is_some();
        match &receiver {
            Value::Missing => Ok(Value::Missing),
            Value::Nil => Err(self.error_at(
                pos,
                node,
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Value::Map(entries) => {
                if has_args {
                    return Err(self.error_at(
                        pos,
                        node,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                Ok(entries
                    .borrow()
                    .get(name)
                    .cloned()
                    .unwrap_or(Value::Missing))
            }
            Value::Object(object) => {
                let Some(signature) = object.method(name) else {
                    return Err(self.error_at(
                        pos,
                        node,
                        format!("can't evaluate field {name} in type {}", object.type_name()),
                    ));
                };
                let object = object.clone();
                let first = self.push_call_args(dot, signature, name, pos, node, args, final_)?;
                let result = object.call(name, &self.argv[first..]);
                self.argv.truncate(first);
                result
                    .map_err(|err| self.error_at(pos, node, format!("error calling {name}: {err}")))
            }
            other => Err(self.error_at(
                pos,
                node,
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        pos: usize,
        name: &str,
        node: &dyn Display,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let Some(func) = self.engine.funcs.get(name) else {
            return Err(self.error_at(
                pos,
                node,
                format!("{} is not a defined function", super::strconv::quote(name)),
            ));
        };
        self.eval_call(dot, func, name, pos, node, args, final_)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Value,
        func: Func,
        name: &str,
        pos: usize,
        node: &dyn Display,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        match func.imp {
            Imp::And | Imp::Or => {
                let rest = if args.is_empty() { args } else { &args[1..] };
                let num_in = rest.len() + usize::from(final_.is_some());
                if num_in < 1 {
                    return Err(self.error_at(
                        pos,
                        node,
                        format!("wrong number of args for {name}: want at least 1 got 0"),
                    ));
                }
                let or = matches!(func.imp, Imp::Or);
                let mut value = Value::Missing;
                for arg in rest {
                    value = self.eval_arg(dot, Ty::Reflect, arg)?;
                    if value.truth() == or {
                        return Ok(value);
                    }
                }
                if let Some(final_) = final_ {
                    value = final_;
                }
                Ok(value)
            }
            Imp::Native(f) => {
                let first = self.push_call_args(dot, func.sig, name, pos, node, args, final_)?;
                // The function gets the executor too: lend it the stack rather than copy the
                // arguments out of it.
                let argv = std::mem::take(&mut self.argv);
                let result = f(self, &argv[first..]);
                self.argv = argv;
                self.argv.truncate(first);
                result.map_err(|err| {
                    if err == super::sprig::refused::REFUSED {
                        let why = super::sprig::refused::reason(name).unwrap_or(err);
                        return self.error_at(pos, node, why);
                    }
                    self.error_at(pos, node, format!("error calling {name}: {err}"))
                })
            }
        }
    }

    /// Go's argument handling in `evalCall`: arity, then each argument evaluated against its
    /// parameter type, the piped final value last. The values go on `argv`, from the returned
    /// index on.
    #[allow(clippy::too_many_arguments)]
    fn push_call_args(
        &mut self,
        dot: &Value,
        sig: Signature,
        name: &str,
        pos: usize,
        node: &dyn Display,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<usize> {
        let rest = if args.is_empty() { args } else { &args[1..] };
        let num_in = rest.len() + usize::from(final_.is_some());
        let fixed = sig.params.len();
        match sig.variadic {
            Some(_) if num_in < fixed => {
                return Err(self.error_at(
                    pos,
                    node,
                    format!(
                        "wrong number of args for {name}: want at least {fixed} got {}",
                        rest.len()
                    ),
                ));
            }
            None if num_in != fixed => {
                return Err(self.error_at(
                    pos,
                    node,
                    format!("wrong number of args for {name}: want {fixed} got {num_in}"),
                ));
            }
            _ => {}
        }
        let ty_at = |i: usize| -> Ty {
            if i < fixed {
                sig.params[i]
            } else {
                sig.variadic.unwrap_or(Ty::Any)
            }
        };
        let first = self.argv.len();
        for (i, arg) in rest.iter().enumerate() {
            let value = self.eval_arg(dot, ty_at(i), arg)?;
            self.argv.push(value);
        }
        if let Some(final_) = final_ {
            let ty = ty_at(rest.len());
            let value = self.validate_type(final_, ty, pos, node)?;
            self.argv.push(value);
        }
        Ok(first)
    }

    /// Go's `validateType`: a value meets a parameter type.
    fn validate_type(&self, value: Value, ty: Ty, pos: usize, node: &dyn Display) -> R<Value> {
        let ok = match (&value, ty) {
            (Value::Missing, Ty::Any | Ty::Reflect | Ty::Map | Ty::List) => return Ok(Value::Nil),
            (Value::Missing, _) => {
                return Err(self.error_at(
                    pos,
                    node,
                    format!("invalid value; expected {}", ty.go_name()),
                ));
            }
            (_, Ty::Any | Ty::Reflect) => true,
            (Value::Nil, Ty::Map | Ty::List) => true,
            (Value::Str(_), Ty::Str)
            | (Value::Int(_), Ty::Int)
            | (Value::Int64(_), Ty::Int64)
            | (Value::Float(_), Ty::Float)
            | (Value::Bool(_), Ty::Bool)
            | (Value::Map(_), Ty::Map)
            | (Value::List(_), Ty::List) => true,
            _ => false,
        };
        if !ok {
            let got = if value.is_nil() {
                "interface {}"
            } else {
                value.type_name()
            };
            return Err(self.error_at(
                pos,
                node,
                format!("wrong type for value; expected {}; got {got}", ty.go_name()),
            ));
        }
        Ok(value)
    }

    /// Go's `evalArg`: evaluates an argument node for a parameter of type `ty`.
    pub fn eval_arg(&mut self, dot: &Value, ty: Ty, arg: &Arg) -> R<Value> {
        let pos = arg.pos();
        match arg {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), ty, pos, arg),
            Arg::Nil { .. } => {
                return match ty {
                    Ty::Any | Ty::Reflect | Ty::Map | Ty::List => Ok(Value::Nil),
                    _ => Err(self.error_at(
                        pos,
                        arg,
                        format!("cannot assign nil to {}", ty.go_name()),
                    )),
                };
            }
            Arg::Field { .. }
            | Arg::Variable { .. }
            | Arg::Pipe(_)
            | Arg::Identifier { .. }
            | Arg::Chain { .. } => {
                let value = self.eval_arg_untyped(dot, arg)?;
                return self.validate_type(value, ty, pos, arg);
            }
            _ => {}
        }
        match ty {
            Ty::Bool => match arg {
                Arg::Bool { value, .. } => Ok(Value::Bool(*value)),
                _ => Err(self.error_at(pos, arg, format!("expected bool; found {arg}"))),
            },
            Ty::Str => match arg {
                Arg::String { text, .. } => Ok(Value::Str(text.clone())),
                _ => Err(self.error_at(pos, arg, format!("expected string; found {arg}"))),
            },
            Ty::Int | Ty::Int64 => match arg {
                Arg::Number { number: n, .. } if n.is_int => Ok(if ty == Ty::Int {
                    Value::Int(n.int)
                } else {
                    Value::Int64(n.int)
                }),
                _ => Err(self.error_at(pos, arg, format!("expected integer; found {arg}"))),
            },
            Ty::Float => match arg {
                Arg::Number { number: n, .. } if n.is_float => Ok(Value::Float(n.float)),
                _ => Err(self.error_at(pos, arg, format!("expected float; found {arg}"))),
            },
            Ty::Any | Ty::Reflect => self.eval_empty_interface(dot, arg),
            Ty::Map | Ty::List => Err(self.error_at(
                pos,
                arg,
                format!("can't handle {arg} for arg of type {}", ty.go_name()),
            )),
        }
    }

    fn eval_empty_interface(&mut self, dot: &Value, arg: &Arg) -> R<Value> {
        match arg {
            Arg::Bool { value, .. } => Ok(Value::Bool(*value)),
            Arg::Number { number, .. } => self.ideal_constant(number, arg),
            Arg::String { text, .. } => Ok(Value::Str(text.clone())),
            Arg::Dot { .. } => Ok(dot.clone()),
            _ => self.eval_arg_untyped(dot, arg),
        }
    }

    /// Renders the named template with `data`, one level deeper (for `include` and `tpl`).
    pub fn execute_nested(&self, name: &str, data: Value) -> Result<String, String> {
        let Some(tree) = self.engine.lookup(name) else {
            return Err(format!(
                "template: no template {} associated with template {}",
                super::strconv::quote(name),
                super::strconv::quote(&self.engine.main_name())
            ));
        };
        if self.depth >= MAX_DEPTH {
            return Err(format!(
                "rendering template has a nested reference name: {name}: unable to execute template (more than {MAX_DEPTH} nested include/tpl calls)"
            ));
        }
        let inner = Exec::new(self.engine, tree, data.clone(), self.depth + 1);
        inner.run(&data).map_err(|err| err.message)
    }
}
