//! Access tokens: verifying a valid HS256 token with [`TokenKeys::verify`]
//! (signature, expiry, claims), and signing one with [`TokenKeys::sign`].

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ferrocrud::auth::{Claims, TokenKeys};

fn bench_jwt(c: &mut Criterion) {
    let keys = TokenKeys::from_secret("a long random secret for the benchmarks")
        .expect("a non-empty secret");
    let (token, claims) = keys
        .issue("0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77", Some(0), 3_600, None)
        .expect("a signed token");
    assert_eq!(
        keys.verify(&token).ok().as_ref(),
        Some(&claims),
        "the token verifies"
    );

    let mut group = c.benchmark_group("jwt");
    group.bench_function("verify_hs256", |b| {
        b.iter(|| keys.verify(black_box(&token)));
    });
    group.bench_function("sign_hs256", |b| {
        b.iter(|| keys.sign(black_box::<&Claims>(&claims)));
    });
    group.finish();
}

criterion_group!(benches, bench_jwt);
criterion_main!(benches);
