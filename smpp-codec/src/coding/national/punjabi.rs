//! The Punjabi national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.10, single shift A.2.10.

use crate::coding::gsm7::{NA, Table};

/// Punjabi locking-shift table (TS 23.038 A.3.10); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '\u{0A01}', '\u{0A02}', '\u{0A03}', '\u{0A05}', '\u{0A06}', '\u{0A07}', '\u{0A08}', '\u{0A09}', '\u{0A0A}', NA, '\n', NA, NA, '\r', NA, '\u{0A0F}',
    /* 0x10 */ '\u{0A10}', NA, NA, '\u{0A13}', '\u{0A14}', '\u{0A15}', '\u{0A16}', '\u{0A17}', '\u{0A18}', '\u{0A19}', '\u{0A1A}', NA, '\u{0A1B}', '\u{0A1C}', '\u{0A1D}', '\u{0A1E}',
    /* 0x20 */ ' ', '!', '\u{0A1F}', '\u{0A20}', '\u{0A21}', '\u{0A22}', '\u{0A23}', '\u{0A24}', ')', '(', '\u{0A25}', '\u{0A26}', ',', '\u{0A27}', '.', '\u{0A28}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0A2A}', '\u{0A2B}', '?',
    /* 0x40 */ '\u{0A2C}', '\u{0A2D}', '\u{0A2E}', '\u{0A2F}', '\u{0A30}', NA, '\u{0A32}', '\u{0A33}', NA, '\u{0A35}', '\u{0A36}', NA, '\u{0A38}', '\u{0A39}', '\u{0A3C}', NA,
    /* 0x50 */ '\u{0A3E}', '\u{0A3F}', '\u{0A40}', '\u{0A41}', '\u{0A42}', NA, NA, NA, NA, '\u{0A47}', '\u{0A48}', NA, NA, '\u{0A4B}', '\u{0A4C}', '\u{0A4D}',
    /* 0x60 */ '\u{0A51}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0A70}', '\u{0A71}', '\u{0A72}', '\u{0A73}', '\u{0A74}',
]);

/// Punjabi single-shift table (TS 23.038 A.2.10); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0A66}', '\u{0A67}', '\u{0A68}', '\u{0A69}',
    /* 0x20 */ '\u{0A6A}', '\u{0A6B}', '\u{0A6C}', '\u{0A6D}', '\u{0A6E}', '\u{0A6F}', '\u{0A59}', '\u{0A5A}', '{', '}', '\u{0A5B}', '\u{0A5C}', '\u{0A5E}', '\u{0A75}', NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
