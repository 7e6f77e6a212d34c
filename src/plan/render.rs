//! The plan as people read it: werf's "Concurrent builds plan" block and a table of images.

use super::Plan;

/// The heading werf prints around the plan block.
fn plan_heading(limit: i64) -> String {
    if limit > 0 {
        format!("Concurrent builds plan (no more than {limit} images at the same time)")
    } else {
        "Concurrent builds plan (no limit on images at the same time)".to_owned()
    }
}

/// werf's "Concurrent builds plan" block.
pub fn render_plan_block(plan: &Plan) -> String {
    let heading = plan_heading(plan.parallel_tasks_limit);
    let mut out = format!("┌ {heading}\n");
    for (i, set) in plan.sets.iter().enumerate() {
        if i > 0 {
            out.push_str("│\n");
        }
        out.push_str(&format!("│ Set #{i}:\n"));
        for name in set {
            out.push_str(&format!("│ - ⛵ image {name}\n"));
        }
    }
    out.push_str(&format!("└ {heading}\n"));
    out
}

/// werf's plan block followed by one row per image.
pub fn render_text(plan: &Plan) -> String {
    let mut out = render_plan_block(plan);
    out.push('\n');

    let rows: Vec<[String; 4]> = plan
        .images
        .iter()
        .map(|img| {
            let dockerfile = match &img.target {
                _ if img.stapel.is_some() => "(stapel)".to_owned(),
                Some(t) => format!("{}:{t}", img.dockerfile),
                None => img.dockerfile.clone(),
            };
            let deps = if img.depends_on.is_empty() {
                "-".to_owned()
            } else {
                img.depends_on
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            [
                img.name.to_string(),
                img.digest.to_string(),
                dockerfile,
                deps,
            ]
        })
        .collect();
    let header = [
        "IMAGE".to_owned(),
        "DIGEST".to_owned(),
        "DOCKERFILE:TARGET".to_owned(),
        "DEPENDS ON".to_owned(),
    ];
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for img in plan.images.iter().filter(|img| !img.stages.is_empty()) {
        out.push_str(&format!("\nStapel stages of image {}:\n", img.name));
        let width = img
            .stages
            .iter()
            .map(|s| s.name.as_str().len())
            .max()
            .unwrap_or(0);
        for stage in &img.stages {
            let status = match (stage.status, &stage.existing_tag) {
                (Some(status), Some(tag)) => format!("  {status} {tag}"),
                (Some(status), None) => format!("  {status}"),
                (None, _) => String::new(),
            };
            out.push_str(&format!(
                "  {:width$}  {}{status}\n",
                stage.name.as_str(),
                stage.digest
            ));
        }
    }
    out
}
