//! The Turkish national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.1, single shift A.2.1.

use crate::coding::gsm7::{NA, Table};

/// Turkish locking-shift table (TS 23.038 A.3.1); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '€', 'é', 'ù', 'ı', 'ò', 'Ç', '\n', 'Ğ', 'ğ', '\r', 'Å', 'å',
    /* 0x10 */ 'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', NA, 'Ş', 'ş', 'ß', 'É',
    /* 0x20 */ ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
    /* 0x40 */ 'İ', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
    /* 0x60 */ 'ç', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
]);

/// Turkish single-shift table (TS 23.038 A.2.1); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '\u{0C}', NA, NA, NA, NA, NA,
    /* 0x10 */ NA, NA, NA, NA, '^', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x20 */ NA, NA, NA, NA, NA, NA, NA, NA, '{', '}', NA, NA, NA, NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', NA, NA, NA, NA, NA, NA, 'Ğ', NA, 'İ', NA, NA, NA, NA, NA, NA,
    /* 0x50 */ NA, NA, NA, 'Ş', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, 'ç', NA, '€', NA, 'ğ', NA, 'ı', NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, 'ş', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
