//! Which report to write: werf 1.2's `--report-path/--report-format` and werf v2's
//! `--save-build-report/--build-report-path`, resolved into one target or a clear error.

use std::path::{Component, Path, PathBuf};

use super::{ReportError, ReportFormat, ReportTarget};

/// werf v2's report path when `--save-build-report` comes without `--build-report-path`.
pub const DEFAULT_BUILD_REPORT_PATH: &str = ".werf-build-report.json";

/// Resolves werf 1.2's `--report-path/--report-format` and v2's
/// `--save-build-report/--build-report-path` into one target (None: no report).
///
/// The rules, as werf applies them, except where noted:
/// - An empty path counts as not given, since CI systems often export unset variables as empty.
/// - werf 1.2: `--report-path` writes the report there verbatim, whatever the extension, in
///   `--report-format` (default json). `--report-format` alone writes nothing.
/// - werf v2: only `--save-build-report` writes a report, to `--build-report-path` or
///   `.werf-build-report.json`. The extension picks the format: `.json` → json, `.env` →
///   envfile, none → json with `.json` appended; any other extension is an error. A dotfile such
///   as `.report` has no extension (it gets `.json`), where werf would reject it. The extension
///   is matched case-sensitively, like werf.
/// - `--build-report-path` without `--save-build-report` writes nothing and is not checked,
///   as in werf: `WERF_BUILD_REPORT_PATH` is also read by later deploy steps.
/// - Both families at once: werf v2 always refuses this. slipway accepts it when both name the
///   same file (ignoring `./` components) in the same format, so a pipeline moving from 1.2 to
///   v2 flags can set both during the transition; otherwise it is an error.
pub fn resolve(
    report_path: Option<PathBuf>,
    report_format: Option<ReportFormat>,
    save_build_report: bool,
    build_report_path: Option<PathBuf>,
) -> Result<Option<ReportTarget>, ReportError> {
    let given = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
    let legacy = given(report_path).map(|path| ReportTarget {
        path,
        format: report_format.unwrap_or(ReportFormat::Json),
    });
    let v2 = if save_build_report {
        Some(v2_target(given(build_report_path))?)
    } else {
        None
    };
    match (legacy, v2) {
        (None, None) => Ok(None),
        (Some(t), None) | (None, Some(t)) => Ok(Some(t)),
        (Some(a), Some(b)) if a.format == b.format && same_path(&a.path, &b.path) => Ok(Some(b)),
        (Some(a), Some(b)) => Err(ReportError::Conflict {
            legacy_path: a.path,
            legacy_format: a.format,
            v2_path: b.path,
            v2_format: b.format,
        }),
    }
}

fn v2_target(path: Option<PathBuf>) -> Result<ReportTarget, ReportError> {
    let Some(path) = path else {
        return Ok(ReportTarget {
            path: PathBuf::from(DEFAULT_BUILD_REPORT_PATH),
            format: ReportFormat::Json,
        });
    };
    let format = match path.extension().map(|e| e.to_string_lossy()) {
        None => {
            let mut with_json = path.into_os_string();
            with_json.push(".json");
            return Ok(ReportTarget {
                path: with_json.into(),
                format: ReportFormat::Json,
            });
        }
        Some(e) if e == "json" => ReportFormat::Json,
        Some(e) if e == "env" => ReportFormat::Envfile,
        Some(e) => {
            return Err(ReportError::UnknownExtension {
                extension: format!(".{e}"),
                path,
            });
        }
    };
    Ok(ReportTarget { path, format })
}

