//! Ticket QR codes: drawn by the app with no network, read by door devices from camera frames.
//!
//! A ticket's QR code carries its signed credential as text (about 120–130 characters, all
//! from the QR alphanumeric set, e.g. `H1:` and base45). It is shown on a phone screen and
//! read at arm's length, often by a cheap camera in bad light, so the code is kept coarse:
//! error correction M (about 15 % of it may be lost to glare or a cracked screen; Q or H
//! would shrink the modules for the same text), version 10 at most (57 modules a side), and
//! the full four-module quiet zone that scanners need to find the finder patterns.
//!
//! Decoding is local too: [`decode_luma`] finds every code in a frame with `rqrr`. The tests
//! show what it survives: scaling, quarter turns, blur, grain, low contrast and clutter.
//! What it does not: codes under about 3 pixels per module, or softly focused ones at about
//! 4, are missed in a good share of frames, so a door screen should ask for the ticket to
//! fill a fair part of the picture.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{GrayImage, ImageEncoder, ImageFormat, ImageReader, Limits, Luma};
use qrcode::bits::{Bits, encode_auto};
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::ec::construct_codewords;
use qrcode::render::Renderer;
use qrcode::types::{Color, QrError as QrcodeError};
use qrcode::{EcLevel, QrCode, Version};

/// Past version 10 the modules of a code drawn on a phone screen get too small for door
/// cameras at arm's length.
pub const MAX_VERSION: u8 = 10;

/// Four modules is what ISO/IEC 18004 asks for; scanners find codes less reliably with less.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Sharp on a phone screen without making a large image to ship to the web view.
pub const DEFAULT_SIZE_PX: u32 = 320;

/// A ticket never needs more; the cap keeps a bad argument from allocating gigabytes.
pub const MAX_SIZE_PX: u32 = 4096;

/// The densest QR mode (numeric) fits 513 characters at version 10 and level M, so longer
/// text is refused before it costs an encoding attempt.
const MAX_BYTES_AT_MAX_VERSION: usize = 513;

/// Camera frames are a few megapixels; the limit turns a decompression bomb into an error.
const MAX_DECODE_DIMENSION: u32 = 8192;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// How a ticket's code is drawn, for callers that pass settings around rather than numbers.
///
/// There is no colour setting on purpose: door cameras read black on white best, and a
/// ticket app has no reason to risk a pale code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QrOptions {
    /// Minimum width of the square image, quiet zone included. The image may come out a
    /// little wider so that every module is a whole number of pixels (crisp edges).
    pub size_px: u32,
}

impl Default for QrOptions {
    fn default() -> Self {
        QrOptions {
            size_px: DEFAULT_SIZE_PX,
        }
    }
}

impl QrOptions {
    /// See [`render_svg`].
    pub fn svg(&self, text: &str) -> Result<String, QrError> {
        render_svg(text, self.size_px)
    }

