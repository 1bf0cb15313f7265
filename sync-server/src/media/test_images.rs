//! Test images, made by `image` itself or crafted byte by byte: no binary fixtures in git.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

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

pub fn png_rgba(image: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

/// A transparent image with an opaque black square in the middle.
pub fn transparent_with_black_square(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let middle = x.abs_diff(width / 2) < width / 8 && y.abs_diff(height / 2) < height / 8;
        if middle {
            Rgba([0, 0, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
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

/// `jpeg` with `segment` (marker and payload; the length is added) right after SOI.
pub fn insert_after_soi(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
    let length = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, marker]);
    out.extend(length.to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

/// An EXIF APP1 payload as a phone writes it: the orientation, and a GPS block placing the
/// photo in Amman (31°57'12.34" N, 35°55'56.78" E).
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend(tag.to_le_bytes());
        out.extend(kind.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const BYTE: u16 = 1;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    // Offsets within the TIFF structure.
    const IFD0: u32 = 8;
    const GPS_IFD: u32 = IFD0 + 2 + 2 * 12 + 4;
    const LATITUDE: u32 = GPS_IFD + 2 + 5 * 12 + 4;
    const LONGITUDE: u32 = LATITUDE + 24;

    let mut tiff = b"II".to_vec();
    tiff.extend(42u16.to_le_bytes());
    tiff.extend(IFD0.to_le_bytes());

    tiff.extend(2u16.to_le_bytes());
    let [o0, o1] = orientation.to_le_bytes();
    entry(&mut tiff, 0x0112, SHORT, 1, [o0, o1, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, GPS_IFD.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());

    assert_eq!(tiff.len() as u32, GPS_IFD);
    tiff.extend(5u16.to_le_bytes());
    entry(&mut tiff, 0x0000, BYTE, 4, [2, 2, 0, 0]);
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, LATITUDE.to_le_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, LONGITUDE.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());

    assert_eq!(tiff.len() as u32, LATITUDE);
    for (numerator, denominator) in [
        (31u32, 1u32),
        (57, 1),
        (1234, 100),
        (35, 1),
        (55, 1),
        (5678, 100),
    ] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    payload
}

/// The markers of a JPEG's segments before the scan (SOS excluded).
pub fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
    let mut markers = Vec::new();
    let mut at = 2;
    loop {
        assert_eq!(jpeg[at], 0xFF, "a segment starts at {at}");
        let marker = jpeg[at + 1];
        if marker == 0xDA {
            return markers;
        }
        markers.push(marker);
        let length = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        at += 2 + length;
    }
}

/// A PNG made only of a signature, an IHDR declaring `width` × `height` RGB pixels, `idat`
/// as its one IDAT chunk if given, and IEND: a header with whatever dimensions a test needs.
pub fn png_declaring(width: u32, height: u32, idat: Option<&[u8]>) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, truecolour, deflate, standard filters, no interlace

    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    chunk(&mut png, b"IHDR", &ihdr);
    if let Some(idat) = idat {
        chunk(&mut png, b"IDAT", idat);
    }
    chunk(&mut png, b"IEND", &[]);
    png
}

/// CRC-32 (ISO-HDLC), as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `jpeg` with the dimensions in its baseline frame header (SOF0) replaced.
pub fn jpeg_declaring(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    // FF C0, length (2), precision (1), height (2), width (2)
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

pub fn encode_png(image: &image::DynamicImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}
