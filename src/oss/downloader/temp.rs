//! The temporary file a download is written into, beside its destination, and reading back
//! the CRC-64 of a part of it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The temporary file for `destination`, in the same folder (so the final rename stays on one
/// file system): `.<name>.alioss-download`, or with a random tag in the name when `unique`
/// (a download that cannot be resumed, so two of them never share a file).
pub(crate) fn temp_path_beside(destination: &Path, unique: bool) -> Result<PathBuf> {
    let name = destination
        .file_name()
        .ok_or_else(|| Error::invalid("destination", "must name a file"))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    if unique {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        temp.push(format!(".{}", &tag[..12]));
    }
    temp.push(".alioss-download");
    Ok(destination.with_file_name(temp))
}

/// The CRC-64 of `len` bytes of the temporary file at `path` from `offset`.
pub(crate) async fn crc_of_file_range(path: &Path, offset: u64, len: u64) -> Result<u64> {
    crate::oss::crc64::of_file_range(
        path,
        offset,
        len,
        "the temporary download file is shorter than the object",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_sits_beside_the_destination() {
        let t = temp_path_beside(Path::new("/data/out/file.bin"), false).unwrap();
        assert_eq!(t, Path::new("/data/out/.file.bin.alioss-download"));
        let u = temp_path_beside(Path::new("/data/out/file.bin"), true).unwrap();
        assert_eq!(u.parent(), Some(Path::new("/data/out")));
        assert_ne!(u, t);
        assert!(temp_path_beside(Path::new("/"), false).is_err());
    }

    #[tokio::test]
    async fn crc_of_a_file_range_matches_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let got = crc_of_file_range(&path, 1000, 600_000).await.unwrap();
        assert_eq!(got, crate::oss::crc64::checksum(&data[1000..601_000]));
        assert!(crc_of_file_range(&path, 690_000, 20_000).await.is_err());
    }
}
