//! An upper bound on what a task-field template can produce, read from its syntax tree
//! before it runs, so that a template building a huge string (a chain of
//! `{% set s = s ~ s %}`, a repeated string, a wide filter) is refused with a clear error
//! instead of eating the server's memory. Only constructs whose output is bounded are
//! allowed: expressions with the filters below, `if`, `set` and `with`; loops, macros,
//! function calls, includes and blocks are refused. The bound is an over-estimate: every
//! value stays within [`MAX_RENDERED`] bytes at every step.

use std::collections::HashMap;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt, UnaryOpKind};
use minijinja::machinery::{WhitespaceConfig, parse};
use minijinja::syntax::SyntaxConfig;

/// The most a rendered field, or any value computed on the way, may hold.
pub const MAX_RENDERED: u64 = 256 * 1024;

/// The largest constant a string may be multiplied by.
const MAX_REPEAT: u64 = 10_000;

/// Room for any number (a float may print hundreds of digits), boolean or `none` as text.
const SCALAR: u64 = 400;

/// How much a printed or escaped string may grow: quotes and backslashes are escaped in
/// printed lists, HTML escaping turns one byte into up to six, changing case up to three.
const ESCAPED: u64 = 6;

/// Why a template is refused.
type Refusal = String;

struct Bounds<'v> {
    /// Longest value of each run variable.
    var_len: &'v dyn Fn(&str) -> u64,
    /// Longest value of each variable the template sets.
    set: HashMap<String, u64>,
    /// What a filter without an input (a `set` block's filter) is applied to.
    hole: u64,
}

fn within(bound: u64) -> Result<u64, Refusal> {
    if bound > MAX_RENDERED {
        Err(format!("the template could produce more than {} KiB; keep task fields small", MAX_RENDERED / 1024))
    } else {
        Ok(bound)
    }
}

fn refuse(what: &str) -> Refusal {
    format!("{what} is not supported in task fields (use variables, filters, if and set)")
}

fn constant_repeat(expr: &Expr<'_>) -> Option<u64> {
    match expr {
        Expr::Const(c) => c.value.as_i64().and_then(|n| u64::try_from(n).ok()).filter(|n| *n <= MAX_REPEAT),
        _ => None,
    }
}