fn same_path(a: &Path, b: &Path) -> bool {
    let significant = |p: &Path| {
        p.components()
            .filter(|c| *c != Component::CurDir)
            .map(|c| c.as_os_str().to_owned())
            .collect::<Vec<_>>()
    };
    significant(a) == significant(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportFormat::{Envfile, Json};

    type Case = (
        &'static str,
        Option<&'static str>,
        Option<ReportFormat>,
        bool,
        Option<&'static str>,
        Result<Option<(&'static str, ReportFormat)>, &'static str>,
    );

    #[test]
    fn rules() {
        let cases: &[Case] = &[
            ("nothing", None, None, false, None, Ok(None)),
            (
                "1.2 default json",
                Some("r.json"),
                None,
                false,
                None,
                Ok(Some(("r.json", Json))),
            ),
            (
                "1.2 envfile",
                Some("images.env"),
                Some(Envfile),
                false,
                None,
                Ok(Some(("images.env", Envfile))),
            ),
            (
                "1.2 ignores the extension",
                Some("r.txt"),
                Some(Json),
                false,
                None,
                Ok(Some(("r.txt", Json))),
            ),
            (
                "1.2 json into .env",
                Some("r.env"),
                None,
                false,
                None,
                Ok(Some(("r.env", Json))),
            ),
            (
                "1.2 format alone",
                None,
                Some(Envfile),
                false,
                None,
                Ok(None),
            ),
            (
                "1.2 empty path",
                Some(""),
                Some(Envfile),
                false,
                None,
                Ok(None),
            ),
            (
                "v2 default path",
                None,
                None,
                true,
                None,
                Ok(Some((".werf-build-report.json", Json))),
            ),
            (
                "v2 empty path is the default",
                None,
                None,
                true,
                Some(""),
                Ok(Some((".werf-build-report.json", Json))),
            ),
            (
                "v2 .json",
                None,
                None,
                true,
                Some("out/r.json"),
                Ok(Some(("out/r.json", Json))),
            ),
            (
                "v2 .env",
                None,
                None,
                true,
                Some("out/r.env"),
                Ok(Some(("out/r.env", Envfile))),
            ),
            (
                "v2 no extension",
                None,
                None,
                true,
                Some("out/report"),
                Ok(Some(("out/report.json", Json))),
            ),
            (
                "v2 dotfile",
                None,
                None,
                true,
                Some(".report"),
                Ok(Some((".report.json", Json))),
            ),
            (
                "v2 unknown extension",
                None,
                None,
                true,
                Some("out/r.yaml"),
                Err(
                    "--build-report-path out/r.yaml: the extension \".yaml\" picks no report format; \
                     use .json for JSON or .env for an envfile (without an extension .json is \
                     appended), e.g. out/r.json",
                ),
            ),
            (
                "v2 upper-case extension",
                None,
                None,
                true,
                Some("r.JSON"),
                Err(
                    "--build-report-path r.JSON: the extension \".JSON\" picks no report format; \
                     use .json for JSON or .env for an envfile (without an extension .json is \
                     appended), e.g. r.json",
                ),
            ),
            (
                "v2 path without save",
                None,
                None,
                false,
                Some("r.yaml"),
                Ok(None),
            ),
            (
                "1.2 wins over an unsaved v2 path",
                Some("a.json"),
                None,
                false,
                Some("b.json"),
                Ok(Some(("a.json", Json))),
            ),
            (
                "both, same file",
                Some("r.env"),
                Some(Envfile),
                true,
                Some("r.env"),
                Ok(Some(("r.env", Envfile))),
            ),
            (
                "both, same file via ./",
                Some("./r.json"),
                None,
                true,
                Some("r.json"),
                Ok(Some(("r.json", Json))),
            ),
            (
                "both, v2 default",
                Some(".werf-build-report.json"),
                None,
                true,
                None,
                Ok(Some((".werf-build-report.json", Json))),
            ),
            (
                "both, different files",
                Some("a.json"),
                None,
                true,
                Some("b.json"),
                Err(
                    "--report-path a.json (json, werf 1.2) and --save-build-report with \
                     --build-report-path b.json (json, werf v2) ask for different reports; use \
                     only --save-build-report with --build-report-path (werf v2 rejects the 1.2 \
                     flags next to them), or point both at the same file with the same format \
                     (also check WERF_REPORT_PATH, WERF_REPORT_FORMAT and WERF_BUILD_REPORT_PATH)",
                ),
            ),
            (
                "both, same file, different formats",
                Some("r.json"),
                Some(Envfile),
                true,
                Some("r.json"),
                Err(
                    "--report-path r.json (envfile, werf 1.2) and --save-build-report with \
                     --build-report-path r.json (json, werf v2) ask for different reports; use \
                     only --save-build-report with --build-report-path (werf v2 rejects the 1.2 \
                     flags next to them), or point both at the same file with the same format \
                     (also check WERF_REPORT_PATH, WERF_REPORT_FORMAT and WERF_BUILD_REPORT_PATH)",
                ),
            ),
            (
                "both, unknown v2 extension reported first",
                Some("a.json"),
                None,
                true,
                Some("b.txt"),
                Err(
                    "--build-report-path b.txt: the extension \".txt\" picks no report format; \
                     use .json for JSON or .env for an envfile (without an extension .json is \
                     appended), e.g. b.json",
                ),
            ),
        ];
        for (name, report_path, format, save, build_path, expected) in cases {
            let got = resolve(
                report_path.map(PathBuf::from),
                *format,
                *save,
                build_path.map(PathBuf::from),
            )
            .map(|t| t.map(|t| (t.path.to_string_lossy().into_owned(), t.format)))
            .map_err(|e| e.to_string());
            let expected = expected
                .map(|t| t.map(|(p, f)| (p.to_owned(), f)))
                .map_err(str::to_owned);
            assert_eq!(got, expected, "{name}");
        }
    }
}
