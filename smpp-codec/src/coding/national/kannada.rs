//! The Kannada national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.7, single shift A.2.7.
//!
//! TS 23.038 prints 0x24 of the locking-shift table as U+0CAA (KANNADA LETTER PA), which is also
//! at 0x3D: a known typo for U+0CA1 (KANNADA LETTER DDA), corrected here as Android does, so that
//! DDA can be written at all.

use crate::coding::gsm7::{NA, Table};

/// Kannada locking-shift table (TS 23.038 A.3.7); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ NA, '\u{0C82}', '\u{0C83}', '\u{0C85}', '\u{0C86}', '\u{0C87}', '\u{0C88}', '\u{0C89}', '\u{0C8A}', '\u{0C8B}', '\n', '\u{0C8C}', NA, '\r', '\u{0C8E}', '\u{0C8F}',
    /* 0x10 */ '\u{0C90}', NA, '\u{0C92}', '\u{0C93}', '\u{0C94}', '\u{0C95}', '\u{0C96}', '\u{0C97}', '\u{0C98}', '\u{0C99}', '\u{0C9A}', NA, '\u{0C9B}', '\u{0C9C}', '\u{0C9D}', '\u{0C9E}',
    /* 0x20 */ ' ', '!', '\u{0C9F}', '\u{0CA0}', '\u{0CA1}', '\u{0CA2}', '\u{0CA3}', '\u{0CA4}', ')', '(', '\u{0CA5}', '\u{0CA6}', ',', '\u{0CA7}', '.', '\u{0CA8}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0CAA}', '\u{0CAB}', '?',
    /* 0x40 */ '\u{0CAC}', '\u{0CAD}', '\u{0CAE}', '\u{0CAF}', '\u{0CB0}', '\u{0CB1}', '\u{0CB2}', '\u{0CB3}', NA, '\u{0CB5}', '\u{0CB6}', '\u{0CB7}', '\u{0CB8}', '\u{0CB9}', '\u{0CBC}', '\u{0CBD}',
    /* 0x50 */ '\u{0CBE}', '\u{0CBF}', '\u{0CC0}', '\u{0CC1}', '\u{0CC2}', '\u{0CC3}', '\u{0CC4}', NA, '\u{0CC6}', '\u{0CC7}', '\u{0CC8}', NA, '\u{0CCA}', '\u{0CCB}', '\u{0CCC}', '\u{0CCD}',
    /* 0x60 */ '\u{0CD5}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0CD6}', '\u{0CE0}', '\u{0CE1}', '\u{0CE2}', '\u{0CE3}',
]);

/// Kannada single-shift table (TS 23.038 A.2.7); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0CE6}', '\u{0CE7}', '\u{0CE8}', '\u{0CE9}',
    /* 0x20 */ '\u{0CEA}', '\u{0CEB}', '\u{0CEC}', '\u{0CED}', '\u{0CEE}', '\u{0CEF}', '\u{0CDE}', '\u{0CF1}', '{', '}', '\u{0CF2}', NA, NA, NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
