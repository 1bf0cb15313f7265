//! Colour profiles: pixels described by an embedded ICC profile, converted to sRGB.
//!
//! The variants are written without a profile (no metadata at all), and a browser shows
//! untagged images as sRGB. A phone photo in Display P3 whose profile were simply dropped
//! would look dull; converted, it looks as it did on the phone (within sRGB's gamut).

use image::RgbImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Converts `image` from the colour space `icc` describes to sRGB. Returns whether it did:
/// a profile that cannot be read or is not an RGB profile (grey, CMYK — the decoder has
/// already turned CMYK into RGB) leaves the pixels as they are, as sRGB is the best guess.
pub(super) fn convert_to_srgb(image: &mut RgbImage, icc: &[u8]) -> bool {
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    if source.color_space != DataColorSpace::Rgb {
        return false;
    }
    let Ok(transform) = source.create_transform_8bit(
        Layout::Rgb,
        &ColorProfile::new_srgb(),
        Layout::Rgb,
        TransformOptions::default(),
    ) else {
        return false;
    };
    let mut converted = vec![0; image.as_raw().len()];
    if transform.transform(image.as_raw(), &mut converted).is_err() {
        return false;
    }
    image.copy_from_slice(&converted);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn filled(pixel: [u8; 3]) -> RgbImage {
        RgbImage::from_pixel(4, 4, Rgb(pixel))
    }

    #[test]
    fn display_p3_colours_become_their_srgb_equivalents() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut image = filled([200, 120, 120]);
        assert!(convert_to_srgb(&mut image, &p3));
        // By the standard matrix from linear P3 to linear sRGB (R = 1.2249 R' − 0.2247 G',
        // G = −0.0420 R' + 1.0419 G', B = −0.0197 R' − 0.0786 G' + 1.0979 B') and the sRGB
        // curve: 213.1, 114.8, 117.5. The same colour needs more saturated numbers in sRGB.
        let Rgb([r, g, b]) = *image.get_pixel(0, 0);
        assert!(
            r.abs_diff(213) <= 1 && g.abs_diff(115) <= 1 && b.abs_diff(117) <= 1,
            "{r} {g} {b}"
        );
    }

    #[test]
    fn an_srgb_profile_leaves_colours_unchanged() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        let mut image = filled([200, 120, 40]);
        assert!(convert_to_srgb(&mut image, &srgb));
        for (a, b) in image.get_pixel(0, 0).0.iter().zip([200u8, 120, 40]) {
            assert!(a.abs_diff(b) <= 1, "{:?}", image.get_pixel(0, 0));
        }
    }

    #[test]
    fn an_unreadable_profile_leaves_the_pixels_as_they_are() {
        let mut image = filled([200, 120, 40]);
        assert!(!convert_to_srgb(&mut image, b"not an ICC profile at all"));
        assert!(!convert_to_srgb(&mut image, &[0; 200]));
        assert_eq!(image, filled([200, 120, 40]));
    }

    #[test]
    fn a_grey_profile_leaves_the_pixels_as_they_are() {
        let grey = ColorProfile::new_gray_with_gamma(2.2).encode().unwrap();
        let mut image = filled([200, 120, 40]);
        assert!(!convert_to_srgb(&mut image, &grey));
        assert_eq!(image, filled([200, 120, 40]));
    }
}