    /// See [`render_png`].
    pub fn png(&self, text: &str) -> Result<Vec<u8>, QrError> {
        render_png(text, self.size_px)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The credential grew past what a phone screen can show legibly; the fix is a shorter
    /// credential, not a bigger code.
    #[error("{len} bytes do not fit a QR code of version {max_version} at error correction M")]
    TooLong { len: usize, max_version: u8 },
    #[error("cannot render the QR code: {0}")]
    Render(String),
    #[error("cannot read the image: {0}")]
    Decode(String),
    /// Kept for callers that want "nothing found" as an error; [`decode_luma`] and
    /// [`decode_png`] report it as an empty list instead.
    #[error("no QR code found")]
    NoCode,
}

/// Every ticket code is made here, so that none escapes the level-M, version-≤ 10 rule.
///
/// The renderers below do not go through this: they draw the very same modules (tests hold
/// them to it) on a path several times faster, see [`modules`].
pub fn encode(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_bits(data_bits(text)?, EcLevel::M).map_err(|e| QrError::Render(e.to_string()))
}

/// Lets tests and docs state the size a credential format costs.
pub fn qr_version(text: &str) -> Result<u8, QrError> {
    Ok(version_number(data_bits(text)?.version()))
}

/// The data bit stream at level M in the smallest version that holds it, or `TooLong`.
fn data_bits(text: &str) -> Result<Bits, QrError> {
    let too_long = || QrError::TooLong {
        len: text.len(),
        max_version: MAX_VERSION,
    };
    if text.len() > MAX_BYTES_AT_MAX_VERSION {
        return Err(too_long());
    }
    let bits = match encode_auto(text.as_bytes(), EcLevel::M) {
        Ok(bits) => bits,
        Err(QrcodeError::DataTooLong) => return Err(too_long()),
        Err(e) => return Err(QrError::Render(e.to_string())),
    };
    match bits.version() {
        Version::Normal(v) if (1..=i16::from(MAX_VERSION)).contains(&v) => Ok(bits),
        _ => Err(too_long()),
    }
}

/// Only called on versions [`data_bits`] let through, which are 1..=10.
fn version_number(version: Version) -> u8 {
    match version {
        Version::Normal(v) | Version::Micro(v) => u8::try_from(v).unwrap_or(u8::MAX),
    }
}

/// The modules of `text`'s code, row by row, and the number of modules on a side.
///
/// `qrcode` picks the mask by scoring all eight with a general-purpose, bounds-checked
/// penalty function that takes about 0.5 ms for a ticket, the whole SVG budget. This
/// builds the same canvas and scores the masks with [`mask_penalty`], which computes the same
/// scores on a flat grid, so the chosen mask (and so the whole code) is the one
/// [`encode`] would give.
fn modules(text: &str) -> Result<(Vec<Color>, usize), QrError> {
    let bits = data_bits(text)?;
    let version = bits.version();
    let (data, ecc) = construct_codewords(&bits.into_bytes(), version, EcLevel::M)
        .map_err(|e| QrError::Render(e.to_string()))?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ecc);
    let width = usize::try_from(version.width()).unwrap_or(0);

    let mut best: Option<(u32, Vec<Color>)> = None;
    for pattern in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(pattern);
        let colors = masked.into_colors();
        let score = mask_penalty(&colors, width);
        // Strictly lower only: on a tie the earlier mask wins, as in `qrcode`.
        if best
            .as_ref()
            .is_none_or(|(best_score, _)| score < *best_score)
        {
            best = Some((score, colors));
        }
    }
    match best {
        Some((_, colors)) if colors.len() == width * width => Ok((colors, width)),
        _ => Err(QrError::Render("no mask applied".into())),
    }
}

/// In `qrcode`'s order, which decides ties.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The mask penalty of ISO/IEC 18004 §7.8.3 as `qrcode` 0.14 computes it (its finder-like
/// rule and unrounded balance rule differ slightly from the standard; matching it keeps
/// [`encode`] and the renderers in agreement). The constant 720 that `qrcode` subtracts for
/// the three real finder patterns is left in: it changes no comparison.
fn mask_penalty(colors: &[Color], width: usize) -> u32 {
    let w = width.max(1);
    let dark: Vec<bool> = colors.iter().map(|c| *c == Color::Dark).collect();
    let mut columns = vec![false; dark.len()];
    for (y, row) in dark.chunks_exact(w).enumerate() {
        for (x, &d) in row.iter().enumerate() {
            columns[x * w + y] = d;
        }
    }

    let mut score: u32 = dark
        .chunks_exact(w)
        .chain(columns.chunks_exact(w))
        .map(line_penalty)
        .sum();

    // Every 2×2 block of one colour, overlapping ones included: 3 points.
    for (upper, lower) in dark.chunks_exact(w).zip(dark.chunks_exact(w).skip(1)) {
        for (a, b) in upper.windows(2).zip(lower.windows(2)) {
            if a[0] == a[1] && b[0] == b[1] && a[0] == b[0] {
                score += 3;
            }
        }
    }

    // Imbalance: 1 point per half percent of dark modules away from 50 %.
    let dark_count = dark.iter().filter(|d| **d).count();
    let ratio = dark_count * 200 / dark.len().max(1);
    score + u32::try_from(ratio.abs_diff(100)).unwrap_or(u32::MAX)
}

