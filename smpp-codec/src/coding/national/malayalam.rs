//! The Malayalam national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.8, single shift A.2.8.

use crate::coding::gsm7::{NA, Table};

/// Malayalam locking-shift table (TS 23.038 A.3.8); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ NA, '\u{0D02}', '\u{0D03}', '\u{0D05}', '\u{0D06}', '\u{0D07}', '\u{0D08}', '\u{0D09}', '\u{0D0A}', '\u{0D0B}', '\n', '\u{0D0C}', NA, '\r', '\u{0D0E}', '\u{0D0F}',
    /* 0x10 */ '\u{0D10}', NA, '\u{0D12}', '\u{0D13}', '\u{0D14}', '\u{0D15}', '\u{0D16}', '\u{0D17}', '\u{0D18}', '\u{0D19}', '\u{0D1A}', NA, '\u{0D1B}', '\u{0D1C}', '\u{0D1D}', '\u{0D1E}',
    /* 0x20 */ ' ', '!', '\u{0D1F}', '\u{0D20}', '\u{0D21}', '\u{0D22}', '\u{0D23}', '\u{0D24}', ')', '(', '\u{0D25}', '\u{0D26}', ',', '\u{0D27}', '.', '\u{0D28}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0D2A}', '\u{0D2B}', '?',
    /* 0x40 */ '\u{0D2C}', '\u{0D2D}', '\u{0D2E}', '\u{0D2F}', '\u{0D30}', '\u{0D31}', '\u{0D32}', '\u{0D33}', '\u{0D34}', '\u{0D35}', '\u{0D36}', '\u{0D37}', '\u{0D38}', '\u{0D39}', NA, '\u{0D3D}',
    /* 0x50 */ '\u{0D3E}', '\u{0D3F}', '\u{0D40}', '\u{0D41}', '\u{0D42}', '\u{0D43}', '\u{0D44}', NA, '\u{0D46}', '\u{0D47}', '\u{0D48}', NA, '\u{0D4A}', '\u{0D4B}', '\u{0D4C}', '\u{0D4D}',
    /* 0x60 */ '\u{0D57}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0D60}', '\u{0D61}', '\u{0D62}', '\u{0D63}', '\u{0D79}',
]);

/// Malayalam single-shift table (TS 23.038 A.2.8); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0D66}', '\u{0D67}', '\u{0D68}', '\u{0D69}',
    /* 0x20 */ '\u{0D6A}', '\u{0D6B}', '\u{0D6C}', '\u{0D6D}', '\u{0D6E}', '\u{0D6F}', '\u{0D70}', '\u{0D71}', '{', '}', '\u{0D72}', '\u{0D73}', '\u{0D74}', '\u{0D75}', '\u{0D7A}', '\\',
    /* 0x30 */ '\u{0D7B}', '\u{0D7C}', '\u{0D7D}', '\u{0D7E}', '\u{0D7F}', NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
