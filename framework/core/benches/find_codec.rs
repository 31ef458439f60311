//! The wire codec of a `find`: decoding the request's `query` and `options`
//! parameters, and encoding the answer.
//!
//! Decoding runs [`ferrocrud::http::decode_params`] on the query string a
//! client sends for a filtered, sorted page. Encoding turns a page of 10 or
//! 100 post rows (about 200 bytes of content each) into JSON bytes as the
//! HTTP layer does: the service's [`FindResponse`] into a JSON value, then
//! that value into its text.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ferrocrud::http::decode_params;
use ferrocrud::shared::FindResponse;
use serde_json::{Value, json};

/// A page of `rows` posts, as `find` returns it: `{data, total, limit}`.
fn page(rows: usize) -> FindResponse<Value> {
    let content = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod \
                   tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, \
                   quis nostrud exercitation ullamco labor.";
    let data = (0..rows)
        .map(|i| {
            json!({
                "id": format!("0197a3c2-9b41-7c3e-8f6a-{i:012}"),
                "owner": "0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77",
                "title": format!("Post number {i}"),
                "content": content,
                "published": i % 2 == 0,
                "likes": i * 7,
                "createdAt": "2026-11-22T18:03:44.965Z",
                "updatedAt": "2026-11-23T09:12:01.120Z",
            })
        })
        .collect();
    FindResponse {
        data,
        total: Some(1_234),
        limit: Some(u64::try_from(rows).unwrap_or(u64::MAX)),
    }
}

/// The HTTP layer's encoding of an answer.
fn encode(page: &FindResponse<Value>) -> Vec<u8> {
    serde_json::to_value(page)
        .expect("a serializable answer")
        .to_string()
        .into_bytes()
}

fn bench_find_codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("find_codec");
    // GET /crud/s/post/many?query={"owner":...,"published":true}&options={...}
    let raw = "query=%7B%22owner%22%3A%220197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77%22%2C\
               %22published%22%3Atrue%7D&options=%7B%22limit%22%3A20%2C%22offset%22%3A40%2C\
               %22orderBy%22%3A%7B%22createdAt%22%3A%22DESC%22%7D%2C\
               %22fields%22%3A%5B%22id%22%2C%22title%22%2C%22createdAt%22%5D%7D";
    let (query, options) = decode_params(Some(raw)).expect("valid parameters");
    assert_eq!(query.map(|q| q.len()), Some(2), "the query decodes");
    assert_eq!(options.limit, Some(20), "the options decode");
    group.bench_function("decode_params", |b| {
        b.iter(|| decode_params(black_box(Some(raw))));
    });

    for rows in [10, 100] {
        let page = page(rows);
        let bytes = encode(&page).len();
        group.throughput(Throughput::Bytes(u64::try_from(bytes).unwrap_or(u64::MAX)));
        group.bench_with_input(BenchmarkId::new("encode_page", rows), &page, |b, page| {
            b.iter(|| encode(black_box(page)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_find_codec);
criterion_main!(benches);
