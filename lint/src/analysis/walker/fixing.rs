//! The `--fix` rewrite of a reported call, when it is safe.

use super::*;

impl Walker<'_> {
    /// The `--fix` rewrite of a reported function call, when it is safe: the
    /// catalog has one for `callee` (`[fixes]`), the call is a plain path
    /// call written directly in async code, the target's tokio enables the
    /// feature the rewrite needs, and `tokio::..` names the tokio crate here.
    pub(super) fn fix_of_call(&self, call: &ExprCall, callee: &str) -> Option<Fix> {
        let entry = self.resolver.catalog().fix(callee)?;
        let features = self.ctx.tokio_features;
        let enabled = features
            .iter()
            .any(|feature| *feature == entry.feature || feature == "full");
        if !self.fix_site
            || self.in_macro
            || !enabled
            || self.ctx.runtime != AsyncRuntime::Tokio
            || self.ctx.edition < Edition::E2018
        {
            return None;
        }
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        // A turbofish would not fit the async twin's `impl Trait` parameters.
        let plain = func.qself.is_none()
            && func.attrs.is_empty()
            && func
                .path
                .segments
                .iter()
                .all(|segment| segment.arguments.is_none());
        let with: syn::Path = syn::parse_str(&entry.with).ok()?;
        // A local `mod tokio` or `use x as tokio` would capture the path.
        let names_tokio =
            self.resolver.resolve_to_path(&with, Ns::Value).as_deref() == Some(entry.with.as_str());
        if !plain || !names_tokio {
            return None;
        }
        let close = call.paren_token.span.close().end();
        Some(Fix {
            description: format!("replace with `{}(..).await`", entry.with),
            edits: vec![
                Edit {
                    span: span_between(expr_start(&call.func), func.path.span().end()),
                    replacement: entry.with.clone(),
                },
                Edit {
                    span: span_between(close, close),
                    replacement: ".await".to_string(),
                },
            ],
            // Revised after the walk by `fix_safety::classify` (it needs the
            // function's attributes: which runtime runs this code).
            safety: crate::finding::FixSafety::Safe,
        })
    }
}