/// The penalties of one row or column of modules.
fn line_penalty(line: &[bool]) -> u32 {
    // Runs of five or more of one colour: 3 points, plus 1 per module past five.
    let mut score: u32 = line
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= 5)
        .map(|run| u32::try_from(run.len() - 2).unwrap_or(u32::MAX))
        .sum();
    // Dark-light-dark-dark-dark-light-dark without four light modules on both sides looks
    // like a finder pattern to a scanner: 40 points.
    const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
    for (j, window) in line.windows(7).enumerate() {
        if window != FINDER {
            continue;
        }
        let dark_before = line[j.saturating_sub(4)..j].contains(&true);
        let dark_after = line[j + 7..(j + 11).min(line.len())].contains(&true);
        if !dark_before || !dark_after {
            score += 40;
        }
    }
    score
}

/// A vector image for the web view, which scales it without blurring module edges.
///
/// The SVG is at least `size_px` wide, quiet zone included, and its modules are whole
/// pixels (`shape-rendering="crispEdges"`).
pub fn render_svg(text: &str, size_px: u32) -> Result<String, QrError> {
    check_size(size_px)?;
    let (colors, width) = modules(text)?;
    Ok(
        Renderer::<qrcode::render::svg::Color>::new(&colors, width, QUIET_ZONE_MODULES)
            .quiet_zone(true)
            .min_dimensions(size_px, size_px)
            .build(),
    )
}

/// A bitmap for places that cannot show SVG (share sheets, wallet passes, printing).
///
/// Grayscale, black on white, at least `size_px` wide with the quiet zone, every module a
/// whole number of pixels so nothing is smoothed at the edges.
pub fn render_png(text: &str, size_px: u32) -> Result<Vec<u8>, QrError> {
    let image = render_luma(text, size_px)?;
    // A QR image is long runs of two values: fast deflate with the Up filter (identical rows
    // within a module become zeros) keeps it both small and well under a millisecond.
    let mut png = Vec::with_capacity(8 * 1024);
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Up)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| QrError::Render(e.to_string()))?;
    Ok(png)
}

/// The same picture as [`render_png`] before it is compressed, so tests can photograph it.
fn render_luma(text: &str, size_px: u32) -> Result<GrayImage, QrError> {
    check_size(size_px)?;
    let (colors, width) = modules(text)?;
    Ok(
        Renderer::<Luma<u8>>::new(&colors, width, QUIET_ZONE_MODULES)
            .quiet_zone(true)
            .min_dimensions(size_px, size_px)
            .build(),
    )
}

fn check_size(size_px: u32) -> Result<(), QrError> {
    if size_px > MAX_SIZE_PX {
        return Err(QrError::Render(format!(
            "size {size_px} px is over the {MAX_SIZE_PX} px limit"
        )));
    }
    Ok(())
}

/// Door devices hand over camera frames; a frame may hold no code, one, or several (a phone
/// showing two tickets), so every code found is returned, in no particular order.
///
/// `rqrr` binarises each pixel against 95 % of a running row average, so in a dim, grainy
/// frame single noisy pixels break up the finder patterns and nothing is found. When the
/// frame as given yields no code, it is read a second time after a 3×3 box blur, which
/// averages that grain away (and costs small, sharp codes nothing, as they read on the first
/// pass). A frame without any code therefore costs two passes.
///
/// Codes whose content is not UTF-8 or is damaged beyond error correction are left out: the
/// next frame is another try. `rqrr` has panicked on odd frames in the past, so a panic
/// inside it is caught and counts as "nothing found" (this relies on the default
/// `panic = "unwind"`).
pub fn decode_luma(image: &GrayImage) -> Vec<String> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let pixels = image.as_raw();
    let found = decode_pass(w, h, pixels);
    if !found.is_empty() {
        return found;
    }
    decode_pass(w, h, &box_blur_3x3(pixels, w, h))
}

fn decode_pass(w: usize, h: usize, pixels: &[u8]) -> Vec<String> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            pixels.get(y * w + x).copied().unwrap_or(u8::MAX)
        });
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
            .collect()
    }))
    .unwrap_or_default()
}

