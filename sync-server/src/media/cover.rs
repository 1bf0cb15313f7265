//! The cover pipeline: check, decode once, make the variants, re-encode. See the module
//! documentation of `media` for the rules and the limits.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::error::DecodingError;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

use super::color::convert_to_srgb;
use super::jpeg;
use super::{
    ImageFormat, JPEG_QUALITY, LARGE_WIDTH, MAX_DECODE_BYTES, MAX_PIXELS, MAX_SIDE,
    MAX_UPLOAD_BYTES, MEDIUM_WIDTH, MIN_HEIGHT, MIN_WIDTH, MediaError, THUMB_HEIGHT, THUMB_WIDTH,
    sniff,
};

/// Downscaling filter: Lanczos3 keeps fine detail (text on posters) sharp.
const FILTER: FilterType = FilterType::Lanczos3;

/// What an upload becomes: the variants to store and serve, and facts about the upload.
#[derive(Debug, Clone)]
pub struct CoverImages {
    /// The format the upload was in.
    pub source_format: ImageFormat,
    /// The upload's width once upright (after its EXIF orientation).
    pub width: u32,
    /// The upload's height once upright.
    pub height: u32,
    /// The whole image, at most [`LARGE_WIDTH`] wide.
    pub large: Variant,
    /// The whole image, at most [`MEDIUM_WIDTH`] wide.
    pub medium: Variant,
    /// A 16:9 centre crop, at most [`THUMB_WIDTH`] × [`THUMB_HEIGHT`].
    pub thumb: Variant,
}

impl CoverImages {
    /// The variants, largest first.
    pub fn variants(&self) -> [&Variant; 3] {
        [&self.large, &self.medium, &self.thumb]
    }
}

/// One re-encoded image, ready to store and serve.
#[derive(Clone, PartialEq, Eq)]
pub struct Variant {
    /// `large`, `medium` or `thumb`: the variant's name in storage keys and URLs.
    pub name: &'static str,
    /// Always `image/jpeg`.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// The encoded image, free of any metadata.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, 64 lowercase hexadecimal digits: a strong ETag and an immutable
    /// name.
    pub sha256: String,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Checks an uploaded cover image and makes its variants (`large`, `medium`, `thumb`), each
/// a metadata-free JPEG. CPU-bound (a third of a second for a 12-megapixel photo, with up
/// to a few hundred megabytes of memory): call it on the blocking pool, a few at a time.
pub fn process_cover(bytes: &[u8]) -> Result<CoverImages, MediaError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge {
            max: MAX_UPLOAD_BYTES,
        });
    }
    let source_format = sniff(bytes)?;
    let Decoded { image, icc } = decode(bytes, source_format)?;
    let (width, height) = image.dimensions();

    let icc = icc.as_deref();

    let large = to_srgb(resize_to_width(&image, LARGE_WIDTH), icc);
    let medium = resize_to_width(&large, MEDIUM_WIDTH);
    // The thumbnail too comes from the large variant, unless that was reduced so much that
    // its 16:9 crop is narrower than a thumbnail (panoramas over 7:1); then from the full image.
    let (_, _, large_crop_width, _) = crop_16_9(large.width(), large.height());
    let thumb = if large_crop_width >= THUMB_WIDTH || large.width() == image.width() {
        thumbnail(&large)
    } else {
        to_srgb(thumbnail(&image), icc)
    };
    drop(image);

    Ok(CoverImages {
        source_format,
        width,
        height,
        large: encode("large", &large)?,
        medium: encode("medium", &medium)?,
        thumb: encode("thumb", &thumb)?,
    })
}

struct Decoded {
    /// Upright, opaque, 8-bit RGB, in the colour space of `icc` (sRGB if none).
    image: RgbImage,
    icc: Option<Vec<u8>>,
}

