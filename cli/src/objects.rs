//! `ls`, `rm` and `presign`.

use std::time::Duration;

use alioss::Error;
use futures_util::{StreamExt as _, TryStreamExt as _};
use time::format_description::well_known::Rfc3339;

use crate::cli::{LsArgs, PresignArgs, RmArgs};
use crate::context::Context;
use crate::location::parse_url;

/// Lists objects: `modified  size  oss://bucket/key`, then a count.
pub(crate) async fn list(ctx: &Context, args: &LsArgs) -> Result<(), Error> {
    let (bucket, prefix) = parse_url(&args.url)?;
    let mut req = ctx.client.list_objects_v2(&bucket);
    if !prefix.is_empty() {
        req = req.prefix(prefix);
    }
    if args.directories {
        req = req.delimiter("/");
    }
    let mut pages = std::pin::pin!(req.into_pages());
    let (mut count, mut bytes, mut folders) = (0u64, 0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page = page?;
        for p in &page.common_prefixes {
            println!("{:>20}  {:>12}  oss://{bucket}/{p}", "", "PRE");
            folders += 1;
        }
        for o in &page.objects {
            let modified = o
                .last_modified
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_else(|| "-".to_owned());
            println!("{modified:>20}  {:>12}  oss://{bucket}/{}", o.size, o.key);
            count += 1;
            bytes += o.size;
        }
    }
    if args.directories {
        println!("{count} objects, {folders} folders, {bytes} bytes");
    } else {
        println!("{count} objects, {bytes} bytes");
    }
    Ok(())
}

/// Removes one object, or with `-r` every object under a prefix.
pub(crate) async fn remove(ctx: &Context, args: &RmArgs) -> Result<(), Error> {
    let (bucket, key) = parse_url(&args.url)?;
    if !args.recursive {
        if key.is_empty() || key.ends_with('/') {
            return Err(Error::invalid(
                "url",
                "names no object (remove a prefix with -r)",
            ));
        }
        ctx.client.delete_object(&bucket, &key).send().await?;
        println!("removed oss://{bucket}/{key}");
        return Ok(());
    }
    let mut req = ctx.client.list_objects_v2(&bucket);
    if !key.is_empty() {
        req = req.prefix(key);
    }
    let keys: Vec<String> = req.into_stream().map_ok(|o| o.key).try_collect().await?;
    // DeleteMultipleObjects, 1000 keys a request, 4 requests at a time.
    let mut batches = ctx.client.delete_objects(&bucket, keys, 4);
    let mut removed = 0usize;
    while let Some(deleted) = batches.try_next().await? {
        for k in &deleted {
            println!("removed oss://{bucket}/{k}");
        }
        removed += deleted.len();
    }
    println!("{removed} objects removed");
    Ok(())
}

/// Prints a presigned URL (the command's output: it is printed because it was asked for).
pub(crate) async fn presign(ctx: &Context, args: &PresignArgs) -> Result<(), Error> {
    let (bucket, key) = parse_url(&args.url)?;
    let expires = Duration::from_secs(args.expires);
    let c = &ctx.client;
    let url = match args.method.to_ascii_uppercase().as_str() {
        "GET" => c.presign_get(bucket, key, expires).await?,
        "PUT" => c.presign_put(bucket, key, expires).await?,
        "HEAD" => c.presign_head(bucket, key, expires).await?,
        other => {
            return Err(Error::invalid(
                "method",
                format!("must be GET, PUT or HEAD (got {other:?})"),
            ))
        }
    };
    println!("{}", url.url());
    if let Ok(when) = url.expiration().format(&Rfc3339) {
        eprintln!("expires {when}");
    }
    Ok(())
}