impl Bounds<'_> {
    fn args(&self, args: &[CallArg<'_>]) -> Result<Vec<u64>, Refusal> {
        args.iter()
            .map(|arg| match arg {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) => self.expr(e),
                CallArg::PosSplat(_) | CallArg::KwargSplat(_) => Err(refuse("argument unpacking")),
            })
            .collect()
    }

    fn filter(&self, name: &str, input: u64, args: &[u64]) -> Result<u64, Refusal> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(0);
        let bound = match name {
            "trim" | "first" | "last" | "safe" | "striptags" => input,
            "lower" | "upper" | "title" | "capitalize" | "string" | "escape" | "e" => input.saturating_mul(ESCAPED),
            "default" | "d" => input.max(arg(0)),
            "length" | "count" | "int" | "float" | "abs" | "round" | "wordcount" | "add_days" => SCALAR,
            "replace" => input.saturating_add(1).saturating_mul(arg(1).saturating_add(1)),
            "date_format" => arg(0).saturating_mul(20).saturating_add(SCALAR),
            "urlencode" => input.saturating_mul(3),
            "tojson" if args.is_empty() => input.saturating_mul(ESCAPED).saturating_add(2),
            other => return Err(refuse(&format!("the filter '{other}'"))),
        };
        within(bound)
    }

    fn expr(&self, expr: &Expr<'_>) -> Result<u64, Refusal> {
        let bound = match expr {
            Expr::Var(v) => self.set.get(v.id).copied().unwrap_or_else(|| (self.var_len)(v.id)),
            Expr::Const(c) => c.value.to_string().len() as u64,
            Expr::Slice(s) => self.expr(&s.expr)?,
            Expr::UnaryOp(u) => match u.op {
                UnaryOpKind::Not => SCALAR,
                UnaryOpKind::Neg => self.expr(&u.expr)?.saturating_add(1),
            },
            Expr::BinOp(b) => {
                let (left, right) = (self.expr(&b.left)?, self.expr(&b.right)?);
                match b.op {
                    BinOpKind::Concat | BinOpKind::Add => left.saturating_add(right),
                    BinOpKind::ScAnd | BinOpKind::ScOr => left.max(right),
                    BinOpKind::Mul => match (constant_repeat(&b.left), constant_repeat(&b.right)) {
                        (_, Some(n)) => left.saturating_mul(n.max(1)),
                        (Some(n), _) => right.saturating_mul(n.max(1)),
                        _ => return Err(refuse(&format!("multiplying by anything but a number up to {MAX_REPEAT}"))),
                    },
                    BinOpKind::Pow => return Err(refuse("the power operator")),
                    _ => SCALAR,
                }
            }
            Expr::Compare(c) => {
                self.expr(&c.expr)?;
                for op in &c.ops {
                    self.expr(&op.expr)?;
                }
                SCALAR
            }
            Expr::Test(t) => {
                self.expr(&t.expr)?;
                self.args(&t.args)?;
                SCALAR
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr)?;
                let otherwise = i.false_expr.as_ref().map(|e| self.expr(e)).transpose()?.unwrap_or(0);
                self.expr(&i.true_expr)?.max(otherwise)
            }
            Expr::Filter(f) => {
                let input = f.expr.as_ref().map(|e| self.expr(e)).transpose()?.unwrap_or(self.hole);
                self.filter(f.name, input, &self.args(&f.args)?)?
            }
            Expr::GetAttr(g) => self.expr(&g.expr)?,
            Expr::GetItem(g) => {
                self.expr(&g.subscript_expr)?;
                self.expr(&g.expr)?
            }
            // Printed, a list or map escapes its strings' quotes and backslashes.
            Expr::List(l) => l.items.iter().try_fold(2u64, |sum, item| {
                Ok::<_, Refusal>(sum.saturating_add(self.expr(item)?.saturating_mul(2).saturating_add(4)))
            })?,
            Expr::Map(m) => m.keys.iter().chain(&m.values).try_fold(2u64, |sum, item| {
                Ok::<_, Refusal>(sum.saturating_add(self.expr(item)?.saturating_mul(2).saturating_add(4)))
            })?,
            Expr::Call(_) => return Err(refuse("calling a function")),
        };
        within(bound)
    }

    fn assign(&mut self, target: &Expr<'_>, bound: u64) -> Result<(), Refusal> {
        let Expr::Var(v) = target else { return Err(refuse("assigning to several names")) };
        let old = self.set.get(v.id).copied().unwrap_or(0);
        self.set.insert(v.id.to_owned(), within(bound)?.max(old));
        Ok(())
    }

    fn body(&mut self, stmts: &[Stmt<'_>]) -> Result<u64, Refusal> {
        stmts.iter().try_fold(0u64, |sum, stmt| within(sum.saturating_add(self.stmt(stmt)?)))
    }

    fn stmt(&mut self, stmt: &Stmt<'_>) -> Result<u64, Refusal> {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(r) => within(r.raw.len() as u64),
            Stmt::IfCond(i) => {
                self.expr(&i.expr)?;
                let taken = self.body(&i.true_body)?;
                let other = self.body(&i.false_body)?;
                within(taken.max(other))
            }
            Stmt::Set(s) => {
                let bound = self.expr(&s.expr)?;
                self.assign(&s.target, bound).map(|()| 0)
            }
            Stmt::SetBlock(s) => {
                let mut bound = self.body(&s.body)?;
                if let Some(filter) = &s.filter {
                    // The filter chain applies to the block's output.
                    let outer = std::mem::replace(&mut self.hole, bound);
                    let filtered = self.expr(filter);
                    self.hole = outer;
                    bound = filtered?;
                }
                self.assign(&s.target, bound).map(|()| 0)
            }
            Stmt::WithBlock(w) => {
                for (target, value) in &w.assignments {
                    let bound = self.expr(value)?;
                    self.assign(target, bound)?;
                }
                self.body(&w.body)
            }
            Stmt::ForLoop(_) => Err(refuse("a for loop")),
            _ => Err(refuse("this statement")),
        }
    }
}

