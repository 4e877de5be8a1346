//! Planning: the part size used for a given size and the parts that cover it.

use crate::error::{Error, Result};
use crate::oss::validation::{MAX_PART_NUMBER, MAX_PART_SIZE};

/// The part size actually used for `size` bytes: the configured one, grown by multiples of it
/// until at most 10000 parts are needed.
pub(crate) fn effective_part_size(configured: u64, size: u64) -> Result<u64> {
    let max_parts = u64::from(MAX_PART_NUMBER);
    if size.div_ceil(configured) <= max_parts {
        return Ok(configured);
    }
    let needed = size.div_ceil(max_parts);
    if needed > MAX_PART_SIZE {
        return Err(Error::invalid(
            "body",
            format!(
                "{size} bytes do not fit in {MAX_PART_NUMBER} parts of at most {MAX_PART_SIZE} bytes"
            ),
        ));
    }
    Ok((needed.div_ceil(configured) * configured).min(MAX_PART_SIZE))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartSpec {
    pub(crate) number: u32,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

pub(crate) fn plan_parts(size: u64, part_size: u64) -> Vec<PartSpec> {
    let count = size.div_ceil(part_size);
    (0..count)
        .map(|i| {
            let offset = i * part_size;
            PartSpec {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                offset,
                len: part_size.min(size - offset),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oss::uploader::DEFAULT_PART_SIZE;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn part_size_grows_to_stay_within_10000_parts() {
        assert_eq!(
            effective_part_size(DEFAULT_PART_SIZE, 10 * MIB).unwrap(),
            DEFAULT_PART_SIZE
        );
        let exactly = 10_000 * DEFAULT_PART_SIZE;
        assert_eq!(
            effective_part_size(DEFAULT_PART_SIZE, exactly).unwrap(),
            DEFAULT_PART_SIZE
        );
        let grown = effective_part_size(DEFAULT_PART_SIZE, exactly + 1).unwrap();
        assert_eq!(grown, 2 * DEFAULT_PART_SIZE);
        let huge = 40 * 1024 * 1024 * MIB; // 40 TiB
        let p = effective_part_size(DEFAULT_PART_SIZE, huge).unwrap();
        assert!(
            huge.div_ceil(p) <= 10_000 && p <= MAX_PART_SIZE && p.is_multiple_of(DEFAULT_PART_SIZE)
        );
        let too_big = 10_000 * MAX_PART_SIZE + 1;
        let e = effective_part_size(DEFAULT_PART_SIZE, too_big).unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "body");
    }

    #[test]
    fn the_plan_covers_the_file_exactly() {
        let plan = plan_parts(1_000_001, 250_000);
        assert_eq!(plan.len(), 5);
        assert_eq!(
            plan[4],
            PartSpec {
                number: 5,
                offset: 1_000_000,
                len: 1
            }
        );
        assert_eq!(plan.iter().map(|p| p.len).sum::<u64>(), 1_000_001);
        assert!(plan_parts(0, 250_000).is_empty());
    }
}
