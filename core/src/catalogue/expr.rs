//! The catalogue's small expression language: parsing, type checking against a dataset, and
//! compiled evaluation over a parsed row with three-valued (Kleene) logic for missing items.
//!
//! Grammar: `or := and ("or" and)*`, `and := not ("and" not)*`, `not := "not" not | cmp`,
//! `cmp := atom (("==" | "!=") STRING | "in" "[" STRING ("," STRING)* "]")?`,
//! `atom := IDENT | "true" | "1" | "(" or ")"`.

use std::collections::{BTreeSet, HashMap};

use super::ColumnType;

/// A parsed expression, naming columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Always true.
    True,
    /// The constant 1 (a measure that counts rows).
    One,
    /// A bool or count column.
    Col(String),
    /// `col == "v"` or `col in [...]`; `negate` for `!=`.
    In {
        /// The enum column.
        col: String,
        /// The values matched.
        values: Vec<String>,
        /// True for `!=`.
        negate: bool,
    },
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Eq,
    Ne,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '(' | ')' | '[' | ']' | ',' => {
                chars.next();
                toks.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    _ => Tok::Comma,
                });
            }
            '=' | '!' => {
                chars.next();
                match chars.next() {
                    Some((_, '=')) => toks.push(if c == '=' { Tok::Eq } else { Tok::Ne }),
                    _ => return Err(format!("at {}: expected `==` or `!=`", i + 1)),
                }
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, ch)) => s.push(ch),
                        None => return Err(format!("at {}: unterminated string", i + 1)),
                    }
                }
                toks.push(Tok::Str(s));
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut s = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        s.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                toks.push(Tok::Ident(s));
            }
            other => return Err(format!("at {}: unexpected character `{other}`", i + 1)),
        }
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == k) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.keyword("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        while self.keyword("and") {
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.keyword("not") { Ok(Expr::Not(Box::new(self.not()?))) } else { self.cmp() }
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let atom = self.atom()?;
        let negate = match self.peek() {
            Some(Tok::Eq) => false,
            Some(Tok::Ne) => true,
            Some(Tok::Ident(k)) if k == "in" => {
                self.pos += 1;
                let Expr::Col(col) = atom else {
                    return Err("`in` needs a column on its left".into());
                };
                if self.next() != Some(Tok::LBracket) {
                    return Err("expected `[` after `in`".into());
                }
                let mut values = Vec::new();
                loop {
                    match self.next() {
                        Some(Tok::Str(s)) => values.push(s),
                        _ => return Err("expected a \"value\" in the list".into()),
                    }
                    match self.next() {
                        Some(Tok::Comma) => continue,
                        Some(Tok::RBracket) => break,
                        _ => return Err("expected `,` or `]`".into()),
                    }
                }
                return Ok(Expr::In { col, values, negate: false });
            }
            _ => return Ok(atom),
        };
        self.pos += 1;
        let Expr::Col(col) = atom else {
            return Err("`==` and `!=` need a column on their left".into());
        };
        match self.next() {
            Some(Tok::Str(v)) => Ok(Expr::In { col, values: vec![v], negate }),
            _ => Err("expected a \"value\" after `==` or `!=`".into()),
        }
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                if self.next() != Some(Tok::RParen) {
                    return Err("expected `)`".into());
                }
                Ok(e)
            }
            Some(Tok::Ident(s)) if s == "true" => Ok(Expr::True),
            Some(Tok::Ident(s)) if s == "1" => Ok(Expr::One),
            Some(Tok::Ident(s)) if ["and", "or", "not", "in"].contains(&s.as_str()) => {
                Err(format!("unexpected keyword `{s}`"))
            }
            Some(Tok::Ident(s)) => Ok(Expr::Col(s)),
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("unexpected end of expression".into()),
        }
    }
}

type Types<'a> = HashMap<&'a str, &'a ColumnType>;

