//! The build summary printed last: one row per image with what happened and how long it took.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Published;
use crate::names::ImageName;
use crate::plan::Plan;

pub fn render_summary(
    plan: &Plan,
    published: &BTreeMap<ImageName, Published>,
    elapsed: Duration,
) -> String {
    let mut rows = vec![[
        "IMAGE".to_owned(),
        "RESULT".to_owned(),
        "SECONDS".to_owned(),
        "REFERENCE".to_owned(),
    ]];
    for image in &plan.images {
        if let Some(p) = published.get(&image.name) {
            rows.push([
                image.name.to_string(),
                p.outcome.word().to_owned(),
                format!("{:.2}", p.seconds),
                p.reference(),
            ]);
        }
    }
    let mut widths = [0; 4];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!("┌ Build summary ({:.2} s)\n", elapsed.as_secs_f64());
    for row in &rows {
        out.push_str(&format!(
            "│ {:w0$}  {:w1$}  {:>w2$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        ));
    }
    out.push_str("└ Build summary\n");
    out
}
