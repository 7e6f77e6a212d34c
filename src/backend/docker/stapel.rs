//! Stapel shell stages on the Docker engine: create a container from the previous stage with
//! `/bin/sh -ec SCRIPT` as its entrypoint and the mounts bound in, start it, stream its output,
//! wait, and commit it with the image's original `ENTRYPOINT` and `CMD`.

use std::collections::{HashMap, VecDeque};

use bollard::auth::DockerCredentials;
use bollard::models::{ContainerConfig, ContainerCreateBody, HostConfig, ImageConfig};
use bollard::query_parameters::{
    CommitContainerOptions, CreateImageOptions, LogsOptions, RemoveContainerOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;

use super::{DockerBackend, TAIL_LINES, engine, registry_of, split_reference};
use crate::backend::{Backend, BackendError, Built, LogSink};
use crate::stapel::run::StageRun;

impl DockerBackend {
    pub(super) async fn run_stapel_stage(
        &self,
        request: StageRun,
        log: LogSink,
    ) -> Result<Built, BackendError> {
        self.pull_missing(&request).await?;
        let original = self
            .client
            .inspect_image(&request.from)
            .await
            .map_err(|e| engine(&format!("inspecting {}", request.from), &e))?
            .config
            .unwrap_or_default();
        let binds: Vec<String> = request
            .mounts
            .iter()
            .map(|(host, to)| format!("{}:{to}", host.display()))
            .collect();
        let body = ContainerCreateBody {
            image: Some(request.from.clone()),
            entrypoint: Some(vec!["/bin/sh".into(), "-ec".into(), request.script()]),
            host_config: Some(HostConfig {
                binds: (!binds.is_empty()).then_some(binds),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = self
            .client
            .create_container(None, body)
            .await
            .map_err(|e| engine(&format!("creating a container from {}", request.from), &e))?;
        let id = created.id;
        let result = self.run_and_commit(&request, &id, original, log).await;
        let remove = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        // The container is only a means to the commit; a failure to remove it changes nothing.
        let _ = self.client.remove_container(&id, Some(remove)).await;
        result?;
        self.built(&request.image, &request.tag).await
    }

    async fn run_and_commit(
        &self,
        request: &StageRun,
        id: &str,
        original: ImageConfig,
        log: LogSink,
    ) -> Result<(), BackendError> {
        if let Err(e) = self.client.start_container(id, None).await {
            let text = super::describe(&e);
            return Err(if text.contains("/bin/sh") {
                request.no_shell()
            } else {
                engine(&format!("starting a container from {}", request.from), &e)
            });
        }
        let mut logs = self.client.logs(
            id,
            Some(LogsOptions {
                follow: true,
                stdout: true,
                stderr: true,
                ..Default::default()
            }),
        );
        let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES + 1);
        let mut pending = String::new();
        while let Some(Ok(chunk)) = logs.next().await {
            pending.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                let line = line.trim_end_matches(['\n', '\r']);
                log(line);
                tail.push_back(line.to_owned());
                if tail.len() > TAIL_LINES {
                    tail.pop_front();
                }
            }
        }
        if !pending.is_empty() {
            log(&pending);
            tail.push_back(pending);
        }
        let mut wait = self.client.wait_container(id, None::<WaitContainerOptions>);
        let code = match wait.next().await {
            Some(Ok(response)) => response.status_code,
            // A non-zero exit comes back as this error kind.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => return Err(engine("waiting for a stage container", &e)),
            None => 0,
        };
        if code == 127 && tail.iter().any(|l| l.contains("/bin/sh")) {
            return Err(request.no_shell());
        }
        if code != 0 {
            return Err(request.failed(
                format!("the commands exited with {code}"),
                tail.into_iter().collect(),
            ));
        }
        let (repo, tag) = split_reference(&request.tag);
        let options = CommitContainerOptions {
            container: Some(id.to_owned()),
            repo: Some(repo.to_owned()),
            tag: Some(tag.unwrap_or("latest").to_owned()),
            pause: false,
            ..Default::default()
        };
        // The engine fills what the commit leaves empty from the container, whose entrypoint
        // is the script: an explicit empty ENTRYPOINT keeps it out (the container has no CMD).
        let config = ContainerConfig {
            entrypoint: Some(original.entrypoint.unwrap_or_default()),
            cmd: original.cmd.filter(|c| !c.is_empty()),
            labels: Some(
                request
                    .labels
                    .clone()
                    .into_iter()
                    .collect::<HashMap<_, _>>(),
            ),
            ..Default::default()
        };
        self.client
            .commit_container(options, config)
            .await
            .map_err(|e| engine(&format!("committing stage {}", request.stage), &e))?;
        Ok(())
    }

    /// Pulls `request.from` when the engine does not have it (a stage reused from the repo).
    async fn pull_missing(&self, request: &StageRun) -> Result<(), BackendError> {
        if self.inspect(&request.from).await?.is_some() {
            return Ok(());
        }
        let (repository, tag) = split_reference(&request.from);
        let host = registry_of(repository);
        let credentials = request
            .registry_credentials
            .get(host)
            .map(|c| DockerCredentials {
                username: Some(c.username.clone()),
                password: Some(c.password.expose().to_owned()),
                serveraddress: Some(host.to_owned()),
                ..Default::default()
            });
        let options = CreateImageOptions {
            from_image: Some(repository.to_owned()),
            tag: Some(tag.unwrap_or("latest").to_owned()),
            ..Default::default()
        };
        let mut stream = self.client.create_image(Some(options), None, credentials);
        while let Some(item) = stream.next().await {
            item.map_err(|e| engine(&format!("pulling {}", request.from), &e))?;
        }
        Ok(())
    }
}