impl Expr {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser { toks: lex(text)?, pos: 0 };
        let e = p.or()?;
        if p.pos < p.toks.len() {
            return Err(format!("unexpected {:?} after the expression", p.toks[p.pos]));
        }
        Ok(e)
    }

    /// Collects the columns read.
    pub fn columns(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::True | Expr::One => {}
            Expr::Col(c) | Expr::In { col: c, .. } => {
                out.insert(c.clone());
            }
            Expr::Not(e) => e.columns(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.columns(out);
                b.columns(out);
            }
        }
    }

    /// Checks a condition: bool columns, and enum columns compared with their own values.
    pub fn check_filter(&self, types: &Types<'_>) -> Result<(), String> {
        match self {
            Expr::True => Ok(()),
            Expr::One => Err("`1` is a measure, not a condition".into()),
            Expr::Col(c) => match types.get(c.as_str()) {
                Some(ColumnType::Bool) => Ok(()),
                Some(t) => {
                    Err(format!("column `{c}` is {t:?}, not bool; compare it with == or in"))
                }
                None => Err(format!("unknown column `{c}`")),
            },
            Expr::In { col, values, .. } => match types.get(col.as_str()) {
                Some(ColumnType::Enum(allowed)) => {
                    match values.iter().find(|v| !allowed.contains(v)) {
                        Some(v) => Err(format!(
                            "\"{v}\" is not a value of `{col}` ({})",
                            allowed.join(", ")
                        )),
                        None => Ok(()),
                    }
                }
                Some(_) => Err(format!("column `{col}` is not an enum column")),
                None => Err(format!("unknown column `{col}`")),
            },
            Expr::Not(e) => e.check_filter(types),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.check_filter(types)?;
                b.check_filter(types)
            }
        }
    }

    /// Checks a measure: a condition, `1`, or a count column.
    pub fn check_measure(&self, types: &Types<'_>) -> Result<(), String> {
        match self {
            Expr::One => Ok(()),
            Expr::Col(c) if types.get(c.as_str()) == Some(&&ColumnType::Count) => Ok(()),
            other => other.check_filter(types),
        }
    }

    /// Compiles against a dataset's column order and value sets.
    pub fn compile(&self, columns: &[super::Column]) -> Compiled {
        let idx = |c: &str| columns.iter().position(|x| x.name == c).unwrap_or(usize::MAX);
        match self {
            Expr::True => Compiled::True,
            Expr::One => Compiled::One,
            Expr::Col(c) => {
                let i = idx(c);
                match columns.get(i).map(|c| &c.ty) {
                    Some(ColumnType::Count) => Compiled::Count(i),
                    _ => Compiled::Bool(i),
                }
            }
            Expr::In { col, values, negate } => {
                let i = idx(col);
                let mut set = [false; 256];
                if let Some(ColumnType::Enum(allowed)) = columns.get(i).map(|c| &c.ty) {
                    for v in values {
                        if let Some(p) = allowed.iter().position(|a| a == v) {
                            set[p] = true;
                        }
                    }
                }
                Compiled::In { col: i, set: Box::new(set), negate: *negate }
            }
            Expr::Not(e) => Compiled::Not(Box::new(e.compile(columns))),
            Expr::And(a, b) => {
                Compiled::And(Box::new(a.compile(columns)), Box::new(b.compile(columns)))
            }
            Expr::Or(a, b) => {
                Compiled::Or(Box::new(a.compile(columns)), Box::new(b.compile(columns)))
            }
        }
    }
}

/// One parsed cell of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Empty field.
    Missing,
    /// Present, not interpreted (identifiers, dates).
    Present,
    /// A boolean.
    Bool(bool),
    /// A count, or a weight in millionths.
    Num(i64),
    /// An enum value's position in its value set.
    Cat(u8),
    /// A district, interned.
    District(u32),
}

/// An expression bound to column positions.
#[derive(Debug, Clone)]
pub enum Compiled {
    /// Always true.
    True,
    /// The constant 1.
    One,
    /// A bool column.
    Bool(usize),
    /// A count column.
    Count(usize),
    /// Membership of an enum value.
    In {
        /// Column position.
        col: usize,
        /// Which value positions match.
        set: Box<[bool; 256]>,
        /// Negated (`!=`).
        negate: bool,
    },
    /// Negation.
    Not(Box<Compiled>),
    /// Conjunction.
    And(Box<Compiled>, Box<Compiled>),
    /// Disjunction.
    Or(Box<Compiled>, Box<Compiled>),
}

impl Compiled {
    /// Evaluates a condition; `None` when a missing item decides the outcome.
    pub fn test(&self, row: &[Value]) -> Option<bool> {
        match self {
            Compiled::True | Compiled::One => Some(true),
            Compiled::Bool(i) => match row[*i] {
                Value::Bool(b) => Some(b),
                Value::Num(n) => Some(n != 0),
                _ => None,
            },
            Compiled::Count(i) => match row[*i] {
                Value::Num(n) => Some(n != 0),
                _ => None,
            },
            Compiled::In { col, set, negate } => match row[*col] {
                Value::Cat(c) => Some(set[c as usize] != *negate),
                _ => None,
            },
            Compiled::Not(e) => e.test(row).map(|b| !b),
            Compiled::And(a, b) => match (a.test(row), b.test(row)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Compiled::Or(a, b) => match (a.test(row), b.test(row)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }

    /// Evaluates a measure: 0/1 for a condition, the value of a count column.
    pub fn measure(&self, row: &[Value]) -> Option<i64> {
        match self {
            Compiled::One => Some(1),
            Compiled::Count(i) => match row[*i] {
                Value::Num(n) => Some(n),
                _ => None,
            },
            other => other.test(row).map(i64::from),
        }
    }
}
