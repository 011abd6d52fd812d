//! The Spanish national language tables of 3GPP TS 23.038 Annex A: single shift A.2.2 (the standard defines no Spanish locking-shift table).

use crate::coding::gsm7::{NA, Table};

/// Spanish single-shift table (TS 23.038 A.2.2); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, 'ç', '\u{0C}', NA, NA, NA, NA, NA,
    /* 0x10 */ NA, NA, NA, NA, '^', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x20 */ NA, NA, NA, NA, NA, NA, NA, NA, '{', '}', NA, NA, NA, NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'Á', NA, NA, NA, NA, NA, NA, NA, 'Í', NA, NA, NA, NA, NA, 'Ó',
    /* 0x50 */ NA, NA, NA, NA, NA, 'Ú', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x60 */ NA, 'á', NA, NA, NA, '€', NA, NA, NA, 'í', NA, NA, NA, NA, NA, 'ó',
    /* 0x70 */ NA, NA, NA, NA, NA, 'ú', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
