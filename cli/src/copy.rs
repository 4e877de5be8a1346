//! `cp`: uploads with the Uploader, downloads with the Downloader, one file or a whole folder
//! (prefix) with `-r`.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use alioss::oss::{Downloader, Uploader};
use alioss::Error;
use futures_util::{stream, StreamExt as _, TryStreamExt as _};

use crate::cli::CpArgs;
use crate::context::Context;
use crate::location::Location;
use crate::progress::{rate, say, summary, Bar};
use crate::report::{describe, Failure};

pub(crate) async fn run(ctx: &Context, args: &CpArgs) -> Result<(), Failure> {
    let source = Location::parse(&args.source)?;
    let destination = Location::parse(&args.destination)?;
    match (source, destination) {
        (Location::Local(path), Location::Oss { bucket, key }) => {
            if args.recursive {
                upload_folder(ctx, args, &path, &bucket, &key).await
            } else {
                if path.is_dir() {
                    return Err(Error::invalid(
                        "source",
                        format!("{} is a folder; copy it with -r", path.display()),
                    )
                    .into());
                }
                let key = if key.is_empty() || key.ends_with('/') {
                    format!("{key}{}", file_name(&path)?)
                } else {
                    key
                };
                upload_file(ctx, args, &path, &bucket, &key).await?;
                Ok(())
            }
        }
        (Location::Oss { bucket, key }, Location::Local(path)) => {
            if args.recursive {
                download_prefix(ctx, args, &bucket, &key, &path).await
            } else {
                let name = key.rsplit('/').next().unwrap_or_default();
                if name.is_empty() {
                    return Err(Error::invalid(
                        "source",
                        "names no object (a key ending in / is a prefix: copy it with -r)",
                    )
                    .into());
                }
                let dest = if path.is_dir() || args.destination.ends_with('/') {
                    path.join(name)
                } else {
                    path
                };
                download_file(ctx, args, &bucket, &key, &dest).await?;
                Ok(())
            }
        }
        (Location::Oss { .. }, Location::Oss { .. }) => Err(Error::invalid(
            "destination",
            "copying from OSS to OSS is not supported; one side must be a local path",
        )
        .into()),
        (Location::Local(_), Location::Local(_)) => {
            Err(Error::invalid("destination", "one side must be oss://bucket/key").into())
        }
    }
}

fn file_name(path: &Path) -> Result<String, Error> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::invalid("source", "names no file"))
}

/// Leaves `bar` complete on screen after a single file's success; otherwise (a failure, or
/// one file of `cp -r`, whose finished bars would pile up) takes it off; returns `result`.
fn settle<T>(bar: &Bar, args: &CpArgs, result: Result<T, Error>) -> Result<T, Error> {
    if result.is_ok() && !args.recursive {
        bar.finish();
    } else {
        bar.clear();
    }
    result
}

fn uploader(ctx: &Context, args: &CpArgs, bar: &Bar) -> Result<Uploader, Error> {
    let mut b = Uploader::builder(ctx.client.clone());
    if let Some(size) = args.part_size {
        b = b.part_size(size);
    }
    if let Some(n) = args.parallel {
        b = b.parallelism(n);
    }
    if let Some(dir) = &args.checkpoint_dir {
        b = b.checkpoint_dir(dir);
    }
    let bar = bar.clone();
    b.on_progress(move |p| bar.set(p.bytes_done)).build()
}

async fn upload_file(
    ctx: &Context,
    args: &CpArgs,
    path: &Path,
    bucket: &str,
    key: &str,
) -> Result<u64, Error> {
    let size = tokio::fs::metadata(path).await?.len();
    let bar = Bar::new(ctx.bars.as_ref(), size, &file_name(path)?);
    let started = Instant::now();
    let result = uploader(ctx, args, &bar)?
        .upload_file(bucket, key, path)
        .send()
        .await;
    let out = settle(&bar, args, result)?;
    say(
        ctx.bars.as_ref(),
        &format!(
            "uploaded {} -> oss://{bucket}/{key}: {}",
            path.display(),
            summary(out.size, out.etag.as_deref(), out.crc64, started.elapsed())
        ),
    );
    Ok(out.size)
}

async fn download_file(
    ctx: &Context,
    args: &CpArgs,
    bucket: &str,
    key: &str,
    dest: &Path,
) -> Result<u64, Error> {
    let label = key.rsplit('/').next().unwrap_or(key).to_owned();
    let bar = Bar::new(ctx.bars.as_ref(), 0, &label);
    let started = Instant::now();
    let length_bar = bar.clone();
    let d = {
        let mut b = Downloader::builder(ctx.client.clone());
        if let Some(size) = args.part_size {
            b = b.range_size(size);
        }
        if let Some(n) = args.parallel {
            b = b.parallelism(n);
        }
        if let Some(dir) = &args.checkpoint_dir {
            b = b.checkpoint_dir(dir);
        }
        b.on_progress(move |p| {
            length_bar.set_length(p.total_bytes);
            length_bar.set(p.bytes_done);
        })
        .build()?
    };
    let result = d.download_file(bucket, key, dest).send().await;
    let out = settle(&bar, args, result)?;
    say(
        ctx.bars.as_ref(),
        &format!(
            "downloaded oss://{bucket}/{key} -> {}: {}",
            dest.display(),
            summary(out.size, out.etag.as_deref(), out.crc64, started.elapsed())
        ),
    );
    Ok(out.size)
}

