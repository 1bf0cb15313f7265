//! Event cover images uploaded by organizers: bytes in, checked and re-encoded images out.
//!
//! Pure: no HTTP, no storage. The API calls [`process_cover`] with the uploaded body and
//! stores the [`CoverImages`] it returns; only those re-encoded variants are ever served,
//! never the upload itself.
//!
//! # Pipeline
//!
//! 1. **Size**: at most [`MAX_UPLOAD_BYTES`]. (The route should also cap its body at this
//!    size, so a larger upload is refused before it is buffered.)
//! 2. **Type** from the bytes' magic numbers ([`sniff`]): JPEG, PNG or WebP. Never from the
//!    file name or the client's `Content-Type`. GIF, SVG, HEIC and the rest are refused.
//! 3. **Declared dimensions**, read from the header before any pixel is decoded: at most
//!    [`MAX_SIDE`] on either side and [`MAX_PIXELS`] in all (the decompression-bomb guard; a
//!    few kilobytes of PNG can declare gigabytes of pixels). The decoder is also given
//!    `image::Limits` (the same sides, [`MAX_DECODE_BYTES`] of allocations), so a header the
//!    pixel data contradicts still cannot make it allocate without bound. After the EXIF
//!    orientation, at least [`MIN_WIDTH`] × [`MIN_HEIGHT`].
//! 4. **Decode once**; a file the decoder cannot read is [`MediaError::Corrupt`], and so is
//!    a JPEG without its end marker (cut off on the way: the decoder would paint the rest
//!    grey). An animated WebP or PNG gives its first frame. Bad input is an error value,
//!    never a panic (property-tested with random, truncated and damaged bytes).
//! 5. **Pixels only from here on.** Transparency is flattened onto white, the image is
//!    turned upright by its EXIF orientation, and the large variant is resized from it and
//!    converted to sRGB if the upload carried another colour profile (phones shoot Display
//!    P3; dropping the profile without converting would dull every photo). The medium and
//!    thumbnail variants are resized from the large one, which is still wider than they
//!    are: the same result for a fraction of the work (only for panoramas wider than 7:1 is
//!    the thumbnail cut from the full image, as the large one would be too low).
//! 6. **Re-encode** every variant as baseline JPEG, quality [`JPEG_QUALITY`]. Encoding from
//!    pixels writes no EXIF, XMP, IPTC, ICC or comment segment: the GPS position, camera
//!    serial number and capture time of the organizer's phone are gone (tested).
//!
//! | variant | shape | never larger than |
//! |---|---|---|
//! | `large` | the whole image, upright | [`LARGE_WIDTH`] wide |
//! | `medium` | the whole image, upright | [`MEDIUM_WIDTH`] wide |
//! | `thumb` | 16:9, cropped at the centre | [`THUMB_WIDTH`] × [`THUMB_HEIGHT`] |
//!
//! Nothing is upscaled: a variant of a small image keeps the image's own size. Because the
//! minimum is 320 × 180, every thumbnail is at least that, and exactly 16:9 give or take a
//! pixel of rounding.
//!
//! Each [`Variant`] carries the SHA-256 of its bytes: a strong ETag, and a name for an
//! immutable URL (`/media/{sha256}.jpg`, cacheable forever).
//!
//! # Cost
//!
//! Measured in a release build on one core of the development machine (the ignored test
//! `timing_of_a_12_megapixel_photo`), for a 4000 × 3000 JPEG of 6.4 MB:
//!
//! | step | time |
//! |---|---|
//! | whole `process_cover`, landscape | 0.33 s |
//! | whole `process_cover`, EXIF-rotated (larger portrait variants) | 0.49 s |
//! | decode | 70 ms |
//! | Lanczos3 resize to 1600 × 1200 (CatmullRom: 137 ms) | 166 ms |
//! | quarter turn of the full image | 55 ms |
//! | JPEG encoding of the large variant | 37 ms |
//!
//! `image`'s resize is generic and goes through 32-bit floats (its intermediate image alone
//! is 16 bytes a pixel); `fast_image_resize` (SIMD, 8-bit) is typically ten times faster
//! for this and would halve the total, if uploads ever become a bottleneck.
//!
//! Peak memory was 180 MiB for that photo: the decoded image (3 bytes a pixel), its turned
//! copy if it needs turning, and the resize's intermediate (16 bytes a pixel of the full
//! width by the large variant's height). By the same arithmetic, a photo at the
//! 40-megapixel limit needs up to about 450 MiB.
//! So the route should run it on the blocking pool (`tokio::task::spawn_blocking`) behind a
//! small semaphore, not on the async workers and not unboundedly in parallel.
//!
//! # Error codes (for the API)
//!
//! The API maps each [`MediaError`] to a stable wire code and a localized message; these
//! codes and their Fluent messages are added with the route, not here:
//!
//! | `MediaError` | wire code | HTTP status | the message should say |
//! |---|---|---|---|
//! | `UnsupportedType` | `unsupported_image_type` | 415 | use JPEG, PNG or WebP |
//! | `TooLarge { max }` | `image_too_large` | 413 | at most `max` bytes (10 MiB) |
//! | `TooManyPixels { max_side, max_pixels }` | `image_too_many_pixels` | 422 | at most 8000 px a side, 40 megapixels |
//! | `TooSmall { min_width, min_height }` | `image_too_small` | 422 | at least 320 × 180 px |
//! | `Corrupt(_)` | `image_corrupt` | 422 | the file could not be read; save it again as JPEG or PNG |
//! | `Encode(_)` | `internal` | 500 | (our fault; logged) |

