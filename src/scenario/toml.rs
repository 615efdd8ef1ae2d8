//! A small parser for the subset of TOML v1.0 (<https://toml.io/en/v1.0.0>) that scenario
//! files use, recording the line and column of every key and value so that later
//! validation errors can point at the exact value.
//!
//! Supported: comments, bare/quoted/dotted keys, `[table]` and `[[array of tables]]`
//! headers, the four kinds of strings, integers (decimal, hex, octal, binary), booleans,
//! arrays and inline tables. Floats and date-times are rejected with a clear error. Every
//! error has a position; hostile input cannot panic, overflow the stack (nesting is capped
//! at 32 levels) or take more than O(n log n) time. std only, so it builds for
//! wasm32 and stays small.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry as MapEntry;
use std::fmt;

/// The deepest nesting accepted: key segments (headers and dotted keys), arrays and
/// inline tables together, counted from the root table.
const MAX_DEPTH: usize = 32;

/// A 1-based position in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// The line, counting LF line ends (TOML v1.0, “Spec”: a newline is LF or CRLF).
    pub line: usize,
    /// The column, counting chars (not bytes); a skipped BOM does not count.
    pub column: usize,
}

impl Default for Pos {
    /// The start of the text: line 1, column 1.
    fn default() -> Self {
        Pos { line: 1, column: 1 }
    }
}

/// A file that is not in the supported TOML subset: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    /// Where the problem is (for unterminated strings, arrays and inline tables: the opening).
    pub pos: Pos,
    /// What is wrong, in words for the person who wrote the file.
    pub message: String,
}

impl fmt::Display for TomlError {
    /// `line L, column C: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.pos.line, self.pos.column, self.message)
    }
}

impl std::error::Error for TomlError {}

/// A TOML value of a supported type (TOML v1.0, “String”, “Integer”, “Boolean”, “Array”,
/// “Table”; inline tables and arrays of tables are tables and arrays here).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any of the four string forms, escapes resolved; CRLF in multi-line strings becomes LF.
    String(String),
    /// A 64-bit signed integer.
    Integer(i64),
    /// `true` or `false`.
    Boolean(bool),
    /// An array, or an array of tables (whose items are all tables).
    Array(Vec<Item>),
    /// A table: from a header, dotted keys or an inline table.
    Table(Table),
}

impl Value {
    /// `"string"`, `"integer"`, `"boolean"`, `"array"` or `"table"`, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Integer(_) => "integer",
            Value::Boolean(_) => "boolean",
            Value::Array(_) => "array",
            Value::Table(_) => "table",
        }
    }
}

/// A value with where it starts (for a table from a `[header]`, the header's position).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The value.
    pub value: Value,
    /// Its first character (a table created implicitly by a longer header or by a dotted
    /// key starts at that key segment).
    pub pos: Pos,
}

/// Keys in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The key/value pairs (TOML v1.0, “Key/Value Pair”), each key once.
    pub entries: Vec<Entry>,
    /// Where the table starts (the root table: line 1, column 1).
    pub pos: Pos,
}

impl Table {
    /// The entry for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// One key of a table and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, unquoted and unescaped (one segment of a dotted key).
    pub key: String,
    /// Where the key (segment) starts.
    pub key_pos: Pos,
    /// The value.
    pub item: Item,
}

/// Parses `text` (TOML v1.0, “Spec”: a document is a root table of expressions, one per
/// line). A leading BOM is skipped.
pub fn parse(text: &str) -> Result<Table, TomlError> {
    let rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser { rest, pos: Pos::default(), slots: BTreeMap::new(), ids: 1 };
    let mut root = Table::default();
    let (mut table, mut id, mut depth) = (&mut root, 0, 0);
    loop {
        p.skip_ws();
        match p.peek() {
            None => return Ok(root),
            Some('[') => (table, id, depth) = p.header(&mut root)?,
            Some('#' | '\n' | '\r') => {}
            Some(_) => p.keyval(table, id, depth)?,
        }
        p.end_of_line()?;
    }
}

type Res<T> = Result<T, TomlError>;

/// An error at `pos`.
fn err(pos: Pos, message: impl Into<String>) -> TomlError {
    TomlError { pos, message: message.into() }
}

/// How a table or value came to be, which decides what may later add to it (TOML v1.0,
/// “Table”: tables cannot be defined more than once; “Inline Table”: inline tables are
/// self-contained; “Array of Tables”).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Created as the parent in a longer header (`a` in `[a.b]`); may be defined later once.
    Implicit,
    /// Created by dotted keys: more dotted keys and sub-table headers may add to it.
    Dotted,
    /// Defined by a `[header]`: only sub-table headers may add to it.
    Defined,
    /// An array of tables from `[[header]]`s: headers add to its last table.
    Tables,
    /// A value given with `=` (including inline tables and arrays): closed.
    Sealed,
}

/// What the parser knows about one key of one table.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The index of the key in its table's entries.
    entry: usize,
    /// How the value came to be.
    kind: Kind,
    /// For tables, their id; for arrays of tables, the id of the last table.
    id: usize,
}

/// One segment of a key, with where it starts (TOML v1.0, “Keys”).
struct Key {
    name: String,
    pos: Pos,
}

/// The cursor and the key index: `(table id, key) → slot` keeps each lookup O(log n).
struct Parser<'a> {
    rest: &'a str,
    pos: Pos,
    slots: BTreeMap<(usize, String), Slot>,
    ids: usize,
}

/// A control character, not allowed raw in strings and comments (TOML v1.0, “Comment”,
/// “String”): U+0000 to U+001F except tab, and U+007F.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\u{7f}'
}