/// The mean of each pixel's 3×3 neighbourhood, edges repeated; `w` and `h` are non-zero.
fn box_blur_3x3(src: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut row_sums = vec![0u16; w * h];
    for (row, sums) in src.chunks_exact(w).zip(row_sums.chunks_exact_mut(w)) {
        for (x, sum) in sums.iter_mut().enumerate() {
            let left = row[x.saturating_sub(1)];
            let right = row[(x + 1).min(w - 1)];
            *sum = u16::from(left) + u16::from(row[x]) + u16::from(right);
        }
    }
    let mut out = vec![0u8; w * h];
    for (y, out_row) in out.chunks_exact_mut(w).enumerate() {
        let up = &row_sums[y.saturating_sub(1) * w..][..w];
        let mid = &row_sums[y * w..][..w];
        let down = &row_sums[(y + 1).min(h - 1) * w..][..w];
        for (((o, a), b), c) in out_row.iter_mut().zip(up).zip(mid).zip(down) {
            // At most 9 × 255, so the mean fits a byte.
            *o = u8::try_from((a + b + c + 4) / 9).unwrap_or(u8::MAX);
        }
    }
    out
}

/// For camera frames handed over as raw grey bytes, row by row (`width × height` of them,
/// as a web view's canvas gives them). A size that does not match the bytes, or larger
/// than a camera frame, is an error; a frame without a code is an empty list.
pub fn decode_gray(width: u32, height: u32, bytes: Vec<u8>) -> Result<Vec<String>, QrError> {
    if width > MAX_DECODE_DIMENSION || height > MAX_DECODE_DIMENSION {
        return Err(QrError::Decode(format!(
            "a {width}×{height} frame is larger than {MAX_DECODE_DIMENSION} pixels a side"
        )));
    }
    let image = GrayImage::from_raw(width, height, bytes).ok_or_else(|| {
        QrError::Decode(format!("the bytes are not a {width}×{height} grey frame"))
    })?;
    Ok(decode_luma(&image))
}

/// For frames that arrive as files (uploads, tests). Bytes that are not a PNG, or a PNG too
/// large to be a camera frame, are an error; a good image without a code is an empty list.
pub fn decode_png(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_DIMENSION);
    limits.max_image_height = Some(MAX_DECODE_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| QrError::Decode(e.to_string()))?;
    Ok(decode_luma(&image.into_luma8()))
}

#[cfg(test)]
mod tests {
    use crate::credential::qr_alphanumeric_bits;

    #[test]
    fn a_raw_grey_frame_is_decoded_and_a_wrong_size_is_an_error() {
        let text = "HF:RAW-FRAME-TEST";
        let png = render_png(text, 240).unwrap();
        let grey = image::load_from_memory(&png).unwrap().into_luma8();
        let (w, h) = grey.dimensions();
        assert_eq!(
            decode_gray(w, h, grey.into_raw()).unwrap(),
            vec![text.to_owned()]
        );
        assert!(matches!(
            decode_gray(10, 10, vec![0; 99]),
            Err(QrError::Decode(_))
        ));
        assert!(matches!(
            decode_gray(
                MAX_DECODE_DIMENSION + 1,
                1,
                vec![0; MAX_DECODE_DIMENSION as usize + 1]
            ),
            Err(QrError::Decode(_))
        ));
        assert!(decode_gray(4, 4, vec![255; 16]).unwrap().is_empty());
    }

    #[test]
    fn a_real_issued_credential_fits_version_5_and_reads_back_from_its_png() {
        let key = crate::credential::keys::TicketSigningKey::generate(12).unwrap();
        let claims = crate::credential::tests::claims();
        let text = crate::credential::Credential::issue(claims, &key).to_text();
        assert!(qr_version(&text).unwrap() <= 5, "{} chars", text.len());
        let png = render_png(&text, DEFAULT_SIZE_PX).unwrap();
        assert_eq!(decode_png(&png).unwrap(), vec![text]);
    }
    use super::*;
    use image::imageops::{self, FilterType as ResizeFilter};
    use proptest::prelude::*;

    const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