async fn upload_folder(
    ctx: &Context,
    args: &CpArgs,
    dir: &Path,
    bucket: &str,
    prefix: &str,
) -> Result<(), Failure> {
    if !dir.is_dir() {
        return Err(Error::invalid("source", format!("{} is not a folder", dir.display())).into());
    }
    let root = dir.to_owned();
    let files = tokio::task::spawn_blocking(move || walk(&root))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let prefix = if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    };
    let started = Instant::now();
    let prefix = &prefix;
    let total = in_parallel(ctx, args, files.iter(), |rel| async move {
        let key = format!("{prefix}{}", slash_path(rel));
        let path = dir.join(rel);
        (
            path.display().to_string(),
            upload_file(ctx, args, &path, bucket, &key).await,
        )
    })
    .await?;
    say(
        ctx.bars.as_ref(),
        &format!(
            "{} files, {total} bytes, {}",
            files.len(),
            rate(total, started.elapsed())
        ),
    );
    Ok(())
}

async fn download_prefix(
    ctx: &Context,
    args: &CpArgs,
    bucket: &str,
    prefix: &str,
    dir: &Path,
) -> Result<(), Failure> {
    let prefix = if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    };
    let mut list = ctx.client.list_objects_v2(bucket);
    if !prefix.is_empty() {
        list = list.prefix(prefix.clone());
    }
    let objects: Vec<_> = list.into_stream().try_collect().await?;
    // Every key is checked before anything is written.
    let mut wanted = Vec::new();
    for object in &objects {
        // A listing of the prefix names only keys below it; anything else is skipped.
        let Some(rel) = object.key.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if rel.is_empty() || rel.ends_with('/') {
            continue; // a folder marker
        }
        let local = safe_relative(rel).ok_or_else(|| {
            Error::invalid(
                "key",
                format!(
                    "{:?} cannot be a local path (absolute, or with . or .. parts)",
                    object.key
                ),
            )
        })?;
        wanted.push((object.key.as_str(), dir.join(local)));
    }
    let started = Instant::now();
    let total = in_parallel(ctx, args, wanted.iter(), |(key, dest)| async move {
        let result = async {
            if let Some(parent) = dest.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            download_file(ctx, args, bucket, key, dest).await
        };
        (format!("oss://{bucket}/{key}"), result.await)
    })
    .await?;
    say(
        ctx.bars.as_ref(),
        &format!(
            "{} files, {total} bytes, {}",
            wanted.len(),
            rate(total, started.elapsed())
        ),
    );
    Ok(())
}

/// Runs `transfer` on every item, `--jobs` at a time, and adds up the bytes moved. A failed
/// transfer does not stop the others (none is left half done): each failure is printed as it
/// happens, with what it was copying, and the command fails at the end.
async fn in_parallel<I, T, F, Fut>(
    ctx: &Context,
    args: &CpArgs,
    items: I,
    transfer: F,
) -> Result<u64, Failure>
where
    I: Iterator<Item = T>,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = (String, Result<u64, Error>)>,
{
    let mut results = stream::iter(items.map(transfer)).buffer_unordered(usize::from(args.jobs));
    let (mut total, mut done, mut failed) = (0u64, 0usize, 0usize);
    while let Some((what, result)) = results.next().await {
        done += 1;
        match result {
            Ok(n) => total += n,
            Err(e) => {
                failed += 1;
                let line = format!("{what}: {}", describe(&e));
                match &ctx.bars {
                    Some(b) => b.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
            }
        }
    }
    if failed > 0 {
        return Err(Failure::Transfers {
            failed,
            total: done,
        });
    }
    Ok(total)
}

/// The files under `root`, as paths relative to it, sorted.
fn walk(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(root.join(&rel))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A relative path's parts joined with `/`.
fn slash_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A key below the prefix as a local relative path, if it is a safe one (no root, no `.` or
/// `..`, no empty parts).
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return None;
        }
        out.push(part);
    }
    out.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_would_escape_the_folder_are_refused() {
        assert_eq!(safe_relative("a/b.txt"), Some(PathBuf::from("a/b.txt")));
        for bad in ["../x", "a/../../x", "/abs", "a//b", "a/./b", "a\\..\\b"] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn folders_are_walked_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("a.txt"), "1").unwrap();
        std::fs::write(dir.path().join("b/c/d.txt"), "2").unwrap();
        let files: Vec<String> = walk(dir.path())
            .unwrap()
            .iter()
            .map(|p| slash_path(p))
            .collect();
        assert_eq!(files, vec!["a.txt", "b/c/d.txt"]);
    }
}
