//! Ticket QR rendering and reading, against the budgets of a 2-core device: SVG under
//! 0.5 ms and PNG under 2 ms per ticket at 320 px.

use criterion::{Criterion, criterion_group, criterion_main};
use hafla_core::qr::{DEFAULT_SIZE_PX, decode_png, render_png, render_svg};
use std::hint::black_box;

/// The shape of a real credential: "H1:" and 120 base45 characters.
fn credential() -> String {
    const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut state: u64 = 0x0048_4146_4C41;
    let body: String = (0..120)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            BASE45[(state >> 33) as usize % BASE45.len()] as char
        })
        .collect();
    format!("H1:{body}")
}

fn qr(c: &mut Criterion) {
    let text = credential();
    let png = render_png(&text, DEFAULT_SIZE_PX).expect("a credential renders");
    assert_eq!(decode_png(&png).expect("a PNG decodes"), vec![text.clone()]);

    let mut group = c.benchmark_group("qr");
    group.bench_function("render_svg", |b| {
        b.iter(|| render_svg(black_box(&text), black_box(DEFAULT_SIZE_PX)))
    });
    group.bench_function("render_png", |b| {
        b.iter(|| render_png(black_box(&text), black_box(DEFAULT_SIZE_PX)))
    });
    group.bench_function("decode_png", |b| b.iter(|| decode_png(black_box(&png))));
    group.finish();
}

criterion_group!(benches, qr);
criterion_main!(benches);
