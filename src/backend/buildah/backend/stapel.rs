//! Stapel shell stages with buildah: `buildah from` the previous stage, `buildah run` the
//! script with the mounts as volumes, label and `buildah commit` it. `buildah run` leaves the
//! image config alone, so `CMD` and `ENTRYPOINT` stay the image's own.

use std::ffi::OsString;

use super::{BuildahBackend, TAIL_LINES, private_dir};
use crate::backend::buildah::command;
use crate::backend::{Backend, BackendError, Built, LogSink};
use crate::stapel::run::StageRun;

impl BuildahBackend {
    pub(super) async fn run_stapel_stage(
        &self,
        request: StageRun,
        log: LogSink,
    ) -> Result<Built, BackendError> {
        let private = private_dir(&self.config.temp_dir)?;
        let authfile = command::write_auth_file_for(
            &private,
            request
                .registry_credentials
                .iter()
                .map(|(host, c)| (host.as_str(), c)),
        )
        .map_err(|e| BackendError::Buildah(e.to_string()))?;
        let registries_conf = self.registries_conf(&private)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("slipway-stage-{}-{nanos}", std::process::id());
        let authfile = authfile.to_string_lossy().into_owned();
        let from = self.argv(&[
            "from",
            "--name",
            &name,
            "--authfile",
            &authfile,
            &request.from,
        ]);
        let run_step = |argv: Vec<OsString>| {
            let mut cmd = self.command(&argv);
            if let Some(conf) = &registries_conf {
                cmd.env("CONTAINERS_REGISTRIES_CONF", conf);
            }
            cmd
        };
        let out = run_step(from).output().await.map_err(|e| {
            BackendError::Buildah(format!("cannot run {}: {e}", self.config.program.display()))
        })?;
        if !out.status.success() {
            return Err(BackendError::Buildah(format!(
                "buildah from {} failed: {}",
                request.from,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let result = self.run_in(&request, &name, &authfile, &log).await;
        if result.is_err() {
            let _ = self.run(&self.argv(&["rm", &name])).await;
        }
        result?;
        drop(private);
        let info = self.inspect(&request.tag).await?.ok_or_else(|| {
            BackendError::Buildah(format!(
                "stage {} of image {} ended without an image tagged {}",
                request.stage, request.image, request.tag
            ))
        })?;
        Ok(Built {
            id: info.id,
            size: info.size,
        })
    }

    async fn run_in(
        &self,
        request: &StageRun,
        name: &str,
        authfile: &str,
        log: &LogSink,
    ) -> Result<(), BackendError> {
        let isolation = format!("--isolation={}", self.config.isolation.as_str());
        let volumes: Vec<String> = request
            .mounts
            .iter()
            .map(|(host, to)| format!("{}:{to}", host.display()))
            .collect();
        let script = request.script();
        let mut args: Vec<&str> = vec!["run", &isolation];
        for v in &volumes {
            args.extend(["-v", v.as_str()]);
        }
        args.extend([name, "--", "/bin/sh", "-ec", &script]);
        let (ok, stdout, stderr) = self.run(&self.argv(&args)).await?;
        let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        for line in &lines {
            log(line);
        }
        if !ok {
            if stderr.contains("/bin/sh") && stderr.contains("no such file") {
                return Err(request.no_shell());
            }
            let tail = lines
                .iter()
                .skip(lines.len().saturating_sub(TAIL_LINES))
                .map(|l| (*l).to_owned())
                .collect();
            return Err(request.failed("the commands failed".to_owned(), tail));
        }
        let mut config: Vec<String> = vec!["config".into()];
        for (k, v) in &request.labels {
            config.push("--label".into());
            config.push(format!("{k}={v}"));
        }
        config.push(name.to_owned());
        let config: Vec<&str> = config.iter().map(String::as_str).collect();
        let (ok, _, stderr) = self.run(&self.argv(&config)).await?;
        if !ok {
            return Err(BackendError::Buildah(format!(
                "labelling stage {}: {}",
                request.stage,
                stderr.trim()
            )));
        }
        // With its own auth file: buildah otherwise checks DOCKER_CONFIG's, which may not exist.
        let commit = [
            "commit",
            "--rm",
            "--format=docker",
            "--authfile",
            authfile,
            name,
            &request.tag,
        ];
        let (ok, _, stderr) = self.run(&self.argv(&commit)).await?;
        if !ok {
            return Err(BackendError::Buildah(format!(
                "committing stage {}: {}",
                request.stage,
                stderr.trim()
            )));
        }
        Ok(())
    }
}
