//! The parser: a port of Go's `text/template/parse` recursive descent (same grammar, same
//! variable scoping, same error texts), building [`Tree`]s into a set keyed by template name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use super::funcs::FnvBuild;
use super::lex::{Kind, Lexer, MAX_INPUT, Token, line_at};
use super::node::{Arg, Branch, Command, List, Node, Number, Pipe, Substr, Tree, is_empty_list};
use super::strconv;

/// Nesting deeper than this is refused so that hostile input cannot exhaust the stack.
const MAX_NESTING: usize = 1000;

/// A parse error, already in Go's words: `template: NAME:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub name: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

/// Parses `text` as the template `name` and the templates it defines, as Go's `parse.Parse`.
pub fn parse(
    name: &str,
    text: &str,
    has_function: &dyn Fn(&str) -> bool,
) -> Result<HashMap<String, Tree>, ParseError> {
    if text.len() > MAX_INPUT {
        return Err(ParseError {
            name: name.to_owned(),
            line: 1,
            message: "template larger than 4 GiB".to_owned(),
        });
    }
    let mut lexer = Lexer::new(text);
    let first = lexer.token(0);
    let shared: Rc<str> = Rc::from(text);
    let mut p = Parser {
        input: text,
        lexer,
        furthest_pos: first.pos(),
        index: 0,
        furthest: 0,
        parse_name: Rc::from(name),
        text: shared,
        vars: vec!["$"],
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
        interned: Interned::default(),
        range_depth: 0,
        depth: 0,
        action_pos: None,
        has_function,
        tree_set: HashMap::new(),
    };
    let root = p.parse_top()?;
    p.add(name.to_owned(), root)?;
    Ok(p.tree_set)
}

struct Parser<'a> {
    input: &'a str,
    /// Keeps the tokens from the current text or action's on (see `text_or_action`).
    lexer: Lexer<'a>,
    /// The number of the current token; it stays on the final token once there.
    index: usize,
    /// The furthest token read and its offset, whose line errors report (as Go does).
    furthest: usize,
    furthest_pos: usize,
    parse_name: Rc<str>,
    text: Rc<str>,
    vars: Vec<&'a str>,
    /// The nodes, commands and arguments of the lists, pipelines and commands being parsed,
    /// innermost last: each is moved into a vector of its exact size when complete, where
    /// growing each vector from empty would leave most of it unused.
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
    interned: Interned<'a>,
    range_depth: usize,
    depth: usize,
    /// Where the action being parsed starts.
    action_pos: Option<usize>,
    has_function: &'a dyn Fn(&str) -> bool,
    tree_set: HashMap<String, Tree>,
}

/// The constants and field names of a template, parsed once and shared by every place that
/// writes them the same (a generated werf.yaml repeats a few thousands of times), keyed by
/// their text.
#[derive(Default)]
struct Interned<'a> {
    strings: HashMap<&'a str, Rc<str>, FnvBuild>,
    numbers: HashMap<&'a str, Rc<Number>, FnvBuild>,
    idents: HashMap<&'a str, Rc<[Substr]>, FnvBuild>,
}