/// The limits the decoder itself enforces, in case what it finds contradicts the header we
/// checked (or a decoder allocates for reasons of its own).
fn decoder_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<Decoded, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
    reader.limits(decoder_limits());
    // Reads the header only; refuses sides over the limits.
    let mut decoder = reader.into_decoder().map_err(MediaError::from_decoding)?;

    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::too_many_pixels());
    }
    // Unreadable metadata is not worth refusing an image for: it is dropped anyway.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (upright_width, upright_height) = if swaps_sides(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    if upright_width < MIN_WIDTH || upright_height < MIN_HEIGHT {
        return Err(MediaError::too_small());
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(MediaError::too_many_pixels());
    }
    let icc = decoder.icc_profile().ok().flatten();
    if format == ImageFormat::Jpeg && !jpeg::is_complete(bytes) {
        return Err(MediaError::Corrupt(image::ImageError::Decoding(
            DecodingError::new(
                image::ImageFormat::Jpeg.into(),
                "the file ends before the end-of-image marker",
            ),
        )));
    }

    let decoded = DynamicImage::from_decoder(decoder).map_err(MediaError::from_decoding)?;
    let mut image = DynamicImage::ImageRgb8(flatten_onto_white(decoded));
    image.apply_orientation(orientation);
    Ok(Decoded {
        image: image.into_rgb8(),
        icc,
    })
}

fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn to_srgb(mut image: RgbImage, icc: Option<&[u8]>) -> RgbImage {
    if let Some(icc) = icc {
        convert_to_srgb(&mut image, icc);
    }
    image
}

/// 8-bit RGB, transparency composited onto white (JPEG has no alpha, and black is what
/// transparent pixels usually hide).
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(pixel[3]);
        for channel in 0..3 {
            let over_white = u32::from(pixel[channel]) * alpha + 255 * (255 - alpha);
            out[channel] = ((over_white + 127) / 255) as u8;
        }
    }
    rgb
}

/// `image` scaled down to at most `max_width` wide, keeping its proportions.
fn resize_to_width(image: &RgbImage, max_width: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    if width <= max_width {
        return image.clone();
    }
    let new_height = scale(height, max_width, width);
    imageops::resize(image, max_width, new_height, FILTER)
}

/// The centred 16:9 crop of `image`, scaled down to at most [`THUMB_WIDTH`] ×
/// [`THUMB_HEIGHT`].
fn thumbnail(image: &RgbImage) -> RgbImage {
    let (x, y, width, height) = crop_16_9(image.width(), image.height());
    let crop = imageops::crop_imm(image, x, y, width, height);
    if width <= THUMB_WIDTH {
        return crop.to_image();
    }
    imageops::resize(&*crop, THUMB_WIDTH, THUMB_HEIGHT, FILTER)
}

/// The largest centred 16:9 rectangle within `width` × `height`: (x, y, width, height).
fn crop_16_9(width: u32, height: u32) -> (u32, u32, u32, u32) {
    let (crop_width, crop_height) = if u64::from(width) * 9 >= u64::from(height) * 16 {
        (scale(height, 16, 9).min(width), height)
    } else {
        (width, scale(width, 9, 16).min(height))
    };
    (
        (width - crop_width) / 2,
        (height - crop_height) / 2,
        crop_width,
        crop_height,
    )
}

