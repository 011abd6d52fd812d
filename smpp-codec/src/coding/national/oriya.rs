//! The Oriya national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.9, single shift A.2.9.
//!
//! Code 0x20 of the single-shift table is U+0B6A (ORIYA DIGIT FOUR), in the run of digits.

use crate::coding::gsm7::{NA, Table};

/// Oriya locking-shift table (TS 23.038 A.3.9); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '\u{0B01}', '\u{0B02}', '\u{0B03}', '\u{0B05}', '\u{0B06}', '\u{0B07}', '\u{0B08}', '\u{0B09}', '\u{0B0A}', '\u{0B0B}', '\n', '\u{0B0C}', NA, '\r', NA, '\u{0B0F}',
    /* 0x10 */ '\u{0B10}', NA, NA, '\u{0B13}', '\u{0B14}', '\u{0B15}', '\u{0B16}', '\u{0B17}', '\u{0B18}', '\u{0B19}', '\u{0B1A}', NA, '\u{0B1B}', '\u{0B1C}', '\u{0B1D}', '\u{0B1E}',
    /* 0x20 */ ' ', '!', '\u{0B1F}', '\u{0B20}', '\u{0B21}', '\u{0B22}', '\u{0B23}', '\u{0B24}', ')', '(', '\u{0B25}', '\u{0B26}', ',', '\u{0B27}', '.', '\u{0B28}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0B2A}', '\u{0B2B}', '?',
    /* 0x40 */ '\u{0B2C}', '\u{0B2D}', '\u{0B2E}', '\u{0B2F}', '\u{0B30}', NA, '\u{0B32}', '\u{0B33}', NA, '\u{0B35}', '\u{0B36}', '\u{0B37}', '\u{0B38}', '\u{0B39}', '\u{0B3C}', '\u{0B3D}',
    /* 0x50 */ '\u{0B3E}', '\u{0B3F}', '\u{0B40}', '\u{0B41}', '\u{0B42}', '\u{0B43}', '\u{0B44}', NA, NA, '\u{0B47}', '\u{0B48}', NA, NA, '\u{0B4B}', '\u{0B4C}', '\u{0B4D}',
    /* 0x60 */ '\u{0B56}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0B57}', '\u{0B60}', '\u{0B61}', '\u{0B62}', '\u{0B63}',
]);

/// Oriya single-shift table (TS 23.038 A.2.9); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0B66}', '\u{0B67}', '\u{0B68}', '\u{0B69}',
    /* 0x20 */ '\u{0B6A}', '\u{0B6B}', '\u{0B6C}', '\u{0B6D}', '\u{0B6E}', '\u{0B6F}', '\u{0B5C}', '\u{0B5D}', '{', '}', '\u{0B5F}', '\u{0B70}', '\u{0B71}', NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
