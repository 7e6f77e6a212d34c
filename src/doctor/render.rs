//! The doctor's two outputs: aligned text for people (`ok|warn|fail  name  detail`, the fix
//! indented below) and JSON for tools (`{"checks":[{"name","status","detail","fix"}]}`).

use super::Report;

/// One line per check, names padded to one column; a fix follows its check when it has one.
pub fn render_text(report: &Report) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for check in &report.checks {
        out.push_str(&format!(
            "{:<4}  {:<width$}  {}\n",
            check.status.as_str(),
            check.name,
            check.detail
        ));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    out
}

/// Every check, in order, `fix` null when there is none.
pub fn render_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
