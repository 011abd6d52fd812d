//! The Gujarati national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.5, single shift A.2.5.

use crate::coding::gsm7::{NA, Table};

/// Gujarati locking-shift table (TS 23.038 A.3.5); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '\u{0A81}', '\u{0A82}', '\u{0A83}', '\u{0A85}', '\u{0A86}', '\u{0A87}', '\u{0A88}', '\u{0A89}', '\u{0A8A}', '\u{0A8B}', '\n', '\u{0A8C}', '\u{0A8D}', '\r', NA, '\u{0A8F}',
    /* 0x10 */ '\u{0A90}', '\u{0A91}', NA, '\u{0A93}', '\u{0A94}', '\u{0A95}', '\u{0A96}', '\u{0A97}', '\u{0A98}', '\u{0A99}', '\u{0A9A}', NA, '\u{0A9B}', '\u{0A9C}', '\u{0A9D}', '\u{0A9E}',
    /* 0x20 */ ' ', '!', '\u{0A9F}', '\u{0AA0}', '\u{0AA1}', '\u{0AA2}', '\u{0AA3}', '\u{0AA4}', ')', '(', '\u{0AA5}', '\u{0AA6}', ',', '\u{0AA7}', '.', '\u{0AA8}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0AAA}', '\u{0AAB}', '?',
    /* 0x40 */ '\u{0AAC}', '\u{0AAD}', '\u{0AAE}', '\u{0AAF}', '\u{0AB0}', NA, '\u{0AB2}', '\u{0AB3}', NA, '\u{0AB5}', '\u{0AB6}', '\u{0AB7}', '\u{0AB8}', '\u{0AB9}', '\u{0ABC}', '\u{0ABD}',
    /* 0x50 */ '\u{0ABE}', '\u{0ABF}', '\u{0AC0}', '\u{0AC1}', '\u{0AC2}', '\u{0AC3}', '\u{0AC4}', '\u{0AC5}', NA, '\u{0AC7}', '\u{0AC8}', '\u{0AC9}', NA, '\u{0ACB}', '\u{0ACC}', '\u{0ACD}',
    /* 0x60 */ '\u{0AD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0AE0}', '\u{0AE1}', '\u{0AE2}', '\u{0AE3}', '\u{0AF1}',
]);

/// Gujarati single-shift table (TS 23.038 A.2.5); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0AE6}', '\u{0AE7}', '\u{0AE8}', '\u{0AE9}',
    /* 0x20 */ '\u{0AEA}', '\u{0AEB}', '\u{0AEC}', '\u{0AED}', '\u{0AEE}', '\u{0AEF}', NA, NA, '{', '}', NA, NA, NA, NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