type R<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn next(&mut self) -> Token {
        let token = self.lexer.token(self.index);
        if self.index >= self.furthest {
            self.furthest = self.index;
            self.furthest_pos = token.pos();
        }
        if !is_final(&token) {
            self.index += 1;
        }
        token
    }

    fn backup(&mut self) {
        self.index -= 1;
    }

    fn peek(&mut self) -> Token {
        self.lexer.token(self.index)
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let token = self.next();
            if token.kind != Kind::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let token = self.next_non_space();
        self.backup_one(&token);
        token
    }

    /// Backs up over `token`, unless it is the final EOF/error token (which `next` repeats).
    fn backup_one(&mut self, token: &Token) {
        if !is_final(token) {
            self.backup();
            return;
        }
        let current = self.peek();
        if !(is_final(&current) && current.pos() == token.pos()) {
            self.backup();
        }
    }

    /// The text of `token` (a token of the input, not an error) from byte `skip` on, shared.
    fn substr(&self, token: &Token, skip: usize) -> Substr {
        Substr::new(&self.text, token.pos() + skip..token.end())
    }

    fn errorf(&self, message: String) -> ParseError {
        ParseError {
            name: self.parse_name.to_string(),
            line: line_at(self.input, self.furthest_pos),
            message,
        }
    }

    fn unexpected(&self, token: &Token, context: &str) -> ParseError {
        if token.kind == Kind::Error {
            let message = self.lexer.error_message();
            let mut extra = String::new();
            let action_line = self.action_pos.map(|pos| line_at(self.input, pos));
            if let Some(action_line) = action_line
                && action_line != line_at(self.input, token.pos())
            {
                extra = format!(" in action started at {}:{}", self.parse_name, action_line);
                if message.ends_with(" action") {
                    extra = extra[" in action".len()..].to_owned();
                }
            }
            return self.errorf(format!("{message}{extra}"));
        }
        self.errorf(format!(
            "unexpected {} in {context}",
            token.describe(self.input)
        ))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> R<Token> {
        let token = self.next_non_space();
        if token.kind != kind {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn add(&mut self, name: String, root: List) -> R<()> {
        match self.tree_set.get(&name) {
            Some(existing) if !is_empty_list(&existing.root) => {
                if !is_empty_list(&root) {
                    return Err(self.errorf(format!(
                        "template: multiple definition of template {}",
                        strconv::quote(&name)
                    )));
                }
            }
            _ => {
                let tree = Tree {
                    name: name.clone(),
                    parse_name: self.parse_name.clone(),
                    text: self.text.clone(),
                    root,
                };
                self.tree_set.insert(name, tree);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> R<List> {
        let pos = self.peek().pos();
        let first_node = self.nodes.len();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let mark = self.index;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.index = mark;
            }
            let node = self.text_or_action()?;
            match node {
                Item::End => return Err(self.errorf("unexpected {{end}}".to_owned())),
                Item::Else { .. } => return Err(self.errorf("unexpected {{else}}".to_owned())),
                Item::Node(node) => self.nodes.push(node),
            }
        }
        Ok(List {
            pos,
            nodes: self.nodes.split_off(first_node).into_boxed_slice(),
        })
    }

    fn parse_definition(&mut self) -> R<()> {
        let context = "define clause";
        let token = self.next_non_space();
        if token.kind != Kind::String && token.kind != Kind::RawString {
            return Err(self.unexpected(&token, context));
        }
        let name = strconv::unquote(token.val(self.input))
            .map_err(|e| self.errorf(e))?
            .into_owned();
        self.expect(Kind::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let (root, end) = self.item_list()?;
        self.vars = saved_vars;
        if !matches!(end, Stop::End) {
            return Err(self.errorf(format!("unexpected {} in {context}", end.describe())));
        }
        self.add(name, root)
    }

    fn item_list(&mut self) -> R<(List, Stop)> {
        // Nesting recurses; grow the stack rather than overflow whatever thread parses.
        stacker::maybe_grow(64 << 10, 1 << 20, || self.item_list_here())
    }

    fn item_list_here(&mut self) -> R<(List, Stop)> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.errorf(format!("nesting deeper than {MAX_NESTING} levels")));
        }
        let pos = self.peek_non_space().pos();
        let first_node = self.nodes.len();
        while self.peek_non_space().kind != Kind::Eof {
            let stop = match self.text_or_action()? {
                Item::Node(node) => {
                    self.nodes.push(node);
                    continue;
                }
                Item::End => Stop::End,
                Item::Else { pos, has_if } => Stop::Else { pos, has_if },
            };
            self.depth -= 1;
            let nodes = self.nodes.split_off(first_node).into_boxed_slice();
            return Ok((List { pos, nodes }, stop));
        }
        Err(self.errorf("unexpected EOF".to_owned()))
    }

    fn text_or_action(&mut self) -> R<Item> {
        // Nothing backs up before the start of a text or action: forget the tokens read so far
        // so that memory does not grow with the template.
        self.lexer.forget_before(self.index);
        let token = self.next_non_space();
        match token.kind {
            Kind::Text => Ok(Item::Node(Node::Text {
                pos: token.pos(),
                text: self.substr(&token, 0),
            })),
            Kind::LeftDelim => {
                self.action_pos = Some(token.pos());
                let result = self.action();
                self.action_pos = None;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> R<Item> {
        let token = self.next_non_space();
        match token.kind {
            Kind::Block => return self.block_control().map(Item::Node),
            Kind::Break | Kind::Continue => {
                let word = if token.kind == Kind::Break {
                    "break"
                } else {
                    "continue"
                };
                let next = self.next_non_space();
                if next.kind != Kind::RightDelim {
                    return Err(self.unexpected(&next, &format!("{{{{{word}}}}}")));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{{{{{word}}}}} outside {{{{range}}}}")));
                }
                return Ok(Item::Node(if token.kind == Kind::Break {
                    Node::Break { pos: token.pos() }
                } else {
                    Node::Continue { pos: token.pos() }
                }));
            }
            Kind::Else => return self.else_control(),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Kind::If => return self.if_control().map(Item::Node),
            Kind::Range => {
                let b = self.parse_control(false, "range")?;
                return Ok(Item::Node(Node::Range(Box::new(b))));
            }
            Kind::Template => return self.template_control().map(Item::Node),
            Kind::With => {
                let b = self.parse_control(false, "with")?;
                return Ok(Item::Node(Node::With(Box::new(b))));
            }
            _ => {}
        }
        self.backup_one(&token);
        let token = self.peek();
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Item::Node(Node::Action {
            pos: token.pos(),
            pipe,
        }))
    }

    fn if_control(&mut self) -> R<Node> {
        Ok(Node::If(Box::new(self.parse_control(true, "if")?)))
    }

    fn else_control(&mut self) -> R<Item> {
        let peek = self.peek_non_space();
        if peek.kind == Kind::If {
            return Ok(Item::Else {
                pos: peek.pos(),
                has_if: true,
            });
        }
        let token = self.expect(Kind::RightDelim, "else")?;
        Ok(Item::Else {
            pos: token.pos(),
            has_if: false,
        })
    }

    fn parse_control(&mut self, allow_else_if: bool, context: &str) -> R<Branch> {
        let vars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        match next {
            Stop::End => {}
            Stop::Else { pos, has_if } => {
                if allow_else_if && has_if {
                    // "{{else if" is "{{else}}{{if" with one shared {{end}}.
                    self.next_non_space();
                    let node = self.if_control()?;
                    else_list = Some(List {
                        pos,
                        nodes: Box::new([node]),
                    });
                } else {
                    if has_if {
                        // Only `if` may chain an else clause; Go then meets `if` as input.
                        let token = self.next_non_space();
                        return Err(self.unexpected(&token, "input"));
                    }
                    let (list, next) = self.item_list()?;
                    if !matches!(next, Stop::End) {
                        return Err(self.errorf(format!("expected end; found {}", next.describe())));
                    }
                    else_list = Some(list);
                }
            }
        }
        self.vars.truncate(vars);
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> R<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (root, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if !matches!(end, Stop::End) {
            return Err(self.errorf(format!("unexpected {} in {context}", end.describe())));
        }
        self.add(name.clone(), root)?;
        Ok(Node::Template {
            pos: token.pos(),
            name,
            pipe: Some(Box::new(pipe)),
        })
    }

    fn template_control(&mut self) -> R<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let mut pipe = None;
        let next = self.next_non_space();
        if next.kind != Kind::RightDelim {
            self.backup_one(&next);
            pipe = Some(Box::new(self.pipeline(context, Kind::RightDelim)?));
        }
        Ok(Node::Template {
            pos: token.pos(),
            name,
            pipe,
        })
    }

    fn template_name(&self, token: &Token, context: &str) -> R<String> {
        match token.kind {
            Kind::String | Kind::RawString => strconv::unquote(token.val(self.input))
                .map(Cow::into_owned)
                .map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> R<Pipe> {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.pipeline_here(context, end))
    }

    fn pipeline_here(&mut self, context: &str, end: Kind) -> R<Pipe> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.errorf(format!("nesting deeper than {MAX_NESTING} levels")));
        }
        let pos = self.peek_non_space().pos();
        let mut is_assign = false;
        let mut decl = Vec::new();
        let first_cmd = self.cmds.len();
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let mark = self.index;
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    decl.push((v.pos(), self.substr(&v, 0)));
                    self.vars.push(v.val(self.input));
                }
                Kind::Char if next.val(self.input) == "," => {
                    self.next_non_space();
                    decl.push((v.pos(), self.substr(&v, 0)));
                    self.vars.push(v.val(self.input));
                    if context == "range" && decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => {
                                continue 'decls;
                            }
                            _ => {
                                return Err(
                                    self.errorf("range can only initialize variables".to_owned())
                                );
                            }
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ if after.kind == Kind::Space => self.index = mark,
                _ => self.index = mark,
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.kind {
                k if k == end => {
                    let pipe = Pipe {
                        pos,
                        is_assign,
                        decl: decl.into_boxed_slice(),
                        cmds: self.cmds.split_off(first_cmd).into_boxed_slice(),
                    };
                    self.check_pipeline(&pipe, context)?;
                    self.depth -= 1;
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup_one(&token);
                    let cmd = self.command()?;
                    self.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> R<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args[0],
                Arg::Bool { .. }
                    | Arg::Dot { .. }
                    | Arg::Nil { .. }
                    | Arg::Number { .. }
                    | Arg::String { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> R<Command> {
        let pos = self.peek_non_space().pos();
        let first_arg = self.args.len();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                self.args.push(operand);
            }
            let token = self.next();
            match token.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup_one(&token),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if self.args.len() == first_arg {
            return Err(self.errorf("empty command".to_owned()));
        }
        Ok(Command {
            pos,
            args: self.args.split_off(first_arg).into_boxed_slice(),
        })
    }

    fn operand(&mut self) -> R<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos();
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let field = self.next();
            fields.push(self.substr(&field, 1));
        }
        Ok(Some(match node {
            Arg::Field { idents, .. } => Arg::Field {
                pos,
                idents: idents.iter().cloned().chain(fields).collect(),
            },
            Arg::Variable { idents, .. } => Arg::Variable {
                pos,
                idents: idents.iter().cloned().chain(fields).collect(),
            },
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                let shown = node.to_string();
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    strconv::quote(&shown)
                )));
            }
            node => Arg::Chain {
                pos,
                node: Box::new(node),
                fields,
            },
        }))
    }

    fn term(&mut self) -> R<Option<Arg>> {
        let token = self.next_non_space();
        Ok(Some(match token.kind {
            Kind::Identifier => {
                if !(self.has_function)(token.val(self.input)) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        strconv::quote(token.val(self.input))
                    )));
                }
                Arg::Identifier {
                    name: self.substr(&token, 0),
                }
            }
            Kind::Dot => Arg::Dot { pos: token.pos() },
            Kind::Nil => Arg::Nil { pos: token.pos() },
            Kind::Variable => {
                let text = &self.text;
                let idents = self
                    .interned
                    .idents
                    .entry(token.val(self.input))
                    .or_insert_with_key(|val| {
                        let mut start = token.pos();
                        let mut idents = Vec::new();
                        for part in val.split('.') {
                            idents.push(Substr::new(text, start..start + part.len()));
                            start += part.len() + 1;
                        }
                        idents.into()
                    })
                    .clone();
                if !self.vars.iter().any(|v| *v == &*idents[0]) {
                    return Err(
                        self.errorf(format!("undefined variable {}", strconv::quote(&idents[0])))
                    );
                }
                Arg::Variable {
                    pos: token.pos(),
                    idents,
                }
            }
            Kind::Field => {
                let text = &self.text;
                let idents = self
                    .interned
                    .idents
                    .entry(token.val(self.input))
                    .or_insert_with(|| Rc::new([Substr::new(text, token.pos() + 1..token.end())]))
                    .clone();
                Arg::Field {
                    pos: token.pos(),
                    idents,
                }
            }
            Kind::Bool => Arg::Bool {
                pos: token.pos(),
                value: token.val(self.input) == "true",
            },
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                let val = token.val(self.input);
                let number = match self.interned.numbers.get(val) {
                    Some(number) => number.clone(),
                    None => {
                        let number = new_number(self.substr(&token, 0), token.kind)
                            .map_err(|e| self.errorf(e))?;
                        let number = Rc::new(number);
                        self.interned.numbers.insert(val, number.clone());
                        number
                    }
                };
                Arg::Number {
                    pos: token.pos(),
                    number,
                }
            }
            Kind::LeftParen => Arg::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", Kind::RightParen)?,
            )),
            Kind::String | Kind::RawString => {
                let quoted = token.val(self.input);
                let text = match self.interned.strings.get(quoted) {
                    Some(text) => text.clone(),
                    None => {
                        let text = strconv::unquote(quoted).map_err(|e| self.errorf(e))?;
                        let text: Rc<str> = Rc::from(&*text);
                        self.interned.strings.insert(quoted, text.clone());
                        text
                    }
                };
                Arg::String {
                    quoted: self.substr(&token, 0),
                    text,
                }
            }
            _ => {
                self.backup_one(&token);
                return Ok(None);
            }
        }))
    }
}

