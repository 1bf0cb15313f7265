//! Event cover images uploaded by organizers: bytes in, checked and re-encoded images out.
//!
//! Pure: no HTTP, no storage. An upload's type is told from its magic numbers ([`sniff`]):
//! JPEG, PNG or WebP. Never from the file name or the client's `Content-Type`. GIF, SVG,
//! HEIC and the rest are refused. The limits below are the rules every upload must meet.
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

mod sniff;
#[cfg(test)]
mod test_images;

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