/// `value × numerator / denominator`, rounded, at least 1.
fn scale(value: u32, numerator: u32, denominator: u32) -> u32 {
    let scaled = (u64::from(value) * u64::from(numerator) + u64::from(denominator) / 2)
        / u64::from(denominator);
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

fn encode(name: &'static str, image: &RgbImage) -> Result<Variant, MediaError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(image)
        .map_err(MediaError::Encode)?;
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Variant {
        name,
        content_type: "image/jpeg",
        width: image.width(),
        height: image.height(),
        bytes,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageEncoder, Luma, Rgb, Rgba, RgbaImage};
    use proptest::prelude::*;

    use super::*;
    use crate::media::test_images::{self, CORNER};

    fn decode_jpeg(variant: &Variant) -> RgbImage {
        assert_eq!(sniff(&variant.bytes).unwrap(), ImageFormat::Jpeg);
        image::load_from_memory_with_format(&variant.bytes, image::ImageFormat::Jpeg)
            .unwrap()
            .into_rgb8()
    }

    fn sizes(cover: &CoverImages) -> [(u32, u32); 3] {
        cover.variants().map(|v| (v.width, v.height))
    }

    fn is_red(pixel: &Rgb<u8>) -> bool {
        pixel
            .0
            .iter()
            .zip(CORNER.0)
            .all(|(a, b)| a.abs_diff(b) < 24)
    }

    #[test]
    fn a_photo_becomes_large_medium_and_thumbnail_jpegs() {
        let cover = process_cover(&test_images::jpeg(2000, 1125)).unwrap();
        assert_eq!(cover.source_format, ImageFormat::Jpeg);
        assert_eq!((cover.width, cover.height), (2000, 1125));
        assert_eq!(sizes(&cover), [(1600, 900), (800, 450), (400, 225)]);
        for variant in cover.variants() {
            assert_eq!(variant.content_type, "image/jpeg");
            let decoded = decode_jpeg(variant);
            assert_eq!(decoded.dimensions(), (variant.width, variant.height));
        }
        let names = cover.variants().map(|v| v.name);
        assert_eq!(names, ["large", "medium", "thumb"]);
    }

    #[test]
    fn each_variant_is_named_by_the_sha256_of_its_bytes() {
        let upload = test_images::png(640, 360);
        let cover = process_cover(&upload).unwrap();
        for variant in cover.variants() {
            let expected: String = Sha256::digest(&variant.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(variant.sha256, expected);
            assert_eq!(variant.sha256.len(), 64);
        }
        // Processing is deterministic, so the same upload gets the same names (and ETags).
        let again = process_cover(&upload).unwrap();
        assert_eq!(cover.variants(), again.variants());
        assert_ne!(cover.large.sha256, cover.thumb.sha256);
    }

    #[test]
    fn small_images_are_never_upscaled() {
        let cover = process_cover(&test_images::png(360, 200)).unwrap();
        // The thumbnail is the largest 16:9 crop of the image, at its own resolution.
        assert_eq!(sizes(&cover), [(360, 200), (360, 200), (356, 200)]);
    }

    #[test]
    fn the_smallest_accepted_image_keeps_its_size_in_every_variant() {
        let cover = process_cover(&test_images::jpeg(MIN_WIDTH, MIN_HEIGHT)).unwrap();
        assert_eq!(sizes(&cover), [(320, 180); 3]);
    }

    #[test]
    fn a_portrait_poster_keeps_its_shape_and_its_thumbnail_is_the_middle() {
        let cover = process_cover(&test_images::jpeg(900, 1600)).unwrap();
        assert_eq!(sizes(&cover), [(900, 1600), (800, 1422), (400, 225)]);
        // The red top-left corner of the poster is above the middle 16:9 band.
        let thumb = decode_jpeg(&cover.thumb);
        assert!(!is_red(thumb.get_pixel(2, 2)));
        let large = decode_jpeg(&cover.large);
        assert!(is_red(large.get_pixel(20, 20)));
    }

    #[test]
    fn a_wide_panorama_gets_a_thumbnail_from_the_full_image() {
        // 4000 × 360: the large variant is 1600 × 144, too low for a full thumbnail.
        let cover = process_cover(&test_images::jpeg(4000, 360)).unwrap();
        assert_eq!(sizes(&cover), [(1600, 144), (800, 72), (400, 225)]);
    }

    #[test]
    fn the_exif_orientation_turns_the_image_upright() {
        // Stored landscape, taken with the phone turned: EXIF orientation 6 says to turn it
        // 90° clockwise for display, so the stored top-left corner shows at the top right.
        let stored = test_images::jpeg(640, 360);
        let upload = test_images::insert_after_soi(&stored, 0xE1, &test_images::exif_with_gps(6));
        let cover = process_cover(&upload).unwrap();
        assert_eq!((cover.width, cover.height), (360, 640));
        assert_eq!(sizes(&cover), [(360, 640), (360, 640), (360, 203)]);
        let large = decode_jpeg(&cover.large);
        assert!(
            is_red(large.get_pixel(350, 10)),
            "{:?}",
            large.get_pixel(350, 10)
        );
        assert!(!is_red(large.get_pixel(10, 10)));
        assert!(!is_red(large.get_pixel(350, 630)));
    }

    #[test]
    fn gps_position_and_every_other_metadata_are_dropped() {
        let mut upload = test_images::jpeg(640, 360);
        upload = test_images::insert_after_soi(&upload, 0xFE, b"taken at home, Jabal Amman");
        upload = test_images::insert_after_soi(
            &upload,
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>31,57.2N</exif:GPSLatitude></x:xmpmeta>",
        );
        upload = test_images::insert_after_soi(&upload, 0xE1, &test_images::exif_with_gps(1));
        // The upload really carries them: a reader finds the EXIF block.
        let markers = test_images::jpeg_markers(&upload);
        assert!(markers.contains(&0xE1) && markers.contains(&0xFE));
        let mut decoder = ImageReader::with_format(Cursor::new(&upload), image::ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        assert!(decoder.exif_metadata().unwrap().is_some());

        let cover = process_cover(&upload).unwrap();
        for variant in cover.variants() {
            // SOI, then only JFIF (APP0), quantization and Huffman tables, the frame header.
            for marker in test_images::jpeg_markers(&variant.bytes) {
                assert!(
                    matches!(marker, 0xE0 | 0xDB | 0xC4 | 0xC0 | 0xDD),
                    "{} has a segment FF{marker:02X}",
                    variant.name
                );
            }
            for needle in [&b"Exif"[..], b"GPS", b"xmpmeta", b"Jabal"] {
                assert!(
                    !variant.bytes.windows(needle.len()).any(|w| w == needle),
                    "{} contains {:?}",
                    variant.name,
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }

    #[test]
    fn a_display_p3_photo_is_converted_to_srgb_and_carries_no_profile() {
        let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
        let image = RgbImage::from_pixel(640, 360, Rgb([200, 120, 120]));
        let mut upload = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut upload, 95);
        encoder.set_icc_profile(p3).unwrap();
        encoder
            .write_image(image.as_raw(), 640, 360, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert!(test_images::jpeg_markers(&upload).contains(&0xE2));

        let cover = process_cover(&upload).unwrap();
        for variant in cover.variants() {
            assert!(!test_images::jpeg_markers(&variant.bytes).contains(&0xE2));
            let Rgb([r, g, _]) = *decode_jpeg(variant).get_pixel(100, 100);
            // 213, 115, 117 in sRGB (see color.rs); unconverted it would stay 200, 120.
            assert!(r >= 209 && g <= 117, "{} is {r},{g}", variant.name);
        }
    }

    #[test]
    fn transparency_is_flattened_onto_white() {
        let upload = test_images::png_rgba(&test_images::transparent_with_black_square(640, 360));
        let cover = process_cover(&upload).unwrap();
        let large = decode_jpeg(&cover.large);
        assert!(large.get_pixel(5, 5).0.iter().all(|&c| c >= 250));
        assert!(large.get_pixel(320, 180).0.iter().all(|&c| c <= 5));
    }

    #[test]
    fn half_transparent_pixels_are_blended_with_white() {
        let upload = test_images::png_rgba(&RgbaImage::from_pixel(320, 180, Rgba([0, 0, 0, 128])));
        let large = decode_jpeg(&process_cover(&upload).unwrap().large);
        assert!(
            large
                .get_pixel(160, 90)
                .0
                .iter()
                .all(|&c| c.abs_diff(127) <= 3)
        );
    }

    #[test]
    fn a_webp_is_accepted_and_re_encoded_as_jpeg() {
        let cover = process_cover(&test_images::webp(640, 360)).unwrap();
        assert_eq!(cover.source_format, ImageFormat::WebP);
        assert_eq!(sizes(&cover), [(640, 360), (640, 360), (400, 225)]);
        assert!(is_red(decode_jpeg(&cover.large).get_pixel(10, 10)));
    }

    #[test]
    fn grey_and_sixteen_bit_pngs_are_accepted() {
        let grey = image::GrayImage::from_pixel(400, 300, Luma([90]));
        let deep =
            image::ImageBuffer::<Rgba<u16>, _>::from_pixel(400, 300, Rgba([0, 65535, 0, 65535]));
        for upload in [
            test_images::encode_png(&DynamicImage::ImageLuma8(grey)),
            test_images::encode_png(&DynamicImage::ImageRgba16(deep)),
        ] {
            let cover = process_cover(&upload).unwrap();
            assert_eq!((cover.large.width, cover.large.height), (400, 300));
        }
    }

    #[test]
    fn an_upload_over_10_mib_is_refused_before_it_is_read() {
        let mut upload = test_images::jpeg(320, 180);
        upload.resize(MAX_UPLOAD_BYTES + 1, 0);
        assert!(matches!(
            process_cover(&upload),
            Err(MediaError::TooLarge {
                max: MAX_UPLOAD_BYTES
            })
        ));
    }

    #[test]
    fn a_gif_is_refused_as_an_unsupported_type() {
        let gif = b"GIF89a\x40\x01\xb4\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        assert!(matches!(
            process_cover(gif),
            Err(MediaError::UnsupportedType)
        ));
    }

    fn is_too_many_pixels(result: Result<CoverImages, MediaError>) -> bool {
        matches!(
            result,
            Err(MediaError::TooManyPixels {
                max_side: MAX_SIDE,
                max_pixels: MAX_PIXELS
            })
        )
    }

    /// A complete zlib stream of nothing: an IDAT chunk as short as it gets.
    const EMPTY_ZLIB: &[u8] = &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];

    #[test]
    fn a_png_declaring_100000_by_100000_pixels_is_refused_from_its_header() {
        // 30 GB of pixels promised by a 65-byte file: the decompression bomb.
        let bomb = test_images::png_declaring(100_000, 100_000, Some(EMPTY_ZLIB));
        assert!(bomb.len() < 100);
        assert!(is_too_many_pixels(process_cover(&bomb)));
    }

    #[test]
    fn a_jpeg_declaring_65535_by_65535_pixels_is_refused_from_its_header() {
        let bomb = test_images::jpeg_declaring(&test_images::jpeg(320, 180), 65535, 65535);
        assert!(is_too_many_pixels(process_cover(&bomb)));
    }

    #[test]
    fn more_than_8000_pixels_a_side_or_40_megapixels_in_all_is_refused() {
        let jpeg = test_images::jpeg(320, 180);
        for (width, height) in [(8001, 200), (200, 8001), (7000, 6000), (8000, 5001)] {
            let upload = test_images::jpeg_declaring(&jpeg, width, height);
            assert!(
                is_too_many_pixels(process_cover(&upload)),
                "{width}×{height}"
            );
            let upload = test_images::png_declaring(width.into(), height.into(), Some(EMPTY_ZLIB));
            assert!(
                is_too_many_pixels(process_cover(&upload)),
                "{width}×{height}"
            );
        }
    }

    #[test]
    fn the_decoder_may_allocate_no_more_than_the_limit() {
        assert_eq!(decoder_limits().max_alloc, Some(MAX_DECODE_BYTES));
        assert_eq!(decoder_limits().max_image_width, Some(MAX_SIDE));
        assert_eq!(decoder_limits().max_image_height, Some(MAX_SIDE));
    }

    #[test]
    fn images_smaller_than_320_by_180_are_refused() {
        for (width, height) in [(319, 180), (320, 179), (180, 320), (64, 64)] {
            assert!(
                matches!(
                    process_cover(&test_images::png(width, height)),
                    Err(MediaError::TooSmall {
                        min_width: MIN_WIDTH,
                        min_height: MIN_HEIGHT
                    })
                ),
                "{width}×{height}"
            );
        }
    }

    #[test]
    fn the_minimum_size_applies_to_the_upright_image() {
        // Stored 200 × 400, shown 400 × 200 after a quarter turn: big enough.
        let stored = test_images::jpeg(200, 400);
        let upload = test_images::insert_after_soi(&stored, 0xE1, &test_images::exif_with_gps(8));
        let cover = process_cover(&upload).unwrap();
        assert_eq!((cover.width, cover.height), (400, 200));
    }

    fn is_corrupt(result: Result<CoverImages, MediaError>) -> bool {
        matches!(result, Err(MediaError::Corrupt(_)))
    }

    #[test]
    fn a_header_without_pixels_is_corrupt() {
        assert!(is_corrupt(process_cover(&test_images::png_declaring(
            640, 360, None
        ))));
        // Everything of a JPEG up to the start of its scan, and nothing after.
        let jpeg = test_images::jpeg(640, 360);
        let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        assert!(is_corrupt(process_cover(&jpeg[..sos])));
        assert!(is_corrupt(process_cover(&[0xFF, 0xD8, 0xFF, 0xD9])));
    }

    #[test]
    fn a_header_promising_more_pixels_than_the_file_holds_is_corrupt() {
        // 4000 × 3000 declared, nothing in the compressed data.
        let liar = test_images::png_declaring(4000, 3000, Some(EMPTY_ZLIB));
        assert!(is_corrupt(process_cover(&liar)));
    }

    #[test]
    fn truncated_pngs_and_webps_are_corrupt() {
        for image in [test_images::png(640, 360), test_images::webp(640, 360)] {
            assert!(is_corrupt(process_cover(&image[..image.len() / 2])));
            assert!(is_corrupt(process_cover(&image[..40])));
        }
    }

    #[test]
    fn a_truncated_jpeg_is_corrupt_though_its_decoder_would_fill_in_grey() {
        let jpeg = test_images::jpeg(640, 360);
        for length in [3, 20, 100, jpeg.len() / 2, jpeg.len() - 1] {
            assert!(is_corrupt(process_cover(&jpeg[..length])), "{length} bytes");
        }
    }

    /// Whatever happens, bad input is an error value of the uploader's kind, not a panic
    /// and not an encoding failure.
    fn acceptable(result: Result<CoverImages, MediaError>) -> Result<(), TestCaseError> {
        match result {
            Ok(cover) => {
                prop_assert!(cover.width >= MIN_WIDTH && cover.height >= MIN_HEIGHT);
                Ok(())
            }
            Err(MediaError::Encode(e)) => Err(TestCaseError::fail(format!("encoding failed: {e}"))),
            Err(_) => Ok(()),
        }
    }

    fn small_images() -> [Vec<u8>; 3] {
        [
            test_images::jpeg(MIN_WIDTH, MIN_HEIGHT),
            test_images::png(MIN_WIDTH, MIN_HEIGHT),
            test_images::webp(MIN_WIDTH, MIN_HEIGHT),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_behind_any_magic_number_never_panic(
            magic in prop::sample::select(vec![
                &b""[..], b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1A\n", b"RIFF\0\0\0\0WEBP", b"RIFF\xff\xff\xff\xffWEBPVP8L",
            ]),
            tail in prop::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut upload = magic.to_vec();
            upload.extend(tail);
            acceptable(process_cover(&upload))?;
        }

        #[test]
        fn truncated_images_never_panic(which in 0usize..3, cut in 0.0f64..1.0) {
            let image = &small_images()[which];
            let length = (image.len() as f64 * cut) as usize;
            acceptable(process_cover(&image[..length]))?;
        }

        #[test]
        fn damaged_images_never_panic(
            which in 0usize..3,
            damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut image = small_images()[which].clone();
            for (at, byte) in damage {
                let at = at.index(image.len());
                image[at] = byte;
            }
            acceptable(process_cover(&image))?;
        }
    }

    /// `cargo test --release -p hafla-server --lib timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement; run in release mode"]
    fn timing_of_a_12_megapixel_photo() {
        let photo = RgbImage::from_fn(4000, 3000, |x, y| {
            // Detail everywhere, like a photo: JPEG and the filter both have work to do.
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 24;
            Rgb([
                (x / 16) as u8 ^ noise as u8,
                (y / 12) as u8,
                ((x + y) / 28) as u8,
            ])
        });
        let upload = test_images::encode_jpeg(&photo);
        drop(photo);
        let turned = test_images::insert_after_soi(&upload, 0xE1, &test_images::exif_with_gps(6));
        println!("upload: 4000 × 3000, {} bytes", upload.len());
        let resident_before = memory_kib("VmRSS");

        let runs = 5;
        for (what, upload) in [("upright", &upload), ("EXIF-rotated", &turned)] {
            let started = std::time::Instant::now();
            for _ in 0..runs {
                std::hint::black_box(process_cover(upload).unwrap());
            }
            println!(
                "process_cover, {what}: {:?} a run",
                started.elapsed() / runs
            );
        }
        println!(
            "peak memory of the process: {} MiB more than before processing",
            (memory_kib("VmHWM") - resident_before) / 1024
        );

        let started = std::time::Instant::now();
        let decoded = image::load_from_memory(&upload).unwrap().into_rgb8();
        println!("  decode: {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let mut turned = DynamicImage::ImageRgb8(decoded.clone());
        turned.apply_orientation(Orientation::Rotate90);
        println!("  quarter turn: {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let _ = imageops::resize(&turned.into_rgb8(), 1600, 2133, FILTER);
        println!(
            "  resize portrait to 1600 (Lanczos3): {:?}",
            started.elapsed()
        );
        let started = std::time::Instant::now();
        let large = imageops::resize(&decoded, 1600, 1200, FILTER);
        println!("  resize to 1600 (Lanczos3): {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let _ = imageops::resize(&decoded, 1600, 1200, FilterType::CatmullRom);
        println!("  resize to 1600 (CatmullRom): {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let _ = imageops::resize(&decoded, 1600, 1200, FilterType::Triangle);
        println!("  resize to 1600 (Triangle): {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let _ = encode("large", &large).unwrap();
        println!("  encode large: {:?}", started.elapsed());
    }

    /// A line of /proc/self/status, in KiB.
    fn memory_kib(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}
