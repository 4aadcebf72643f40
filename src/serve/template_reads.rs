//! What a template reads besides the data it is handed, from Tera's parsed
//! templates (not their text): the templates it extends, includes or
//! imports, the globals its code names (`site.<field>`, `site.*`,
//! `asset()`), and whether it shows section page counts.

use std::collections::BTreeSet;

use tera::ast::{Expr, ExprVal, FunctionCall, Node};
use tera::Tera;

/// The reads of one template and all it reaches.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TemplateReads {
    /// The template itself and every template it extends, includes or imports.
    pub(crate) templates: BTreeSet<String>,
    /// `site.<field>` for each field named, `site.*` when `site` is used
    /// whole (passed on, indexed by a variable), and `asset()`.
    pub(crate) globals: BTreeSet<String>,
    /// Names `page_count` or dumps whole values (`json_encode`,
    /// `__tera_context`), so it reads the counts of the sections it gets.
    pub(crate) counts: bool,
}

/// The reads of template `name`; templates Tera does not have are listed
/// (an edit may add them) but add nothing else.
pub(crate) fn of(tera: &Tera, name: &str) -> TemplateReads {
    let mut reads = TemplateReads::default();
    let mut todo = vec![name.to_string()];
    while let Some(t) = todo.pop() {
        if !reads.templates.insert(t.clone()) {
            continue;
        }
        let Ok(template) = tera.get_template(&t) else {
            continue;
        };
        let mut walk = Walk {
            reads: &mut reads,
            next: &mut todo,
        };
        walk.nodes(&template.ast);
        for m in template.macros.values() {
            m.args.values().flatten().for_each(|e| walk.expr(e));
            walk.nodes(&m.body);
        }
        todo.extend(template.parents.iter().cloned());
        todo.extend(template.imported_macro_files.iter().map(|(f, _)| f.clone()));
    }
    reads
}

struct Walk<'a> {
    reads: &'a mut TemplateReads,
    next: &'a mut Vec<String>,
}

