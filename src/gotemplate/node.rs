//! The parse tree, shaped like Go's `text/template/parse` nodes; `Display` prints a node the way
//! Go's `String()` does, which error messages quote as their context (`at <.Foo>`).

use std::fmt::{self, Debug, Display, Formatter, Write};
use std::ops::{Deref, Range};
use std::rc::Rc;

/// One parsed template: its name, the name of the text it came from (for error locations) and
/// that text (to turn byte offsets into lines and columns).
#[derive(Debug)]
pub struct Tree {
    pub name: String,
    pub parse_name: Rc<str>,
    pub text: Rc<str>,
    pub root: List,
}

/// A piece of a template's text: the names, literal text and constants of a tree share the text
/// they were parsed from rather than each owning a copy (a large template has tens of thousands).
/// Offsets are u32s, as the parser takes templates under 4 GiB.
#[derive(Clone)]
pub struct Substr {
    text: Rc<str>,
    start: u32,
    end: u32,
}

impl Substr {
    /// `text[range]`; `range` must lie on character boundaries, below 4 GiB.
    pub fn new(text: &Rc<str>, range: Range<usize>) -> Substr {
        let offset = |i: usize| u32::try_from(i).expect("template text under 4 GiB");
        Substr {
            text: text.clone(),
            start: offset(range.start),
            end: offset(range.end),
        }
    }

    /// Where the piece starts in the text.
    pub fn start(&self) -> usize {
        self.start as usize
    }
}

impl From<&str> for Substr {
    fn from(s: &str) -> Substr {
        Substr::new(&Rc::from(s), 0..s.len())
    }
}

impl Deref for Substr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text[self.start as usize..self.end as usize]
    }
}

impl Debug for Substr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Debug::fmt(&**self, f)
    }
}

impl Display for Substr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

// The tree's sequences are boxed slices: built once at their exact size, and a third smaller
// than a Vec in the nodes that hold them.
#[derive(Debug, Clone)]
pub struct List {
    pub pos: usize,
    pub nodes: Box<[Node]>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Text {
        pos: usize,
        text: Substr,
    },
    Comment {
        pos: usize,
        text: String,
    },
    Action {
        pos: usize,
        pipe: Pipe,
    },
    // Boxed, as rarer and larger than the other nodes, which lists hold by the thousand.
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Box<Pipe>>,
    },
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    /// Declared variables, each with its position.
    pub decl: Box<[(usize, Substr)]>,
    pub cmds: Box<[Command]>,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub pos: usize,
    pub args: Box<[Arg]>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// At `name.start()`.
    Identifier {
        name: Substr,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    /// `.A.B`: the identifiers without dots (shared by the chains written the same).
    Field {
        pos: usize,
        idents: Rc<[Substr]>,
    },
    /// `$x.A`: the variable name (with `$`) then the fields.
    Variable {
        pos: usize,
        idents: Rc<[Substr]>,
    },
    Bool {
        pos: usize,
        value: bool,
    },
    /// The value is shared by the constants written the same.
    Number {
        pos: usize,
        number: Rc<Number>,
    },
    /// At `quoted.start()`.
    String {
        quoted: Substr,
        /// Shared with every value the constant evaluates to.
        text: Rc<str>,
    },
    Pipe(Box<Pipe>),
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<Substr>,
    },
}

/// A numeric constant with every interpretation that fits, as Go's `NumberNode`.
#[derive(Debug, Clone)]
pub struct Number {
    pub text: Substr,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { name } => name.start(),
            Arg::String { quoted, .. } => quoted.start(),
            Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Number { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl Node {
    pub fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Comment { pos, .. }
            | Node::Action { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break { pos }
            | Node::Continue { pos } => *pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
        }
    }
}

/// Go's `parse.IsEmptyTree`: only whitespace text and comments.
pub fn is_empty_list(list: &List) -> bool {
    list.nodes.iter().all(|node| match node {
        Node::Comment { .. } => true,
        Node::Text { text, .. } => text.trim_matches(|c: char| c.is_whitespace()).is_empty(),
        _ => false,
    })
}

/// How text nodes print: Go prints them bare, its parse tests quoted.
#[derive(Clone, Copy)]
pub enum TextStyle {
    Plain,
    Quoted,
}

pub struct Show<'a>(pub &'a List, pub TextStyle);

impl Display for Show<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_list(f, self.0, self.1)
    }
}

fn write_list(f: &mut Formatter<'_>, list: &List, style: TextStyle) -> fmt::Result {
    for node in &list.nodes {
        write_node(f, node, style)?;
    }
    Ok(())
}

fn write_node(f: &mut Formatter<'_>, node: &Node, style: TextStyle) -> fmt::Result {
    match node {
        Node::Text { text, .. } => match style {
            TextStyle::Plain => f.write_str(text),
            TextStyle::Quoted => f.write_str(&super::strconv::quote(text)),
        },
        Node::Comment { text, .. } => write!(f, "{{{{{text}}}}}"),
        Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
        Node::If(b) => write_branch(f, "if", b, style),
        Node::Range(b) => write_branch(f, "range", b, style),
        Node::With(b) => write_branch(f, "with", b, style),
        Node::Template { name, pipe, .. } => {
            write!(f, "{{{{template {}", super::strconv::quote(name))?;
            if let Some(pipe) = pipe {
                write!(f, " {pipe}")?;
            }
            f.write_str("}}")
        }
        Node::Break { .. } => f.write_str("{{break}}"),
        Node::Continue { .. } => f.write_str("{{continue}}"),
    }
}

fn write_branch(f: &mut Formatter<'_>, name: &str, b: &Branch, style: TextStyle) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}", b.pipe)?;
    write_list(f, &b.list, style)?;
    if let Some(else_list) = &b.else_list {
        f.write_str("{{else}}")?;
        write_list(f, else_list, style)?;
    }
    f.write_str("{{end}}")
}

impl Display for Node {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_node(f, self, TextStyle::Plain)
    }
}

impl Display for Pipe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, (_, name)) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
            }
            f.write_str(" := ")?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(pipe) = arg {
                write!(f, "({pipe})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Field { idents, .. } => {
                for ident in idents.iter() {
                    write!(f, ".{ident}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => {
                for (i, ident) in idents.iter().enumerate() {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    f.write_str(ident)?;
                }
                Ok(())
            }
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number { number, .. } => f.write_str(&number.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(pipe) => write!(f, "{pipe}"),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(pipe) = node.as_ref() {
                    write!(f, "({pipe})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
        }
    }
}
