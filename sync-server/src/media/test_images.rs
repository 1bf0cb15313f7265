//! Test images, made by `image` itself or crafted byte by byte: no binary fixtures in git.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ImageFormat, Rgb, RgbImage};

/// The marker colour of the top-left corner, to see where it went.
pub const CORNER: Rgb<u8> = Rgb([230, 20, 20]);

/// A photo-like test picture: smooth gradients (so JPEG has something to do), and the
/// top-left eighth (a quarter of each side) in [`CORNER`] red.
pub fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 4 && y < height / 4 {
            CORNER
        } else {
            Rgb([
                40,
                (60 + 150 * x / width) as u8,
                (60 + 150 * y / height) as u8,
            ])
        }
    })
}

pub fn encode_jpeg(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(image)
        .unwrap();
    bytes
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode_jpeg(&picture(width, height))
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture(width, height)
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    WebPEncoder::new_lossless(&mut bytes)
        .encode(
            picture(width, height).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}
