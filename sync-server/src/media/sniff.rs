//! What an upload is, from its first bytes only.
//!
//! A file name or a `Content-Type` is whatever the client says; the magic numbers are what
//! the decoder will actually parse. Only the three formats we decode are recognised; GIF,
//! SVG (script!), HEIC, AVIF, TIFF, BMP and everything else are refused.

use super::MediaError;

/// An image format accepted for upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Jpeg,
    Png,
    WebP,
}

impl ImageFormat {
    /// The media type of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::WebP => "image/webp",
        }
    }

    pub(super) fn to_image(self) -> image::ImageFormat {
        match self {
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::WebP => image::ImageFormat::WebP,
        }
    }
}

/// SOI followed by the first byte of the next marker.
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// The format of `bytes` by their magic numbers; [`MediaError::UnsupportedType`] for
/// anything but JPEG, PNG and WebP (a RIFF container whose form type is `WEBP`).
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, MediaError> {
    if bytes.starts_with(JPEG_MAGIC) {
        Ok(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Ok(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok(ImageFormat::WebP)
    } else {
        Err(MediaError::UnsupportedType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::test_images;

    fn is_unsupported(bytes: &[u8]) -> bool {
        matches!(sniff(bytes), Err(MediaError::UnsupportedType))
    }

    #[test]
    fn jpeg_png_and_webp_are_recognised_by_their_content() {
        assert_eq!(
            sniff(&test_images::jpeg(320, 180)).unwrap(),
            ImageFormat::Jpeg
        );
        assert_eq!(
            sniff(&test_images::png(320, 180)).unwrap(),
            ImageFormat::Png
        );
        assert_eq!(
            sniff(&test_images::webp(320, 180)).unwrap(),
            ImageFormat::WebP
        );
    }

    #[test]
    fn content_types_are_the_registered_media_types() {
        assert_eq!(ImageFormat::Jpeg.content_type(), "image/jpeg");
        assert_eq!(ImageFormat::Png.content_type(), "image/png");
        assert_eq!(ImageFormat::WebP.content_type(), "image/webp");
    }

    #[test]
    fn gif_is_refused_even_though_it_is_an_image() {
        assert!(is_unsupported(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"));
        assert!(is_unsupported(b"GIF87a\x01\x00\x01\x00\x00\x00\x00;"));
    }

    #[test]
    fn other_image_and_document_types_are_refused() {
        let others: [&[u8]; 10] = [
            b"<!DOCTYPE html><html><body>cover.jpg</body></html>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
            b"\0\0\0\x1cftypavif\0\0\0\0avifmif1",
            b"II*\0\x08\0\0\0",
            b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0",
            b"%PDF-1.7\n",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"PK\x03\x04",
        ];
        for bytes in others {
            assert!(
                is_unsupported(bytes),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn empty_and_cut_off_magic_numbers_are_refused() {
        assert!(is_unsupported(b""));
        assert!(is_unsupported(&[0xFF, 0xD8]));
        assert!(is_unsupported(&PNG_MAGIC[..7]));
        assert!(is_unsupported(b"RIFF\0\0\0\0WEB"));
    }
}