mod color;
mod cover;
mod jpeg;
mod sniff;
#[cfg(test)]
mod test_images;

pub use cover::{CoverImages, Variant, process_cover};
pub use sniff::{ImageFormat, sniff};

/// Largest upload accepted, in bytes (10 MiB): a 12-megapixel phone photo is 3–6 MB.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Largest width or height, in pixels, an upload may declare.
pub const MAX_SIDE: u32 = 8000;
/// Most pixels an upload may declare (40 megapixels): 12- and 24-megapixel phone photos
/// with room to spare, and a decoded size (160 MB at 4 bytes a pixel) one request may hold.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Most bytes the decoder may allocate, the decoded image included: 40 megapixels of 8-bit
/// RGBA. (A 16-bit image needs twice as much a pixel, so it may have half as many.)
pub const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4;
/// Narrowest image accepted, once upright: smaller looks blurred on any screen.
pub const MIN_WIDTH: u32 = 320;
/// Lowest image accepted, once upright.
pub const MIN_HEIGHT: u32 = 180;

/// Width of the `large` variant: a full-width hero on a laptop screen.
pub const LARGE_WIDTH: u32 = 1600;
/// Width of the `medium` variant: event pages on phones, cards on large screens.
pub const MEDIUM_WIDTH: u32 = 800;
/// Width of the `thumb` variant (16:9): lists and search results.
pub const THUMB_WIDTH: u32 = 400;
/// Height of the `thumb` variant.
pub const THUMB_HEIGHT: u32 = 225;
/// JPEG quality of every variant: no artefacts to see in photos, and small files.
pub const JPEG_QUALITY: u8 = 82;

/// Why an upload is not usable as a cover image.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not JPEG, PNG or WebP by its magic numbers. Wire code `unsupported_image_type`.
    #[error("unsupported image type: use JPEG, PNG or WebP")]
    UnsupportedType,
    /// More bytes than [`MAX_UPLOAD_BYTES`]. Wire code `image_too_large`.
    #[error("the image is larger than {max} bytes")]
    TooLarge { max: usize },
    /// The header declares more pixels than allowed, or decoding it would need more memory
    /// than [`MAX_DECODE_BYTES`]. Wire code `image_too_many_pixels`.
    #[error("the image has more than {max_side} pixels a side or {max_pixels} pixels in all")]
    TooManyPixels { max_side: u32, max_pixels: u64 },
    /// Narrower or lower than the minimum, once upright. Wire code `image_too_small`.
    #[error("the image is smaller than {min_width}×{min_height} pixels")]
    TooSmall { min_width: u32, min_height: u32 },
    /// The decoder could not read it: truncated, damaged, or using a feature of its format
    /// the decoder does not support. Wire code `image_corrupt`.
    #[error("the image is damaged or truncated and could not be read")]
    Corrupt(#[source] image::ImageError),
    /// Encoding a variant failed. Not the uploader's fault; wire code `internal`.
    #[error("could not encode an image variant")]
    Encode(#[source] image::ImageError),
}

impl MediaError {
    fn too_many_pixels() -> Self {
        MediaError::TooManyPixels {
            max_side: MAX_SIDE,
            max_pixels: MAX_PIXELS,
        }
    }

    fn too_small() -> Self {
        MediaError::TooSmall {
            min_width: MIN_WIDTH,
            min_height: MIN_HEIGHT,
        }
    }

    /// Classifies a decoder's error: a limit it enforced is the pixel limit; anything else
    /// means the file cannot be read as what its magic numbers say it is.
    fn from_decoding(error: image::ImageError) -> Self {
        match error {
            image::ImageError::Limits(_) => MediaError::too_many_pixels(),
            other => MediaError::Corrupt(other),
        }
    }
}