/// Checks that `source`, with run variables at most `var_len(name)` bytes long, renders
/// within [`MAX_RENDERED`] bytes; the error says why not.
pub fn check(source: &str, var_len: &dyn Fn(&str) -> u64) -> Result<(), String> {
    let tree = parse(source, "<field>", SyntaxConfig, WhitespaceConfig::default())
        .map_err(|e| e.detail().map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind())))?;
    Bounds { var_len, set: HashMap::new(), hole: 0 }.stmt(&tree).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_with(source: &str) -> Result<(), String> {
        check(source, &|name| if name == "REGION" { 1_000 } else { 16 })
    }

    #[test]
    fn everyday_templates_pass() {
        for ok in [
            "/mnt/{{creator}}/{{ run_id }}",
            "{{ execution_date | add_days(-1) | date_format('%Y%m%d') }}",
            "{% if REGION == 'eu' %}--eu{% else %}--us{% endif %} {{ REGION | upper }}",
            "{% set base = '/data/' ~ creator %}{{ base }}/in {{ base }}/out",
            "{{ creator | default('nobody') }} {{ '-' * 40 }}",
        ] {
            assert_eq!(check_with(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn growth_without_bound_is_refused_with_the_reason() {
        let doubling = format!("{{% set s = 'xxxxxxxx' %}}{}{{{{ s }}}}", "{% set s = s ~ s %}".repeat(40));
        assert!(check_with(&doubling).unwrap_err().contains("more than 256 KiB"));
        assert!(check_with("{{ REGION * 10000 }}").unwrap_err().contains("more than"));
        assert!(check_with("{{ 'x' * (creator | length) }}").unwrap_err().contains("multiplying"));
        assert!(check_with("{{ 'x' | center(1000000000) }}").unwrap_err().contains("center"));
        assert!(check_with("{% for i in range(10) %}x{% endfor %}").unwrap_err().contains("for loop"));
        assert!(check_with("{{ lipsum(100000) }}").unwrap_err().contains("calling a function"));
        assert!(check_with("{% macro m() %}x{% endmacro %}").is_err(), "macros are not even parsed");
        assert!(check_with("{{ oops").is_err());
    }

    #[test]
    fn growth_through_printing_escaping_and_set_blocks_is_counted() {
        let nested = format!("{{% set s = '\\\\' %}}{}{{{{ s }}}}", "{% set s = [s] ~ '' %}".repeat(40));
        assert!(check_with(&nested).unwrap_err().contains("more than"), "printed lists double escaped text");
        let squared = "{% set s = REGION %}{% set s | replace('', s) %}{{ s }}{% endset %}".repeat(3);
        assert!(check_with(&squared).unwrap_err().contains("more than"), "a set block's filter sees its body");
        assert!(check_with("{{ 1 | tojson(1000000000000000000) }}").is_err(), "no indent for tojson");
        let escaped = format!("{{% set s = REGION %}}{}{{{{ s }}}}", "{% set s = (s | e) ~ '' %}".repeat(12));
        assert!(check_with(&escaped).unwrap_err().contains("more than"), "escaping may grow text sixfold");
    }

    proptest::proptest! {
        /// Whatever text it gets, the check answers (no panic), and a template it accepts
        /// renders within the bound.
        #[test]
        fn accepted_templates_render_within_the_bound(text in "[a-z{}%~*|' ()=0-9s]{0,60}") {
            if check_with(&text).is_ok() {
                let env = minijinja::Environment::new();
                if let Ok(out) = env.render_str(&text, minijinja::context! { creator => "x".repeat(16) }) {
                    proptest::prop_assert!(out.len() as u64 <= MAX_RENDERED);
                }
            }
        }
    }
}
