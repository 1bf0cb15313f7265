//! Whether a JPEG file is whole.
//!
//! The JPEG decoder is lenient: given a file cut off in its compressed data, it returns an
//! image whose missing part is grey. An upload cut off on the way is refused instead, so
//! the organizer learns of it now rather than from a half-grey cover on the event page.
//!
//! A whole JPEG ends its (last) scan with the end-of-image marker `FF D9`. Inside
//! compressed data a `FF` byte is always followed by `00` or a restart marker (`D0`–`D7`),
//! so `FF D9` after the first scan began can only be that marker. It is searched from the
//! first start-of-scan on, found by walking the segments before it by their lengths, so an
//! EXIF thumbnail (a whole JPEG inside the APP1 segment) does not count. Data after the end
//! marker (phones append motion-photo videos) is allowed.

const SOI: [u8; 2] = [0xFF, 0xD8];
const SOS: u8 = 0xDA;
const EOI: [u8; 2] = [0xFF, 0xD9];

/// Whether `bytes`, a JPEG by its magic number, has all its segments before the first scan
/// and an end-of-image marker after it.
pub(super) fn is_complete(bytes: &[u8]) -> bool {
    first_scan(bytes).is_some_and(|scan| bytes[scan..].windows(2).rev().any(|w| w == EOI))
}

/// Where the first start-of-scan marker is, walking the segments from SOI; `None` if the
/// file ends (or stops making sense) before it.
fn first_scan(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(&SOI) {
        return None;
    }
    let mut at = SOI.len();
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        match bytes[at + 1] {
            SOS => return Some(at),
            // Markers without a length: TEM and restarts.
            0x01 | 0xD0..=0xD7 => at += 2,
            _ => {
                let length = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]);
                if length < 2 {
                    return None;
                }
                at += 2 + usize::from(length);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::test_images;

    #[test]
    fn a_whole_jpeg_is_complete() {
        assert!(is_complete(&test_images::jpeg(320, 180)));
    }

    #[test]
    fn a_jpeg_cut_anywhere_is_incomplete() {
        let jpeg = test_images::jpeg(320, 180);
        for length in 0..jpeg.len() - 1 {
            assert!(
                !is_complete(&jpeg[..length]),
                "cut at {length} of {}",
                jpeg.len()
            );
        }
    }

    #[test]
    fn data_after_the_end_marker_is_allowed() {
        let mut jpeg = test_images::jpeg(320, 180);
        jpeg.extend(b"\0\0\0\x18ftypmp42 a motion photo's video");
        assert!(is_complete(&jpeg));
    }

    #[test]
    fn fill_bytes_before_a_marker_are_allowed() {
        let jpeg = test_images::jpeg(320, 180);
        let mut filled = jpeg[..2].to_vec();
        filled.extend([0xFF, 0xFF, 0xFF]);
        filled.extend(&jpeg[2..]);
        assert!(is_complete(&filled));
    }

    #[test]
    fn the_end_marker_of_an_exif_thumbnail_does_not_count() {
        // APP1 holding a whole small JPEG (as cameras embed a preview), then a main image
        // cut off in its scan.
        let thumbnail = test_images::jpeg(64, 36);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(&thumbnail);
        let jpeg = test_images::insert_after_soi(&test_images::jpeg(320, 180), 0xE1, &app1);
        assert!(is_complete(&jpeg));
        assert!(!is_complete(&jpeg[..jpeg.len() - 100]));
    }

    #[test]
    fn a_nonsensical_segment_length_is_incomplete() {
        assert!(!is_complete(&[
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xDA, 0xFF, 0xD9
        ]));
        assert!(!is_complete(&[0xFF, 0xD8, 0x00, 0xDA, 0xFF, 0xD9]));
    }
}