/// The table at `entry` of `table`, or the last table of the array of tables there.
fn child(table: &mut Table, entry: usize) -> Option<&mut Table> {
    match &mut table.entries.get_mut(entry)?.item.value {
        Value::Array(a) => match &mut a.last_mut()?.value {
            Value::Table(t) => Some(t),
            _ => None,
        },
        Value::Table(t) => Some(t),
        _ => None,
    }
}

/// The error for `keys[..=i]` already existing in `table` as `slot`, with where it was.
fn conflict(table: &Table, slot: &Slot, keys: &[Key], i: usize, why: &str) -> TomlError {
    let path: Vec<&str> = keys.iter().take(i + 1).map(|k| k.name.as_str()).collect();
    let entry = table.entries.get(slot.entry);
    let what = match (slot.kind, entry.map(|e| e.item.value.type_name())) {
        (Kind::Tables, _) => "an array of tables".into(),
        (Kind::Dotted, _) => "a table (by dotted keys)".into(),
        (Kind::Sealed, Some("table")) => "an inline table".into(),
        (Kind::Sealed, Some(t)) => {
            format!("{} {t}", if matches!(t, "array" | "integer") { "an" } else { "a" })
        }
        _ => "a table".into(),
    };
    let at = entry.map_or(Pos::default(), |e| e.key_pos);
    let pos = keys.get(i).map_or(at, |k| k.pos);
    let (path, line, column) = (path.join("."), at.line, at.column);
    err(pos, format!("{why} `{path}`: it is already defined as {what} at line {line}, column {column}"))
}

