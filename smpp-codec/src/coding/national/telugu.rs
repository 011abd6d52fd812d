//! The Telugu national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.12, single shift A.2.12.
//!
//! Early versions of TS 23.038 print 0x22..0x23 of the single-shift table as U+06CC U+06CD (Urdu
//! letters); the Telugu digits U+0C6C U+0C6D are meant, as later versions and Android have them.
//! Code 0x11 of the locking-shift table has no character (some transcriptions show the unassigned
//! U+0C11).

use crate::coding::gsm7::{NA, Table};

/// Telugu locking-shift table (TS 23.038 A.3.12); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '\u{0C01}', '\u{0C02}', '\u{0C03}', '\u{0C05}', '\u{0C06}', '\u{0C07}', '\u{0C08}', '\u{0C09}', '\u{0C0A}', '\u{0C0B}', '\n', '\u{0C0C}', NA, '\r', '\u{0C0E}', '\u{0C0F}',
    /* 0x10 */ '\u{0C10}', NA, '\u{0C12}', '\u{0C13}', '\u{0C14}', '\u{0C15}', '\u{0C16}', '\u{0C17}', '\u{0C18}', '\u{0C19}', '\u{0C1A}', NA, '\u{0C1B}', '\u{0C1C}', '\u{0C1D}', '\u{0C1E}',
    /* 0x20 */ ' ', '!', '\u{0C1F}', '\u{0C20}', '\u{0C21}', '\u{0C22}', '\u{0C23}', '\u{0C24}', ')', '(', '\u{0C25}', '\u{0C26}', ',', '\u{0C27}', '.', '\u{0C28}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{0C2A}', '\u{0C2B}', '?',
    /* 0x40 */ '\u{0C2C}', '\u{0C2D}', '\u{0C2E}', '\u{0C2F}', '\u{0C30}', '\u{0C31}', '\u{0C32}', '\u{0C33}', NA, '\u{0C35}', '\u{0C36}', '\u{0C37}', '\u{0C38}', '\u{0C39}', NA, '\u{0C3D}',
    /* 0x50 */ '\u{0C3E}', '\u{0C3F}', '\u{0C40}', '\u{0C41}', '\u{0C42}', '\u{0C43}', '\u{0C44}', NA, '\u{0C46}', '\u{0C47}', '\u{0C48}', NA, '\u{0C4A}', '\u{0C4B}', '\u{0C4C}', '\u{0C4D}',
    /* 0x60 */ '\u{0C55}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0C56}', '\u{0C60}', '\u{0C61}', '\u{0C62}', '\u{0C63}',
]);

/// Telugu single-shift table (TS 23.038 A.2.12); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', NA, NA, NA, '\u{0C66}', '\u{0C67}', '\u{0C68}', '\u{0C69}',
    /* 0x20 */ '\u{0C6A}', '\u{0C6B}', '\u{0C6C}', '\u{0C6D}', '\u{0C6E}', '\u{0C6F}', '\u{0C58}', '\u{0C59}', '{', '}', '\u{0C78}', '\u{0C79}', '\u{0C7A}', '\u{0C7B}', '\u{0C7C}', '\\',
    /* 0x30 */ '\u{0C7D}', '\u{0C7E}', '\u{0C7F}', NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
