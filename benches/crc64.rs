//! CRC-64/XZ throughput on 64 MiB, and the cost of combining part CRCs.

use std::hint::black_box;

use alioss::oss::crc64;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench_crc64(c: &mut Criterion) {
    let data: Vec<u8> = (0..64u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut g = c.benchmark_group("crc64");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("checksum_64MiB", |b| {
        b.iter(|| crc64::checksum(black_box(&data)))
    });
    g.bench_function("streaming_64MiB_in_1MiB_chunks", |b| {
        b.iter(|| {
            let mut c = crc64::Crc64::new();
            for chunk in data.chunks(1 << 20) {
                c.update(black_box(chunk));
            }
            c.value()
        })
    });
    g.finish();
    c.bench_function("crc64_combine_6MiB_part", |b| {
        b.iter(|| crc64::combine(black_box(0x1234), black_box(0x5678), black_box(6 << 20)))
    });
}

criterion_group!(benches, bench_crc64);
criterion_main!(benches);
