//! The embedded repository host: bare git repositories on disk, clonable with `git clone <path>`.
//!
//! It drives the `git` CLI (`init`, `config`, `log --grep`, `fast-import`) rather than the `gix` crate: one
//! `fast-import` stream writes a whole tree as a commit in a single process, while gix needs the blobs, the
//! nested trees and the commit written object by object (and adds ~60 crates to the build of a 2-core
//! machine). The [`RepositoryHost`] port keeps the choice local to this file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use async_trait::async_trait;
use governance::ports::{RepositoryError, RepositoryHost};
use governance::template::RenderedFile;

/// Bare repositories under one folder: `<root>/<name>.git`.
#[derive(Debug, Clone)]
pub struct GitRepositories {
    root: PathBuf,
}

impl GitRepositories {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The repository's folder (what `git clone` takes).
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.git"))
    }
}

/// Runs git; its stderr is the error a person sees (e.g. "Permission denied").
fn git(dir: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("--git-dir").arg(dir);
    }
    command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input).map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.lines().find(|l| l.starts_with("fatal") || l.starts_with("error")).unwrap_or(err.trim()).to_string())
    }
}

/// A `fast-import` stream committing `files` on `branch`.
fn import_stream(branch: &str, parent: Option<&str>, files: &[RenderedFile], message: &str, replace: bool) -> Vec<u8> {
    let now = chrono::Utc::now().timestamp();
    let mut s = Vec::new();
    let _ = write!(s, "commit refs/heads/{branch}\ncommitter Governance portal <portal@localhost> {now} +0000\n");
    let _ = write!(s, "data {}\n{message}\n", message.len());
    if let Some(parent) = parent {
        let _ = writeln!(s, "from {parent}");
    }
    if replace {
        s.extend_from_slice(b"deleteall\n");
    }
    for f in files {
        let mode = if f.executable() { "100755" } else { "100644" };
        let _ = write!(s, "M {mode} inline {}\ndata {}\n", f.path, f.content.len());
        s.extend_from_slice(f.content.as_bytes());
        s.push(b'\n');
    }
    s.push(b'\n');
    s
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RepositoryError> + Send + 'static,
) -> Result<T, RepositoryError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| RepositoryError::Failed(format!("git task failed: {e}")))?
}

#[async_trait]
impl RepositoryHost for GitRepositories {
    async fn ensure(&self, name: &str, owner: &str) -> Result<String, RepositoryError> {
        let path = self.path(name);
        let root = self.root.clone();
        let (name, owner) = (name.to_string(), owner.to_string());
        blocking(move || {
            let url = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()).display().to_string();
            if path.exists() {
                // Ours from an earlier attempt (reused), or somebody else's (never touched).
                return match git(Some(&path), &["config", "--get", "portal.owner"], None) {
                    Ok(found) if found == owner => Ok(url(&path)),
                    _ => Err(RepositoryError::Collision(name)),
                };
            }
            let failed = |e: String| RepositoryError::Failed(e);
            std::fs::create_dir_all(&root)
                .map_err(|e| failed(format!("cannot create the folder {}: {e}", root.display())))?;
            // Made under a temporary name and renamed when whole, so a failed attempt leaves no half
            // repository that a retry would take for somebody else's.
            let partial = root.join(format!(".{name}.partial-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&partial);
            let partial_str = partial.display().to_string();
            let made = git(None, &["init", "--quiet", "--bare", "--initial-branch=main", &partial_str], None)
                .and_then(|_| git(Some(&partial), &["config", "portal.owner", &owner], None))
                .and_then(|_| {
                    std::fs::rename(&partial, &path).map_err(|e| format!("cannot create {}: {e}", path.display()))
                });
            if let Err(e) = made {
                let _ = std::fs::remove_dir_all(&partial);
                return Err(failed(e));
            }
            Ok(url(&path))
        })
        .await
    }

    async fn commit(
        &self,
        name: &str,
        branch: &str,
        base: Option<&str>,
        files: &[RenderedFile],
        message: &str,
        marker: &str,
        replace: bool,
    ) -> Result<String, RepositoryError> {
        let path = self.path(name);
        let (branch, base, files, message, marker) =
            (branch.to_string(), base.map(str::to_string), files.to_vec(), message.to_string(), marker.to_string());
        blocking(move || {
            let failed = RepositoryError::Failed;
            let rev = |r: &str| {
                git(Some(&path), &["rev-parse", "--verify", "--quiet", r], None).ok().filter(|s| !s.is_empty())
            };
            let reference = format!("refs/heads/{branch}");
            let tip = rev(&reference);
            if tip.is_some() {
                let grep = format!("--grep=Portal-Event: {marker}");
                let done = git(Some(&path), &["log", "--fixed-strings", &grep, "--format=%H", "-n1", &reference], None)
                    .map_err(failed)?;
                if !done.is_empty() {
                    return Ok(done);
                }
            }
            let parent = tip.or_else(|| base.as_deref().and_then(|b| rev(&format!("refs/heads/{b}"))));
            let stream = import_stream(&branch, parent.as_deref(), &files, &message, replace);
            git(Some(&path), &["fast-import", "--quiet"], Some(&stream)).map_err(failed)?;
            rev(&reference).ok_or_else(|| failed(format!("{branch} has no commit after the import")))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governance::template::Repository;

    fn file(path: &str, content: &str) -> RenderedFile {
        RenderedFile { repository: Repository::Build, path: path.into(), content: content.into() }
    }

    #[tokio::test]
    async fn repositories_are_made_once_committed_once_and_clonable() {
        let dir = tempfile::tempdir().unwrap();
        let host = GitRepositories::new(dir.path().join("repos"));
        let url = host.ensure("p-build", "p evt1").await.unwrap();
        assert_eq!(host.ensure("p-build", "p evt1").await.unwrap(), url);
        assert_eq!(host.ensure("p-build", "q evt2").await, Err(RepositoryError::Collision("p-build".into())));
        let files = [file("run.sh", "echo hi\n"), file("src/a.py", "print(1)\n")];
        let msg = "first\n\nPortal-Event: evt1\n";
        let c1 = host.commit("p-build", "main", None, &files, msg, "evt1", true).await.unwrap();
        let c2 = host.commit("p-build", "main", None, &files, msg, "evt1", true).await.unwrap();
        assert_eq!(c1, c2, "a second run commits nothing");
        let up = [file("run.sh", "echo hello\n")];
        let c3 = host
            .commit("p-build", "upgrade", Some("main"), &up, "up\n\nPortal-Event: evt1-up\n", "evt1-up", true)
            .await
            .unwrap();
        assert_ne!(c3, c1);
        let out = dir.path().join("clone");
        git(None, &["clone", "--quiet", &url, &out.display().to_string()], None).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("src/a.py")).unwrap(), "print(1)\n");
        use std::os::unix::fs::PermissionsExt;
        assert!(std::fs::metadata(out.join("run.sh")).unwrap().permissions().mode() & 0o111 != 0);
    }
}
