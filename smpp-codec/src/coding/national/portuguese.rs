//! The Portuguese national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.3, single shift A.2.3.
//!
//! The single-shift table has `ê` at 0x05, as TS 23.038 and Android have it (one
//! transcription of the standard drops it).

use crate::coding::gsm7::{NA, Table};

/// Portuguese locking-shift table (TS 23.038 A.3.3); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', 'ê', 'é', 'ú', 'í', 'ó', 'ç', '\n', 'Ô', 'ô', '\r', 'Á', 'á',
    /* 0x10 */ 'Δ', '_', 'ª', 'Ç', 'À', '∞', '^', '\\', '€', 'Ó', '|', NA, 'Â', 'â', 'Ê', 'É',
    /* 0x20 */ ' ', '!', '"', '#', 'º', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
    /* 0x40 */ 'Í', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ã', 'Õ', 'Ú', 'Ü', '§',
    /* 0x60 */ '~', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ã', 'õ', '`', 'ü', 'à',
]);

/// Portuguese single-shift table (TS 23.038 A.2.3); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ NA, NA, NA, NA, NA, 'ê', NA, NA, NA, 'ç', '\u{0C}', 'Ô', 'ô', NA, 'Á', 'á',
    /* 0x10 */ NA, NA, 'Φ', 'Γ', '^', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', NA, NA, NA, NA, NA, 'Ê',
    /* 0x20 */ NA, NA, NA, NA, NA, NA, NA, NA, '{', '}', NA, NA, NA, NA, NA, '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'À', NA, NA, NA, NA, NA, NA, NA, 'Í', NA, NA, NA, NA, NA, 'Ó',
    /* 0x50 */ NA, NA, NA, NA, NA, 'Ú', NA, NA, NA, NA, NA, 'Ã', 'Õ', NA, NA, NA,
    /* 0x60 */ NA, 'Â', NA, NA, NA, '€', NA, NA, NA, 'í', NA, NA, NA, NA, NA, 'ó',
    /* 0x70 */ NA, NA, NA, NA, NA, 'ú', NA, NA, NA, NA, NA, 'ã', 'õ', NA, NA, 'â',
]);