impl Parser<'_> {
    /// The next char.
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    /// Consumes one char, keeping the position.
    fn bump(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let c = chars.next()?;
        self.rest = chars.as_str();
        if c == '\n' {
            self.pos = Pos { line: self.pos.line + 1, column: 1 };
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    /// Consumes `n` bytes known to be ASCII without newlines.
    fn skip_ascii(&mut self, n: usize) {
        self.rest = self.rest.get(n..).unwrap_or("");
        self.pos.column += n;
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.peek() == Some(c) && self.bump().is_some()
    }

    /// Skips whitespace: spaces and tabs (TOML v1.0, “Spec”).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    /// Consumes a newline, LF or CRLF (TOML v1.0, “Spec”).
    fn newline(&mut self) -> bool {
        if self.rest.starts_with("\r\n") {
            self.bump();
        }
        self.eat('\n')
    }

    /// Skips a comment, if next, up to its newline (TOML v1.0, “Comment”).
    fn comment(&mut self) -> Res<()> {
        if self.eat('#') {
            while let Some(c) = self.peek().filter(|&c| c != '\n' && !self.rest.starts_with("\r\n")) {
                if is_control(c) {
                    return Err(err(self.pos, format!("control character U+{:04X} in a comment", c as u32)));
                }
                self.bump();
            }
        }
        Ok(())
    }

    /// Skips whitespace, comments and newlines (inside arrays, TOML v1.0, “Array”).
    fn skip_blank(&mut self) -> Res<()> {
        loop {
            self.skip_ws();
            self.comment()?;
            if !self.newline() {
                return Ok(());
            }
        }
    }

    /// Ends an expression: whitespace, an optional comment, then a newline or the end.
    fn end_of_line(&mut self) -> Res<()> {
        self.skip_ws();
        self.comment()?;
        if self.peek().is_none() || self.newline() {
            Ok(())
        } else {
            Err(self.expected("the end of the line"))
        }
    }

    /// What is next, for error messages.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the file".into(),
            Some(c) if c == '\n' || self.rest.starts_with("\r\n") => "the end of the line".into(),
            Some(c) if is_control(c) => format!("U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    /// “expected `what`, found …” here.
    fn expected(&self, what: &str) -> TomlError {
        err(self.pos, format!("expected {what}, found {}", self.found()))
    }

    /// The error for an array or inline table opened at `open` that goes on wrongly.
    fn unclosed(&self, open: Pos, what: &str, expected: &str) -> TomlError {
        let (line, column) = (open.line, open.column);
        match self.peek() {
            None => err(open, format!("unterminated {what}: expected {expected} before the end of the file")),
            Some('\n' | '\r') if what == "inline table" => {
                err(self.pos, "an inline table must be on one line (TOML v1.0, “Inline Table”)")
            }
            _ => self.expected(&format!("{expected} in the {what} opened at line {line}, column {column}")),
        }
    }

    /// A key: simple keys joined by dots (TOML v1.0, “Keys”); `depth` is how deep the
    /// table it is in already is.
    fn key(&mut self, depth: usize) -> Res<Vec<Key>> {
        let mut keys = Vec::new();
        loop {
            let pos = self.pos;
            let name = match self.peek() {
                Some(q @ ('"' | '\'')) => {
                    self.bump();
                    self.string(pos, q, false)?
                }
                _ => {
                    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
                    let len = self.rest.find(|c| !bare(c)).unwrap_or(self.rest.len());
                    if len == 0 {
                        return Err(self.expected("a key"));
                    }
                    let name = self.rest.get(..len).unwrap_or("").to_owned();
                    self.skip_ascii(len);
                    name
                }
            };
            keys.push(Key { name, pos });
            if depth + keys.len() > MAX_DEPTH {
                return Err(err(pos, format!("nesting deeper than {MAX_DEPTH} levels")));
            }
            self.skip_ws();
            if !self.eat('.') {
                return Ok(keys);
            }
            self.skip_ws();
        }
    }

    /// Walks all but the last of `keys` down from `table` (whose id is `id`), creating
    /// missing tables as `create` (`Implicit` for headers, `Dotted` for dotted keys), and
    /// returns the table reached, its id and the last key.
    fn descend<'t, 'k>(
        &mut self,
        mut table: &'t mut Table,
        mut id: usize,
        keys: &'k [Key],
        create: Kind,
    ) -> Res<(&'t mut Table, usize, &'k Key)> {
        let Some((last, prefix)) = keys.split_last() else { return Err(self.expected("a key")) };
        for (i, key) in prefix.iter().enumerate() {
            let slot = match self.slots.entry((id, key.name.clone())) {
                MapEntry::Occupied(o) => o.into_mut(),
                MapEntry::Vacant(v) => {
                    let value = Value::Table(Table { entries: Vec::new(), pos: key.pos });
                    let item = Item { value, pos: key.pos };
                    table.entries.push(Entry { key: key.name.clone(), key_pos: key.pos, item });
                    self.ids += 1;
                    v.insert(Slot { entry: table.entries.len() - 1, kind: create, id: self.ids })
                }
            };
            match (slot.kind, create) {
                (Kind::Implicit, Kind::Dotted) => slot.kind = Kind::Dotted,
                (Kind::Dotted, _) | (Kind::Implicit | Kind::Defined | Kind::Tables, Kind::Implicit) => {}
                (_, Kind::Dotted) => return Err(conflict(table, slot, keys, i, "cannot add dotted keys to")),
                _ => return Err(conflict(table, slot, keys, i, "cannot add a table to")),
            }
            let (entry, next) = (slot.entry, slot.id);
            table = child(table, entry).ok_or_else(|| err(key.pos, "internal error: lost a table"))?;
            id = next;
        }
        Ok((table, id, last))
    }

    /// A `[table]` or `[[array of tables]]` header (TOML v1.0, “Table”, “Array of
    /// Tables”); returns the table that the following key/value pairs go into, its id and
    /// its depth.
    fn header<'r>(&mut self, root: &'r mut Table) -> Res<(&'r mut Table, usize, usize)> {
        let open = self.pos;
        self.bump();
        let aot = self.eat('[');
        self.skip_ws();
        let keys = self.key(0)?;
        if !self.eat(']') || (aot && !self.eat(']')) {
            return Err(self.expected(if aot { "`]]` after the header" } else { "`]` after the header" }));
        }
        let (t, tid, last) = self.descend(root, 0, &keys, Kind::Implicit)?;
        let fresh = Value::Table(Table { entries: Vec::new(), pos: open });
        self.ids += 1;
        let slot = match self.slots.entry((tid, last.name.clone())) {
            MapEntry::Vacant(v) => {
                let value = if aot { Value::Array(vec![Item { value: fresh, pos: open }]) } else { fresh };
                t.entries.push(Entry {
                    key: last.name.clone(),
                    key_pos: last.pos,
                    item: Item { value, pos: open },
                });
                let kind = if aot { Kind::Tables } else { Kind::Defined };
                *v.insert(Slot { entry: t.entries.len() - 1, kind, id: self.ids })
            }
            MapEntry::Occupied(mut o) => {
                let slot = o.get_mut();
                match (t.entries.get_mut(slot.entry), slot.kind, aot) {
                    (Some(e), Kind::Implicit, false) => {
                        slot.kind = Kind::Defined;
                        (e.key_pos, e.item.pos) = (last.pos, open);
                        if let Value::Table(defined) = &mut e.item.value {
                            defined.pos = open;
                        }
                    }
                    (Some(Entry { item: Item { value: Value::Array(a), .. }, .. }), Kind::Tables, true) => {
                        a.push(Item { value: fresh, pos: open });
                        slot.id = self.ids;
                    }
                    _ => {
                        let why = if aot { "cannot append a table to" } else { "cannot define table" };
                        return Err(conflict(t, slot, &keys, keys.len() - 1, why));
                    }
                }
                *slot
            }
        };
        let table = child(t, slot.entry).ok_or_else(|| err(open, "internal error: lost a table"))?;
        Ok((table, slot.id, keys.len()))
    }

    /// `key = value` into `table` (id `id`, `depth` deep) (TOML v1.0, “Key/Value Pair”).
    fn keyval(&mut self, table: &mut Table, id: usize, depth: usize) -> Res<()> {
        let keys = self.key(depth)?;
        let (t, tid, last) = self.descend(table, id, &keys, Kind::Dotted)?;
        let slot_key = (tid, last.name.clone());
        if let Some(slot) = self.slots.get(&slot_key) {
            return Err(conflict(t, slot, &keys, keys.len() - 1, "duplicate key"));
        }
        if !self.eat('=') {
            return Err(self.expected("`=` after the key"));
        }
        self.skip_ws();
        let item = self.value(depth + keys.len())?;
        self.slots.insert(slot_key, Slot { entry: t.entries.len(), kind: Kind::Sealed, id: 0 });
        t.entries.push(Entry { key: last.name.clone(), key_pos: last.pos, item });
        Ok(())
    }

    /// A value, `depth` levels deep.
    fn value(&mut self, depth: usize) -> Res<Item> {
        let pos = self.pos;
        if depth > MAX_DEPTH {
            return Err(err(pos, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let value = match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let multi = self.rest.starts_with(if q == '"' { "\"\"\"" } else { "'''" });
                self.skip_ascii(if multi { 3 } else { 1 });
                if multi {
                    self.newline();
                }
                Value::String(self.string(pos, q, multi)?)
            }
            Some('[') => self.array(pos, depth)?,
            Some('{') => self.inline_table(pos, depth)?,
            _ => self.scalar(pos)?,
        };
        Ok(Item { value, pos })
    }

    /// The rest of a string opened at `open` with `quote` (TOML v1.0, “String”): basic
    /// (`"`, with escapes) or literal (`'`), single-line or multi-line. In multi-line
    /// strings, CRLF becomes LF and a line-ending backslash trims the whitespace after it.
    fn string(&mut self, open: Pos, quote: char, multi: bool) -> Res<String> {
        let mut s = String::new();
        loop {
            if multi && quote == '"' && self.rest.starts_with('\\') && self.trim_line_end() {
                continue;
            }
            let at = self.pos;
            match self.bump() {
                None => return Err(err(open, "unterminated string")),
                Some(c) if c == quote => {
                    if !multi {
                        return Ok(s);
                    }
                    let mut n = 1;
                    while self.eat(quote) {
                        n += 1;
                    }
                    if n > 5 {
                        return Err(err(at, format!("{n} quotes in a row; at most 5 end a string")));
                    }
                    s.extend(std::iter::repeat_n(quote, if n >= 3 { n - 3 } else { n }));
                    if n >= 3 {
                        return Ok(s);
                    }
                }
                Some('\\') if quote == '"' => s.push(self.escape(at)?),
                Some('\n') if multi => s.push('\n'),
                Some('\r') if multi && self.eat('\n') => s.push('\n'),
                Some(c) if c == '\n' || (c == '\r' && self.peek() == Some('\n')) => {
                    return Err(err(at, "newline in a single-line string (use \"\"\" or ''' strings)"));
                }
                Some(c) if is_control(c) => {
                    return Err(err(at, format!("control character U+{:04X} in a string", c as u32)));
                }
                Some(c) => s.push(c),
            }
        }
    }

    /// At a backslash in a multi-line basic string: if only whitespace follows it on its
    /// line, consumes it and all whitespace and newlines after it (TOML v1.0, “String”:
    /// line ending backslash).
    fn trim_line_end(&mut self) -> bool {
        let after = self.rest.get(1..).unwrap_or("").trim_start_matches([' ', '\t']);
        if !(after.starts_with('\n') || after.starts_with("\r\n")) {
            return false;
        }
        self.bump();
        while matches!(self.peek(), Some(' ' | '\t' | '\n')) || self.rest.starts_with("\r\n") {
            self.bump();
        }
        true
    }

    /// The rest of an escape whose backslash is at `at` (TOML v1.0, “String”).
    fn escape(&mut self, at: Pos) -> Res<char> {
        Ok(match self.bump() {
            Some('b') => '\u{8}',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('f') => '\u{c}',
            Some('r') => '\r',
            Some('"') => '"',
            Some('\\') => '\\',
            Some(u @ ('u' | 'U')) => {
                let n = if u == 'u' { 4 } else { 8 };
                let mut v: u32 = 0;
                for _ in 0..n {
                    let hex = self.peek().and_then(|c| c.to_digit(16));
                    let d = hex.ok_or_else(|| err(at, format!("`\\{u}` needs {n} hex digits")))?;
                    self.bump();
                    v = v * 16 + d;
                }
                char::from_u32(v)
                    .ok_or_else(|| err(at, format!("`\\{u}` {v:X} is not a Unicode scalar value")))?
            }
            Some(c) => return Err(err(at, format!("invalid escape `\\{}`", c.escape_debug()))),
            None => return Err(err(at, "unterminated string")),
        })
    }

    /// An array (TOML v1.0, “Array”): values of any types, commas between, an optional
    /// trailing comma, newlines and comments anywhere between values.
    fn array(&mut self, open: Pos, depth: usize) -> Res<Value> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.eat(']') {
                return Ok(Value::Array(items));
            }
            if self.peek().is_none() {
                return Err(self.unclosed(open, "array", "`]`"));
            }
            items.push(self.value(depth + 1)?);
            self.skip_blank()?;
            if !self.eat(',') && self.peek() != Some(']') {
                return Err(self.unclosed(open, "array", "`,` or `]`"));
            }
        }
    }

    /// An inline table (TOML v1.0, “Inline Table”): one line, commas between pairs, no
    /// trailing comma; closed to later headers and dotted keys.
    fn inline_table(&mut self, open: Pos, depth: usize) -> Res<Value> {
        self.bump();
        let mut table = Table { entries: Vec::new(), pos: open };
        self.ids += 1;
        let id = self.ids;
        loop {
            self.skip_ws();
            if table.entries.is_empty() && self.eat('}') {
                return Ok(Value::Table(table));
            }
            if self.peek() == Some('}') {
                return Err(err(self.pos, "a trailing comma is not allowed in an inline table"));
            }
            if matches!(self.peek(), None | Some('\n' | '\r')) {
                return Err(self.unclosed(open, "inline table", "a key"));
            }
            self.keyval(&mut table, id, depth)?;
            self.skip_ws();
            if self.eat('}') {
                return Ok(Value::Table(table));
            }
            if !self.eat(',') {
                return Err(self.unclosed(open, "inline table", "`,` or `}`"));
            }
        }
    }

    /// A boolean or an integer (TOML v1.0, “Boolean”, “Integer”); floats and date-times
    /// (“Float”, “Offset Date-Time” and the other date-time sections) are errors.
    fn scalar(&mut self, pos: Pos) -> Res<Value> {
        let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.' | ':');
        let len = self.rest.find(|c| !token(c)).unwrap_or(self.rest.len());
        let tok = self.rest.get(..len).unwrap_or("");
        let value = match tok {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            "" => return Err(self.expected("a value")),
            _ => Value::Integer(integer(tok, pos)?),
        };
        self.skip_ascii(len);
        Ok(value)
    }
}

