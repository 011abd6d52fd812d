//! The Tamil national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.11, single shift A.2.11.
//!
//! TS 23.038 prints 0x24 of the single-shift table as U+0BEF, which is also at 0x25: a known typo
//! for U+0BEE (TAMIL DIGIT EIGHT) in the run of digits, corrected here as Android does. Code 0x11 of
//! the locking-shift table has no character (some transcriptions show the unassigned U+0B91).

use crate::coding::gsm7::{NA, Table};

/// Tamil locking-shift table (TS 23.038 A.3.11); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ NA, '\u{0B82}', '\u{0B83}', '\u{0B85}', '\u{0B86}', '\u{0B87}', '\u{0B88}', '\u{0B89}', '\u{0B8A}', NA, '\n', NA, NA, '\r', '\u{0B8E}', '\u{0B8F}',
    /* 0x10 */ '\u{0B90}', NA, '\u{0B92}', '\u{0B93}', '\u{0B94}', '\u{0B95}', NA, NA, NA, '\u{0B99}', '\u{0B9A}', NA, NA, '\u{0B9C}', NA, '\u{0B9E}',
    /* 0x20 */ ' ', '!', '\u{0B9F}', NA, NA, NA, '\u{0BA3}', '\u{0BA4}', ')', '(', NA, NA, ',', NA, '.', '\u{0BA8}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '\u{0BA9}', '\u{0BAA}', NA, '?',
    /* 0x40 */ NA, NA, '\u{0BAE}', '\u{0BAF}', '\u{0BB0}', '\u{0BB1}', '\u{0BB2}', '\u{0BB3}', '\u{0BB4}', '\u{0BB5}', '\u{0BB6}', '\u{0BB7}', '\u{0BB8}', '\u{0BB9}', NA, NA,
    /* 0x50 */ '\u{0BBE}', '\u{0BBF}', '\u{0BC0}', '\u{0BC1}', '\u{0BC2}', NA, NA, NA, '\u{0BC6}', '\u{0BC7}', '\u{0BC8}', NA, '\u{0BCA}', '\u{0BCB}', '\u{0BCC}', '\u{0BCD}',
    /* 0x60 */ '\u{0BD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{0BD7}', '\u{0BF0}', '\u{0BF1}', '\u{0BF2}', '\u{0BF9}',
]);

/// Tamil single-shift table (TS 23.038 A.2.11); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{0964}', '\u{0965}', NA, '\u{0BE6}', '\u{0BE7}', '\u{0BE8}', '\u{0BE9}',
    /* 0x20 */ '\u{0BEA}', '\u{0BEB}', '\u{0BEC}', '\u{0BED}', '\u{0BEE}', '\u{0BEF}', '\u{0BF3}', '\u{0BF4}', '{', '}', '\u{0BF5}', '\u{0BF6}', '\u{0BF7}', '\u{0BF8}', '\u{0BFA}', '\\',
    /* 0x30 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