fn is_final(token: &Token) -> bool {
    matches!(token.kind, Kind::Eof | Kind::Error)
}

/// What `text_or_action` read: a node, or the `{{end}}`/`{{else}}` that closes a list.
enum Item {
    Node(Node),
    End,
    Else { pos: usize, has_if: bool },
}

/// What `item_list` stopped at.
enum Stop {
    End,
    Else { pos: usize, has_if: bool },
}

impl Stop {
    fn describe(&self) -> &'static str {
        match self {
            Stop::End => "{{end}}",
            Stop::Else { .. } => "{{else}}",
        }
    }
}

/// Go's `newNumber`: every interpretation of a numeric constant that fits.
fn new_number(source: Substr, kind: Kind) -> Result<Number, String> {
    let mut n = Number {
        text: source.clone(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int: 0,
        uint: 0,
        float: 0.0,
    };
    let text = &*source;
    if kind == Kind::CharConstant {
        let inner = &text[1..];
        let (c, tail) = strconv::unquote_char(inner, '\'')?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int = c as i64;
        n.uint = c as u64;
        n.float = c as u32 as f64;
        n.is_int = true;
        n.is_uint = true;
        n.is_float = true;
        return Ok(n);
    }
    if kind == Kind::Complex
        || (text.ends_with('i') && strconv::parse_float(&text[..text.len() - 1]).is_some())
    {
        return Err(format!("complex constants are not supported: {text}"));
    }
    let uint = strconv::parse_uint(text);
    if let Some(u) = uint {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = strconv::parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = uint.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = strconv::parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", strconv::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", strconv::quote(text)));
    }
    Ok(n)
}