/// Reads an integer token that starts at `pos` (TOML v1.0, “Integer”): decimal with an
/// optional sign, `0x`/`0o`/`0b` without one; `_` only between digits; no leading zeros.
fn integer(tok: &str, pos: Pos) -> Res<i64> {
    let at = |i: usize| Pos { line: pos.line, column: pos.column + i };
    let (neg, body) = match tok.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let year = tok.get(..4).is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()));
    if tok.contains(':') || (year && tok.get(4..5) == Some("-")) {
        return Err(err(pos, "dates and times are not supported in scenario files"));
    }
    let (radix, name, prefix) = match body.get(..2) {
        Some("0x") if body.len() == tok.len() => (16, "hexadecimal", 2),
        Some("0o") if body.len() == tok.len() => (8, "octal", 2),
        Some("0b") if body.len() == tok.len() => (2, "binary", 2),
        _ => (10, "decimal", 0),
    };
    let digits = body.get(prefix..).unwrap_or("");
    let numeric = body.starts_with(|c: char| c.is_ascii_digit());
    if matches!(body, "inf" | "nan") || (radix == 10 && numeric && body.contains(['.', 'e', 'E'])) {
        return Err(err(pos, "floats are not supported in scenario files"));
    }
    if !numeric {
        let hint = "a string in quotes, an integer, true, false, an array or an inline table";
        return Err(err(pos, format!("expected a value ({hint}), found `{tok}`")));
    }
    if radix == 10
        && digits.strip_prefix('0').is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '_'))
    {
        return Err(err(pos, "leading zeros are not allowed in integers"));
    }
    let skip = tok.len() - digits.len();
    let (mut n, mut after_digit) = (0i64, false);
    for (i, c) in digits.char_indices() {
        if c == '_' && after_digit {
            after_digit = false;
            continue;
        }
        let d = c.to_digit(radix).ok_or_else(|| match c {
            '_' => err(at(skip + i), "`_` must be between digits"),
            _ => err(at(skip + i), format!("invalid character `{c}` in a {name} integer")),
        })?;
        let next = n.checked_mul(i64::from(radix));
        let next =
            next.and_then(|n| if neg { n.checked_sub(i64::from(d)) } else { n.checked_add(i64::from(d)) });
        n = next.ok_or_else(|| err(pos, format!("{tok} does not fit in a 64-bit signed integer")))?;
        after_digit = true;
    }
    match (digits.is_empty(), after_digit) {
        (true, _) => Err(err(at(skip), format!("expected digits of a {name} integer"))),
        (false, false) => Err(err(at(tok.len() - 1), "`_` must be between digits")),
        _ => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree without positions: `{k: v, …}`, `[…]`, strings quoted.
    fn show(v: &Value) -> String {
        let list = |parts: Vec<String>| parts.join(", ");
        match v {
            Value::String(s) => format!("{s:?}"),
            Value::Integer(n) => n.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::Array(a) => format!("[{}]", list(a.iter().map(|i| show(&i.value)).collect())),
            Value::Table(t) => format!(
                "{{{}}}",
                list(t.entries.iter().map(|e| e.key.clone() + ": " + &show(&e.item.value)).collect())
            ),
        }
    }

    /// The tree of a text that must parse.
    fn ok(text: &str) -> String {
        show(&Value::Table(parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))))
    }

    /// A position.
    fn at(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    /// Every position in an item's tree.
    fn positions(item: &Item, out: &mut Vec<Pos>) {
        out.push(item.pos);
        match &item.value {
            Value::Table(t) => t.entries.iter().for_each(|e| {
                out.extend([t.pos, e.key_pos]);
                positions(&e.item, out);
            }),
            Value::Array(a) => a.iter().for_each(|i| positions(i, out)),
            _ => {}
        }
    }

    /// Parses `text`, checking that every position in the tree or the error is within it.
    fn check(text: &str) -> Result<(), String> {
        let text_lines = text.strip_prefix('\u{feff}').unwrap_or(text).split('\n');
        let lines: Vec<usize> = text_lines.map(|l| l.chars().count()).collect();
        let within =
            |p: Pos| p.line >= 1 && p.column >= 1 && lines.get(p.line - 1).is_some_and(|n| p.column <= n + 1);
        match parse(text) {
            Ok(root) => {
                let mut all = vec![];
                positions(&Item { pos: root.pos, value: Value::Table(root) }, &mut all);
                all.into_iter().find(|p| !within(*p)).map_or(Ok(()), |p| Err(format!("{p:?} is outside")))
            }
            Err(e) if within(e.pos) => Ok(()),
            Err(e) => Err(format!("error outside: {e}")),
        }
    }

    const SCENARIO: &str = r#"# A relay through an MX lookup.
title = "Relaying"
description = """
Alice's server asks DNS for example.net's MX \
    record."""
seed = 0x2A

[expect]
codes = [220, 250, 221]

[[host]]
name = "smtp.example.com"
ip = 'ip4:192.0.2.25'
smtp = { size = 10_000_000, extensions = ["PIPELINING", "8BITMIME"], tls.mode = "none" }
down = [
  ["0s", "15m"], # first outage
]

[[host]]
name = "mx.example.net"
users = { bob = "hunter2" }

[host.mailboxes]
"bob@example.net" = "full"

[dns]
"example.net" = { mx = [[10, "mx1.example.net"]] }
"mx1.example.net".a = ["198.51.100.25"]

[[send]]
from = "laptop.example.com"
message = """
From: alice@example.com\r
Subject: "Hi"

Caf\u00e9 at 10?
"""
"#;

    #[test]
    fn realistic_scenario() {
        let root = Item { value: Value::Table(parse(SCENARIO).unwrap()), pos: at(1, 1) };
        let want = concat!(
            r#"{title: "Relaying", description: "Alice's server asks DNS for example.net's MX record.", seed: 42, "#,
            r#"expect: {codes: [220, 250, 221]}, host: [{name: "smtp.example.com", ip: "ip4:192.0.2.25", "#,
            r#"smtp: {size: 10000000, extensions: ["PIPELINING", "8BITMIME"], tls: {mode: "none"}}, "#,
            r#"down: [["0s", "15m"]]}, {name: "mx.example.net", users: {bob: "hunter2"}, "#,
            r#"mailboxes: {bob@example.net: "full"}}], dns: {example.net: {mx: [[10, "mx1.example.net"]]}, "#,
            r#"mx1.example.net: {a: ["198.51.100.25"]}}, send: [{from: "laptop.example.com", "#,
            r#"message: "From: alice@example.com\r\nSubject: \"Hi\"\n\nCafé at 10?\n"}]}"#,
        );
        assert_eq!(show(&root.value), want);
        // The key's and the value's positions at a path of keys and array indexes.
        let find = |path: &str| {
            let (mut key_pos, mut item) = (root.pos, &root);
            for step in path.split('/') {
                (key_pos, item) = match &item.value {
                    Value::Table(t) => t.get(step).map(|e| (e.key_pos, &e.item)).unwrap(),
                    Value::Array(a) => a.get(step.parse::<usize>().unwrap()).map(|i| (i.pos, i)).unwrap(),
                    _ => panic!("{path}"),
                };
            }
            let table_pos = if let Value::Table(t) = &item.value { Some(t.pos) } else { None };
            (key_pos, item.pos, table_pos)
        };
        assert_eq!(find("seed"), (at(6, 1), at(6, 8), None));
        assert_eq!(find("host"), (at(11, 3), at(11, 1), None));
        assert_eq!(find("host/1"), (at(19, 1), at(19, 1), Some(at(19, 1))));
        assert_eq!(find("host/0/smtp/tls"), (at(14, 70), at(14, 70), Some(at(14, 70))));
        assert_eq!(find("host/0/down/0/1"), (at(16, 10), at(16, 10), None));
        assert_eq!(find("host/1/mailboxes"), (at(23, 7), at(23, 1), Some(at(23, 1))));
        assert_eq!(find("dns/mx1.example.net/a"), (at(28, 19), at(28, 23), None));
        assert_eq!(find("send/0/message"), (at(32, 1), at(32, 11), None));
        let Value::Table(t) = &root.value else { panic!() };
        assert_eq!(
            (t.get("nope"), t.entries[2].item.value.type_name(), find("dns").1),
            (None, "integer", at(26, 1))
        );
        let types = ["string", "integer", "boolean", "array", "table"];
        let values =
            [Value::String("".into()), Value::Integer(0), Value::Boolean(true), Value::Array(vec![])];
        let values = values.into_iter().chain([Value::Table(Table::default())]);
        assert_eq!(values.map(|v| v.type_name()).collect::<Vec<_>>(), types);
        let crlf = SCENARIO.replace('\n', "\r\n");
        assert_eq!(parse(&crlf), parse(SCENARIO), "CRLF changes no value and no position");
    }

    #[test]
    fn valid_edges() {
        for (text, want) in [
            ("", "{}"),
            ("\u{feff}a = 1", "{a: 1}"),
            ("# only\n\n  \t\n# comment é", "{}"),
            ("a = 1\r\nb = 'x' # c\r\n\r\n", r#"{a: 1, b: "x"}"#),
            ("bare_Key-1 = 1\n\"q \\u0041\" = 2\n'l \\k' = 3", r#"{bare_Key-1: 1, q A: 2, l \k: 3}"#),
            ("\"\" = 4\n1234 = 5", "{: 4, 1234: 5}"),
            ("a.b.c = 1\na . 'b' . d = 2\na.\"e.f\" = 3", "{a: {b: {c: 1, d: 2}, e.f: 3}}"),
            ("3.14 = 4", "{3: {14: 4}}"),
            ("[a]\nx = 1\n[a.b]\ny = 2\n[ c . \"d\" ]", "{a: {x: 1, b: {y: 2}}, c: {d: {}}}"),
            ("[x.y.z]\n[x]\nk = 1\n[x.y]", "{x: {y: {z: {}}, k: 1}}"),
            (
                "[f]\nap.color = 1\n[f.ap.texture]\nsoft = true",
                "{f: {ap: {color: 1, texture: {soft: true}}}}",
            ),
            ("[a.b.c]\n[a]\nb.d = 1", "{a: {b: {c: {}, d: 1}}}"),
            (
                "[[a]]\nx = 1\n[a.b]\n[[a.c]]\n[[a.c]]\nz = 3\n[[a]]\nx = 2",
                "{a: [{x: 1, b: {}, c: [{}, {z: 3}]}, {x: 2}]}",
            ),
            ("[a]\n[[a.b]]\n[[a.b]]", "{a: {b: [{}, {}]}}"),
            ("k = 'C:\\path \"q\"'", r#"{k: "C:\\path \"q\""}"#),
            ("k = \"\"\"\nl1\r\nl2 \\  \r\n\n   joined \\\n\"\"\"", r#"{k: "l1\nl2 joined "}"#),
            ("k = \"\"\"a\"\"b\"\"\"\"\"", r#"{k: "a\"\"b\"\""}"#),
            ("k = '''\nfirst\n  'q' \\n'''", r#"{k: "first\n  'q' \\n"}"#),
            ("k = ''''x'''''", r#"{k: "'x''"}"#),
            ("k = \"tab\there\"", r#"{k: "tab\there"}"#),
            ("k = [+99, -17, 0, -0, +0, 1_000, 0xDEAD_beef]", "{k: [99, -17, 0, 0, 0, 1000, 3735928559]}"),
            ("k = [0o755, 0b1101, 0x00ff, 0o0]", "{k: [493, 13, 255, 0]}"),
            (
                "k = [-9223372036854775808, 0x7FFFFFFFFFFFFFFF]",
                "{k: [-9223372036854775808, 9223372036854775807]}",
            ),
            ("t = true\nf = false", "{t: true, f: false}"),
            ("a = [ 1, \"two\", [3], {x = 4}, ]\nb = [ ]", r#"{a: [1, "two", [3], {x: 4}], b: []}"#),
            ("a = [\n  1, # one\n  # more\n\n  2\r\n  ,\n]", "{a: [1, 2]}"),
            (
                "p = { n.a = \"A\", n.b = 'B' , ok=true}\ne = {}\nf = { }",
                r#"{p: {n: {a: "A", b: "B"}, ok: true}, e: {}, f: {}}"#,
            ),
            ("p = { a = [\n1,\n2], s = \"\"\"\nx\ny\"\"\" }", r#"{p: {a: [1, 2], s: "x\ny"}}"#),
        ] {
            assert_eq!(ok(text), want, "{text:?}");
        }
        let root = parse(r#"s = "\b\t\n\f\r\"\\\u00e9\U0001F600/""#).unwrap();
        assert_eq!(root.entries[0].item.value, Value::String("\u{8}\t\n\u{c}\r\"\\é😀/".into()));
        // Implicit tables take the position of their header once it comes.
        let root = parse("[a.b]\n\n  [a]").unwrap();
        let Value::Table(t) = &root.entries[0].item.value else { panic!() };
        assert_eq!((root.entries[0].key_pos, t.pos, t.entries[0].item.pos), (at(3, 4), at(3, 3), at(1, 1)));
    }

    #[test]
    fn errors_have_exact_positions() {
        for (text, line, column, message) in [
            ("a = 1.5", 1, 5, "floats are not supported in scenario files"),
            ("a = [1, -2E-3]", 1, 9, "floats"),
            ("a = -inf", 1, 5, "floats"),
            ("a = 1979-05-27", 1, 5, "dates and times are not supported in scenario files"),
            ("a = 1979-05-27 07:32:00", 1, 5, "dates and times"),
            ("a = 07:32:00", 1, 5, "dates and times"),
            ("a = 1\n a = 2", 2, 2, "duplicate key `a`: it is already defined as an integer at line 1"),
            ("a.b = 1\na.b = 's'", 2, 3, "duplicate key `a.b`"),
            ("a = {x = 1, x = 2}", 1, 13, "duplicate key `x`"),
            ("[a.b]\n[a]\nb = 1", 3, 1, "duplicate key `b`: it is already defined as a table at line 1"),
            ("[a]\n[a]", 2, 2, "cannot define table `a`: it is already defined as a table at line 1"),
            ("a = 1\n[a]", 2, 2, "cannot define table `a`: it is already defined as an integer"),
            ("a = 's'\n[a.b]", 2, 2, "cannot add a table to `a`: it is already defined as a string"),
            ("[a]\nb = 1\n[a.b]", 3, 4, "cannot define table `a.b`"),
            ("[a.b]\n[[a]]", 2, 3, "cannot append a table to `a`: it is already defined as a table"),
            ("a = []\n[[a]]", 2, 3, "cannot append a table to `a`: it is already defined as an array"),
            ("[[a]]\n[a]", 2, 2, "cannot define table `a`: it is already defined as an array of tables"),
            ("[[a]]\n[[a.b]]\n[a.b]", 3, 4, "cannot define table `a.b`"),
            ("[f]\napple.color = 1\n[f.apple]", 3, 4, "it is already defined as a table (by dotted keys)"),
            ("[a.b]\nx = 1\n[a]\nb.y = 2", 4, 1, "cannot add dotted keys to `b`: it is already defined as a"),
            ("[[t.arr]]\n[t]\narr.v = 1", 3, 1, "cannot add dotted keys to `arr`"),
            ("a = {x = 1}\n[a.b]", 2, 2, "cannot add a table to `a`: it is already defined as an inline"),
            ("a = {x = 1}\na.y = 2", 2, 1, "cannot add dotted keys to `a`"),
            ("a = {x.y = 1}\n[a.x.z]", 2, 2, "cannot add a table to `a`"),
            ("a = \"abc", 1, 5, "unterminated string"),
            ("a = \"abc\nb = 1", 1, 9, "newline in a single-line string"),
            ("a = 'abc\r\n", 1, 9, "newline in a single-line string"),
            ("a = \"\"\"abc\n\"\"", 1, 5, "unterminated string"),
            ("a = '''x", 1, 5, "unterminated string"),
            ("a = \"\"\"x\"\"\"\"\"\"", 1, 9, "6 quotes in a row; at most 5 end a string"),
            ("a = \"x\\", 1, 7, "unterminated string"),
            ("a = [1, 2", 1, 5, "unterminated array"),
            ("a = [1, 2\nb = 3", 2, 1, "`]` in the array opened at line 1, column 5, found `b`"),
            ("a = [1 2]", 1, 8, "expected `,` or `]`"),
            ("a = [1,,]", 1, 8, "expected a value, found `,`"),
            ("a = {x = 1", 1, 5, "unterminated inline table"),
            ("a = {x = 1\n}", 1, 11, "an inline table must be on one line"),
            ("a = {\nx = 1}", 1, 6, "an inline table must be on one line"),
            ("a = {x = 1,}", 1, 12, "a trailing comma is not allowed in an inline table"),
            ("a = {x = 1 y = 2}", 1, 12, "expected `,` or `}` in the inline table opened at line 1"),
            ("a = {,}", 1, 6, "expected a key, found `,`"),
            ("a = \"\\x41\"", 1, 6, "invalid escape `\\x`"),
            ("a = \"\"\"\\ x\"\"\"", 1, 8, "invalid escape `\\ `"),
            ("a = \"\\u12\"", 1, 6, "`\\u` needs 4 hex digits"),
            ("a = \"\\UD800DC00\"", 1, 6, "not a Unicode scalar value"),
            ("a = \"\\uD800\"", 1, 6, "not a Unicode scalar value"),
            ("a = \"x\u{1}\"", 1, 7, "control character U+0001 in a string"),
            ("a = '''x\u{7f}'''", 1, 9, "control character U+007F"),
            ("a = \"\"\"x\ry\"\"\"", 1, 9, "control character U+000D"),
            ("a = 1 2", 1, 7, "expected the end of the line, found `2`"),
            ("a = \"x\" y", 1, 9, "expected the end of the line"),
            ("a = true1", 1, 5, "expected a value (a string in quotes"),
            ("[a] b = 1", 1, 5, "expected the end of the line"),
            ("a = [1]]", 1, 8, "expected the end of the line, found `]`"),
            ("a = 1\rb = 2", 1, 6, "found U+000D"),
            ("# x\u{0}", 1, 4, "control character U+0000 in a comment"),
            ("a = 9223372036854775808", 1, 5, "does not fit in a 64-bit signed integer"),
            ("a = -9223372036854775809", 1, 5, "does not fit"),
            ("a = 0x8000000000000000", 1, 5, "does not fit"),
            ("a = 007", 1, 5, "leading zeros are not allowed"),
            ("a = -0_1", 1, 5, "leading zeros"),
            ("a = 1__2", 1, 7, "`_` must be between digits"),
            ("a = 1_", 1, 6, "`_` must be between digits"),
            ("a = 0x_1", 1, 7, "`_` must be between digits"),
            ("a = 0x", 1, 7, "expected digits of a hexadecimal integer"),
            ("a = 0b102", 1, 9, "invalid character `2` in a binary integer"),
            ("a = +0x1", 1, 7, "invalid character `x` in a decimal integer"),
            ("a =", 1, 4, "expected a value, found the end of the file"),
            ("a = # c", 1, 5, "expected a value, found `#`"),
            ("= 1", 1, 1, "expected a key, found `=`"),
            ("a b = 1", 1, 3, "expected `=` after the key, found `b`"),
            ("a. = 1", 1, 4, "expected a key, found `=`"),
            ("a = 1\nb", 2, 2, "expected `=` after the key, found the end of the file"),
            ("[a", 1, 3, "expected `]` after the header"),
            ("[[a] ]", 1, 5, "expected `]]` after the header"),
            ("[[[a]]]", 1, 3, "expected a key, found `[`"),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!((e.pos, check(text)), (at(line, column), Ok(())), "{text:?}: {e}");
            assert!(e.message.contains(message), "{text:?}: {e}");
        }
        let deep = |open: &str| format!("a = {}", open.repeat(40));
        for (text, line, column) in [
            (deep("["), 1, 37),
            (deep("{b = "), 1, 161),
            (format!("{}a = 1", "a.".repeat(40)), 1, 65),
            (format!("[{}a]\nb.c = [1]", "a.".repeat(29)), 2, 8),
        ] {
            let e = parse(&text).unwrap_err();
            assert_eq!(
                (e.pos, e.message.as_str()),
                (at(line, column), "nesting deeper than 32 levels"),
                "{text}"
            );
        }
        let e = parse("a = 1\na = 2").unwrap_err().to_string();
        assert_eq!(
            e,
            "line 2, column 1: duplicate key `a`: it is already defined as an integer at line 1, column 1"
        );
    }

    #[test]
    fn hostile_inputs() {
        for (open, column) in [("[", 3), ("{", 1), ("\"", 3)] {
            assert_eq!(parse(&open.repeat(100_000)).unwrap_err().pos, at(1, column), "{open}");
        }
        for open in ["[", "{a=", "[{a=", "{a.a.a="] {
            let e = parse(&format!("x = {}", open.repeat(100_000))).unwrap_err();
            assert!(e.message.contains("deeper than 32"), "{open}: {e}");
        }
        let lines: String = (0..100_000).map(|i| format!("k{i} = {i} # c\n")).collect();
        assert_eq!(parse(&lines).unwrap().entries.len(), 100_000);
        let root = parse(&"[[a]]\nx = 1\n[a.b]\n[[a.c]]\n".repeat(10_000)).unwrap();
        let Value::Array(a) = &root.entries[0].item.value else { panic!() };
        assert_eq!((a.len(), a[9_999].pos), (10_000, at(39_997, 1)));
        let dotted: String = (0..50_000).map(|i| format!("t.k{i} = [{i}, {{ x = {i} }}]\n")).collect();
        assert_eq!(parse(&dotted).unwrap().entries.len(), 1);
        let long = format!("a = [{}]\ns = \"{}\"\n[{}]", "1, ".repeat(100_000), "x\\\"".repeat(100_000), "a");
        assert_eq!(parse(&long).unwrap_err().pos, at(3, 2));
        assert!(parse(&format!("a = \"\"\"{}\"\"\"", "\\  \n\n".repeat(100_000))).is_ok());
    }

    #[test]
    fn every_prefix_of_a_valid_file() {
        for text in [SCENARIO.to_owned(), SCENARIO.replace('\n', "\r\n")] {
            for end in text.char_indices().map(|(i, _)| i).chain([text.len()]) {
                assert_eq!(check(&text[..end]), Ok(()), "{:?}", &text[..end]);
            }
        }
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn toml_like_text_never_panics(text in "([\\[\\]{}=,.\"'#\\\\ \\t\\n_a-z0-9+:-]|\\r\\n|\"\"\"|'''|\\\\u|\\PC){0,200}") {
                prop_assert_eq!(super::check(&text), Ok(()));
            }

            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                prop_assert_eq!(super::check(&String::from_utf8_lossy(&bytes)), Ok(()));
            }

            #[test]
            fn valid_lines_in_any_order(lines in proptest::collection::vec(proptest::sample::select(vec![
                "[a]", "[a.b]", "[[a]]", "[[a.c]]", "[b]", "x = 1", "a.y = 'v'", "z = { p.q = [1, [2]] }",
                "[a.b.c]", "b.x = \"\"\"\n1\"\"\"", "c = []", "[[c]]", "# c", "",
            ]), 0..24)) {
                prop_assert_eq!(super::check(&lines.join("\n")), Ok(()));
            }
        }
    }
}