impl Walk<'_> {
    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            self.node(n);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::VariableBlock(_, e) => self.expr(e),
            Node::Set(_, set) => self.expr(&set.value),
            Node::MacroDefinition(_, m, _) => {
                m.args.values().flatten().for_each(|e| self.expr(e));
                self.nodes(&m.body);
            }
            Node::Extends(_, name) => self.next.push(name.clone()),
            Node::Include(_, names, _) => self.next.extend(names.iter().cloned()),
            Node::ImportMacro(_, file, _) => self.next.push(file.clone()),
            Node::FilterSection(_, f, _) => {
                self.call(&f.filter);
                self.nodes(&f.body);
            }
            Node::Block(_, b, _) => self.nodes(&b.body),
            Node::Forloop(_, f, _) => {
                self.expr(&f.container);
                self.nodes(&f.body);
                if let Some(empty) = &f.empty_body {
                    self.nodes(empty);
                }
            }
            Node::If(i, _) => {
                for (_, cond, body) in &i.conditions {
                    self.expr(cond);
                    self.nodes(body);
                }
                if let Some((_, body)) = &i.otherwise {
                    self.nodes(body);
                }
            }
            Node::Super
            | Node::Text(_)
            | Node::Raw(..)
            | Node::Break(_)
            | Node::Continue(_)
            | Node::Comment(..) => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        self.val(&e.val);
        for f in &e.filters {
            if f.name == "json_encode" {
                self.reads.counts = true;
            }
            self.call(f);
        }
    }

    fn call(&mut self, f: &FunctionCall) {
        if f.name == "asset" {
            self.reads.globals.insert("asset()".to_string());
        }
        f.args.values().for_each(|e| self.expr(e));
    }

    fn val(&mut self, v: &ExprVal) {
        match v {
            ExprVal::Ident(name) => self.ident(name),
            ExprVal::Math(m) => {
                self.expr(&m.lhs);
                self.expr(&m.rhs);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs);
                self.expr(&l.rhs);
            }
            ExprVal::Test(t) => {
                self.ident(&t.ident);
                t.args.iter().for_each(|e| self.expr(e));
            }
            ExprVal::MacroCall(m) => m.args.values().for_each(|e| self.expr(e)),
            ExprVal::FunctionCall(f) => self.call(f),
            ExprVal::Array(items) => items.iter().for_each(|e| self.expr(e)),
            ExprVal::StringConcat(c) => c.values.iter().for_each(|v| self.val(v)),
            ExprVal::In(i) => {
                self.expr(&i.lhs);
                self.expr(&i.rhs);
            }
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
        }
    }

    /// A variable path as Tera keeps it: `site.title`, `p.page_count`,
    /// `site.taxonomies[name]`, `terms[site.lang]`.
    fn ident(&mut self, path: &str) {
        let segment = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if path == "__tera_context" || path.split(['.', '[', ']']).any(|s| s == "page_count") {
            self.reads.counts = true;
        }
        let mut at = 0;
        while let Some(i) = path[at..].find("site") {
            let start = at + i;
            let end = start + 4;
            at = end;
            // Only a whole path segment: not `website`, `s.site` or `sitemap`.
            let before = path[..start].chars().next_back();
            let after = path[end..].chars().next();
            if before.is_some_and(|c| c != '[') || after.is_some_and(segment) {
                continue;
            }
            let field: String = path[end..]
                .strip_prefix('.')
                .map(|r| r.chars().take_while(|&c| segment(c)).collect())
                .unwrap_or_default();
            self.reads.globals.insert(if field.is_empty() {
                "site.*".to_string()
            } else {
                format!("site.{field}")
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tera(templates: &[(&str, &str)]) -> Tera {
        let mut t = Tera::default();
        t.add_raw_templates(templates.to_vec()).unwrap();
        t
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fields_of_site_are_read_by_name_and_whole_uses_read_everything() {
        let t = tera(&[
            (
                "a.html",
                "{{ site.title }}{% for s in site.sections %}{{ website }}{{ s.site }}{% endfor %}",
            ),
            ("b.html", "{% set x = site %}{{ asset(path='a.css') }}"),
            ("c.html", "{{ site.taxonomies[name] }}{{ terms[site] }}"),
            (
                "d.html",
                "<header class=\"site-header\">{# site.title #}{{ page.title }}{{ sitemap }}</header>",
            ),
        ]);
        assert_eq!(
            of(&t, "a.html").globals,
            set(&["site.title", "site.sections"])
        );
        assert_eq!(of(&t, "b.html").globals, set(&["site.*", "asset()"]));
        assert_eq!(
            of(&t, "c.html").globals,
            set(&["site.taxonomies", "site.*"])
        );
        // Markup, comments and look-alike names are not reads.
        assert!(of(&t, "d.html").globals.is_empty());
    }

    #[test]
    fn templates_reached_by_extends_include_and_import_are_followed() {
        let t = tera(&[
            ("base.html", "{% block main %}{% endblock %}{% include \"footer.html\" %}"),
            ("footer.html", "{{ site.footer }}"),
            ("macros.html", "{% macro card(p) %}{{ p.page_count }}{{ site.lang }}{% endmacro %}"),
            (
                "page.html",
                "{% extends \"base.html\" %}{% import \"macros.html\" as m %}{% block main %}{{ m::card(p=page) }}{% endblock %}",
            ),
        ]);
        let r = of(&t, "page.html");
        assert_eq!(
            r.templates,
            set(&["base.html", "footer.html", "macros.html", "page.html"])
        );
        assert_eq!(r.globals, set(&["site.footer", "site.lang"]));
        assert!(r.counts, "the macro shows page_count");
        let footer = of(&t, "footer.html");
        assert_eq!(footer.templates, set(&["footer.html"]));
        assert!(!footer.counts);
    }

    #[test]
    fn dumps_of_whole_values_read_the_counts() {
        let t = tera(&[
            ("j.html", "{{ section | json_encode }}"),
            ("k.html", "{{ __tera_context }}"),
            (
                "l.html",
                "{% if section.pages %}{{ section.title }}{% endif %}",
            ),
        ]);
        assert!(of(&t, "j.html").counts);
        assert!(of(&t, "k.html").counts);
        assert!(!of(&t, "l.html").counts);
    }
}