    /// A small deterministic generator, so every run draws the same "random" pictures.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }
    }

    /// What a real credential looks like: "H1:" and 120 base45 characters.
    fn credential() -> String {
        let mut lcg = Lcg(0x0048_4146_4C41);
        let body: String = (0..120)
            .map(|_| BASE45[lcg.next() as usize % BASE45.len()] as char)
            .collect();
        format!("H1:{body}")
    }

    const MINIMAL: &str = "H1:";

    fn ticket_image() -> GrayImage {
        render_luma(&credential(), DEFAULT_SIZE_PX).unwrap()
    }

    fn assert_reads_back(image: &GrayImage, what: &str) {
        assert_eq!(
            decode_luma(image),
            vec![credential()],
            "the {what} frame did not read back"
        );
    }

    fn map_pixels(image: &GrayImage, mut f: impl FnMut(u8) -> u8) -> GrayImage {
        let mut out = image.clone();
        for p in out.pixels_mut() {
            p.0[0] = f(p.0[0]);
        }
        out
    }

    #[test]
    fn a_credential_fits_version_10_or_less_at_level_m() {
        let text = credential();
        assert_eq!(text.len(), 123);
        assert!(
            text.bytes().all(|b| BASE45.contains(&b)),
            "only alphanumeric-mode characters"
        );
        let code = encode(&text).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
        let version = qr_version(&text).unwrap();
        assert!(version <= MAX_VERSION, "version {version}");
        // 690 data bits: two bits over version 5's 688, so version 6 (41 × 41 modules).
        assert_eq!(version, 6);
        assert_eq!(qr_version(MINIMAL).unwrap(), 1);
    }

    #[test]
    fn a_credential_costs_690_data_bits_well_under_a_pretix_code() {
        assert_eq!(qr_alphanumeric_bits(123), 4 + 9 + 61 * 11 + 6);
        assert_eq!(qr_alphanumeric_bits(123), 690);
        // pretix's signed ticket codes take 928 bits.
        assert!(qr_alphanumeric_bits(123) < 928);
        assert_eq!(qr_alphanumeric_bits(0), 13);
        assert_eq!(qr_alphanumeric_bits(3), 13 + 11 + 6);
        assert_eq!(qr_alphanumeric_bits(usize::MAX), usize::MAX);
    }

    #[test]
    fn text_too_long_for_version_10_is_refused_not_panicked_on() {
        // Version 10 at level M holds 311 alphanumeric characters.
        let fits: String = "A".repeat(311);
        assert_eq!(qr_version(&fits).unwrap(), 10);
        let over: String = "A".repeat(312);
        assert!(matches!(
            encode(&over),
            Err(QrError::TooLong {
                len: 312,
                max_version: 10
            })
        ));
        let huge = "x".repeat(1_000_000);
        assert!(matches!(
            render_png(&huge, 320),
            Err(QrError::TooLong { .. })
        ));
        assert!(matches!(
            render_svg(&huge, 320),
            Err(QrError::TooLong { .. })
        ));
    }

    #[test]
    fn an_absurd_size_is_refused_rather_than_allocated() {
        assert!(matches!(
            render_png(MINIMAL, u32::MAX),
            Err(QrError::Render(_))
        ));
        assert!(matches!(
            render_svg(MINIMAL, u32::MAX),
            Err(QrError::Render(_))
        ));
        // Zero is not absurd, just small: one pixel per module.
        let tiny = render_luma(MINIMAL, 0).unwrap();
        assert_eq!(tiny.width(), 21 + 2 * QUIET_ZONE_MODULES);
    }

    #[test]
    fn the_renderers_draw_exactly_the_code_that_qrcode_would() {
        for text in [
            credential(),
            MINIMAL.to_owned(),
            "A".repeat(311),
            "https://hafla.jo/t/ABC".to_owned(),
            String::new(),
        ] {
            let code = encode(&text).unwrap();
            let (colors, width) = modules(&text).unwrap();
            assert_eq!(width, code.width());
            assert_eq!(colors, code.to_colors(), "modules differ for {text:?}");
        }
    }

    #[test]
    fn a_rendered_png_decodes_back_to_the_same_text() {
        for text in [credential(), MINIMAL.to_owned()] {
            let png = render_png(&text, DEFAULT_SIZE_PX).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert_eq!(decode_png(&png).unwrap(), vec![text]);
        }
        let png = QrOptions::default().png(&credential()).unwrap();
        assert_eq!(decode_png(&png).unwrap(), vec![credential()]);
    }

    #[test]
    fn a_png_is_grayscale_at_least_the_asked_size_with_a_white_quiet_zone() {
        let png = render_png(&credential(), DEFAULT_SIZE_PX).unwrap();
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!(decoded.color(), image::ColorType::L8);
        let image = decoded.into_luma8();
        let modules = 41 + 2 * QUIET_ZONE_MODULES;
        assert_eq!(image.width(), image.height());
        assert!(image.width() >= DEFAULT_SIZE_PX);
        assert_eq!(image.width() % modules, 0, "whole pixels per module");
        let quiet = QUIET_ZONE_MODULES * image.width() / modules;
        for (x, y, p) in image.enumerate_pixels() {
            let in_border =
                x < quiet || y < quiet || x >= image.width() - quiet || y >= image.height() - quiet;
            if in_border {
                assert_eq!(p.0[0], 255, "quiet zone pixel ({x}, {y}) is not white");
            }
        }
    }

    #[test]
    fn an_svg_is_at_least_the_asked_size_with_a_four_module_quiet_zone() {
        let svg = render_svg(&credential(), DEFAULT_SIZE_PX).unwrap();
        assert!(svg.contains("<svg"));
        let number_after = |key: &str| -> u32 {
            let start = svg.find(key).unwrap() + key.len();
            svg[start..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let width = number_after("width=\"");
        assert_eq!(width, number_after("height=\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {width} {width}\"")));
        assert!(width >= DEFAULT_SIZE_PX);
        let modules = 41 + 2 * QUIET_ZONE_MODULES;
        assert_eq!(width % modules, 0);
        let unit = width / modules;
        let quiet = QUIET_ZONE_MODULES * unit;
        // Every dark square starts with "M{x} {y}"; none may start inside the quiet zone.
        let path = &svg[svg.find(" d=\"").unwrap()..];
        let mut squares = 0;
        for cmd in path.split('M').skip(1) {
            let mut xy = cmd
                .split(|c: char| !c.is_ascii_digit())
                .map(|n| n.parse::<u32>().unwrap());
            let (x, y) = (xy.next().unwrap(), xy.next().unwrap());
            assert!((quiet..width - quiet).contains(&x), "x = {x}");
            assert!((quiet..width - quiet).contains(&y), "y = {y}");
            squares += 1;
        }
        assert!(squares > 100, "only {squares} dark modules");
        assert_eq!(QrOptions::default().svg(&credential()).unwrap(), svg);
    }

    #[test]
    fn a_frame_scaled_down_to_60_percent_still_reads() {
        let image = ticket_image();
        let (w, h) = (image.width() * 6 / 10, image.height() * 6 / 10);
        let small = imageops::resize(&image, w, h, ResizeFilter::CatmullRom);
        assert_reads_back(&small, "scaled");
    }

    #[test]
    fn a_frame_rotated_a_quarter_or_half_turn_still_reads() {
        let image = ticket_image();
        assert_reads_back(&imageops::rotate90(&image), "rotated 90°");
        assert_reads_back(&imageops::rotate180(&image), "rotated 180°");
        assert_reads_back(&imageops::rotate270(&image), "rotated 270°");
    }

    #[test]
    fn a_blurred_frame_still_reads() {
        let blurred = imageops::blur(&ticket_image(), 1.5);
        assert_reads_back(&blurred, "blurred");
    }

    fn add_noise(image: &GrayImage, amplitude: u32, seed: u64) -> GrayImage {
        let mut lcg = Lcg(seed);
        map_pixels(image, |p| {
            let delta = i64::from(lcg.next() % (2 * amplitude + 1)) - i64::from(amplitude);
            (i64::from(p) + delta).clamp(0, 255) as u8
        })
    }

    #[test]
    fn a_noisy_frame_still_reads() {
        // Uniform ±40 grain on every pixel; several draws, as some defeat a single pass.
        let image = ticket_image();
        for seed in 1..=6 {
            assert_reads_back(
                &add_noise(&image, 40, seed),
                &format!("noisy (seed {seed})"),
            );
        }
    }

    #[test]
    fn grain_that_hides_the_finder_patterns_is_averaged_away() {
        let image = ticket_image();
        let hidden: Vec<u64> = (1..=6)
            .filter(|seed| {
                let noisy = add_noise(&image, 40, *seed);
                decode_pass(
                    noisy.width() as usize,
                    noisy.height() as usize,
                    noisy.as_raw(),
                )
                .is_empty()
            })
            .collect();
        assert!(!hidden.is_empty(), "no draw needs the second pass any more");
        for seed in hidden {
            assert_reads_back(&add_noise(&image, 40, seed), "grainy");
        }
    }

    #[test]
    fn a_dim_grainy_slightly_soft_frame_still_reads() {
        // Everything at once, milder: 80 % size, blur σ 1, 70–190 contrast, ±20 grain.
        let image = ticket_image();
        let (w, h) = (image.width() * 8 / 10, image.height() * 8 / 10);
        let soft = imageops::blur(
            &imageops::resize(&image, w, h, ResizeFilter::CatmullRom),
            1.0,
        );
        let dim = map_pixels(&soft, |p| (70 + u32::from(p) * 120 / 255) as u8);
        assert_reads_back(&add_noise(&dim, 20, 3), "dim, grainy and soft");
    }

    #[test]
    fn a_low_contrast_frame_still_reads() {
        // Black shows as 90 and white as 170: a dim screen under a bright lobby light.
        let dull = map_pixels(&ticket_image(), |p| (90 + u32::from(p) * 80 / 255) as u8);
        assert_reads_back(&dull, "low-contrast");
    }

    #[test]
    fn a_code_off_centre_in_a_cluttered_frame_still_reads() {
        let code = ticket_image();
        let mut frame = GrayImage::from_pixel(1280, 800, Luma([200]));
        // Clutter: a dark phone bezel edge, text-like bars and a checkerboard patch.
        for (x, y, w, h, shade) in [
            (40, 60, 500, 30, 20),
            (40, 120, 420, 18, 60),
            (40, 160, 460, 18, 60),
            (60, 500, 300, 200, 120),
            (1180, 0, 60, 800, 30),
        ] {
            for yy in y..y + h {
                for xx in x..x + w {
                    frame.put_pixel(xx, yy, Luma([shade]));
                }
            }
        }
        for yy in 300..420 {
            for xx in 420..540 {
                let dark = ((xx / 12) + (yy / 12)) % 2 == 0;
                frame.put_pixel(xx, yy, Luma([if dark { 10 } else { 240 }]));
            }
        }
        imageops::replace(&mut frame, &code, 700, 260);
        assert_reads_back(&frame, "cluttered");
    }

    #[test]
    fn a_frame_without_a_code_reads_as_nothing() {
        let empty = GrayImage::from_pixel(640, 480, Luma([200]));
        assert!(decode_luma(&empty).is_empty());
        let mut lcg = Lcg(99);
        let static_noise = map_pixels(&empty, |_| lcg.next() as u8);
        assert!(decode_luma(&static_noise).is_empty());
        assert!(decode_luma(&GrayImage::new(0, 0)).is_empty());
        assert!(decode_luma(&GrayImage::new(1, 1)).is_empty());

        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(empty.as_raw(), 640, 480, image::ExtendedColorType::L8)
            .unwrap();
        assert_eq!(decode_png(&png).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        assert!(matches!(decode_png(b""), Err(QrError::Decode(_))));
        assert!(matches!(decode_png(b"not a png"), Err(QrError::Decode(_))));
        let png = render_png(&credential(), DEFAULT_SIZE_PX).unwrap();
        assert!(matches!(
            decode_png(&png[..png.len() / 2]),
            Err(QrError::Decode(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_text_either_encodes_within_version_10_or_is_refused(text in ".{0,600}") {
            match qr_version(&text) {
                Ok(v) => prop_assert!((1..=MAX_VERSION).contains(&v)),
                Err(QrError::TooLong { len, .. }) => prop_assert_eq!(len, text.len()),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
            let _ = render_svg(&text, 64);
        }

        #[test]
        // At most 200 bytes of UTF-8, which fits version 10 even in byte mode.
        fn any_text_is_drawn_with_the_mask_qrcode_would_choose(text in ".{0,50}") {
            let code = encode(&text)?;
            prop_assert_eq!(modules(&text)?, (code.to_colors(), code.width()));
        }

        #[test]
        fn any_alphanumeric_text_that_fits_reads_back(text in "[0-9A-Z $%*+./:-]{1,150}") {
            let png = render_png(&text, 200)?;
            prop_assert_eq!(decode_png(&png)?, vec![text]);
        }

        #[test]
        fn any_bytes_given_as_a_png_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_png(&bytes);
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend_from_slice(&bytes);
            let _ = decode_png(&png);
        }
    }
}
